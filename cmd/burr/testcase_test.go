package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/burrtest"
	"github.com/burrgo/burr/internal/testenv"
)

func TestTestCaseCreate(t *testing.T) {
	dir := testenv.DemoData(t)
	out := filepath.Join(t.TempDir(), "cases.json")
	var stdout, stderr strings.Builder
	code := runTestCase([]string{"create", "--dir", dir, "--project", "demo_counter", "--app", "count-to-42", "--sequence", "3", "--out", out}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), `Added the case "counter_3"`) {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	cases, err := burrtest.ReadFile(out)
	if err != nil || len(cases) != 1 {
		t.Fatalf("%v, %v", cases, err)
	}
	c := cases[0]
	if c.Source.Project != "demo_counter" || c.Source.AppID != "count-to-42" || compact(c.InputState) != `{"count_to":42,"counter":3}` {
		t.Errorf("case %+v", c)
	}
	stdout.Reset()
	if code := runTestCase([]string{"create", "--dir", dir, "--project", "demo_counter", "--app", "count-to-42", "--sequence", "0"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"name": "counter_0"`) {
		t.Errorf("printed: %d %s", code, stdout.String())
	}
	for _, args := range [][]string{
		{"create", "--project", "demo_counter"},
		{"create", "--project", "../x", "--app", "a", "--sequence", "1"},
		{"delete"},
	} {
		stderr.Reset()
		if code := runTestCase(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, %s", args, code, stderr.String())
		}
	}
	stderr.Reset()
	if code := runTestCase([]string{"create", "--dir", dir, "--project", "demo_counter", "--app", "count-to-42", "--sequence", "999"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no step with sequence id 999") {
		t.Errorf("missing step: %d %s", code, stderr.String())
	}
}

func compact(raw []byte) string {
	var b bytes.Buffer
	_ = json.Compact(&b, raw)
	return b.String()
}
