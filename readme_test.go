package burr_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's quickstart and the package Example are the same program, so
// that the README cannot drift from code that compiles and runs.
func TestReadmeQuickstartIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	quick := regexp.MustCompile("(?s)## Quickstart: a counter\n+```go\n.*?\nfunc main\\(\\) \\{\n(.*?)\n\\}\n```").FindSubmatch(readme)
	if quick == nil {
		t.Fatal("README.md has no quickstart counter (a func main in a go block under \"## Quickstart: a counter\")")
	}
	example := regexp.MustCompile("(?s)\nfunc Example\\(\\) \\{\n(.*?)\n\\}\n").FindSubmatch(examples)
	if example == nil {
		t.Fatal("example_test.go has no package Example")
	}
	got, want := code(string(quick[1])), code(string(example[1]))
	if got != want {
		t.Errorf("the README's quickstart differs from the package Example:\nREADME:\n%s\nExample:\n%s", got, want)
	}
}

// code returns a function body's lines without indentation, blank lines and
// comment lines ("// Output:" and what follows included).
func code(body string) string {
	var out []string
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
