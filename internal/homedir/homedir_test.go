package homedir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExpand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // Windows
	for in, want := range map[string]string{
		"~":               home,
		"~/":              home,
		"~/.burr":         filepath.Join(home, ".burr"),
		"~/a/../b":        filepath.Join(home, "b"),
		"/tmp/x":          "/tmp/x",
		"runs":            "runs",
		"~user/runs":      "~user/runs",
		"~runs":           "~runs",
		"":                "",
		"./~/not/at/home": "./~/not/at/home",
	} {
		if got, err := Expand(in); err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExpandWithoutAHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("USERPROFILE", "")
	t.Setenv("home", "") // Plan 9
	if _, err := Expand("~/.burr"); err == nil {
		t.Error("no error without a home directory")
	}
	if got, err := Expand("/abs"); err != nil || got != "/abs" {
		t.Errorf("Expand(/abs) = %q, %v without a home directory", got, err)
	}
}

func TestDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, def, want string }{
		{"", "~/.burr", filepath.Join(home, ".burr")},
		{"~/runs", "~/.burr", filepath.Join(home, "runs")},
		{"~", "~/.burr", home},
		{"/tmp/x/.", "~/.burr", "/tmp/x"},
		{"rel", "~/.burr", filepath.Join(wd, "rel")},
	} {
		if got, err := Dir(tc.dir, tc.def); err != nil || got != tc.want {
			t.Errorf("Dir(%q, %q) = %q, %v; want %q", tc.dir, tc.def, got, err, tc.want)
		}
	}
}
