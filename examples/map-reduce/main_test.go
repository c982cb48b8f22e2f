package main

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	// More documents than children run at once, so that they finish in
	// any order; the report must still follow the documents.
	var docs []document
	for i := range 12 {
		docs = append(docs, document{fmt.Sprintf("doc%02d", i), strings.Repeat("go ", i+1) + "burr"})
	}
	var out strings.Builder
	if err := run(t.Context(), &out, docs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(docs)+1 {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(docs)+1, out.String())
	}
	for i, line := range lines[:len(docs)] {
		want := fmt.Sprintf("doc%02d: %d words, most often go, burr", i, i+2)
		if i == 0 {
			want = "doc00: 2 words, most often burr, go" // a tie: alphabetical
		}
		if line != want {
			t.Errorf("line %d: %q, want %q", i, line, want)
		}
	}
	if want := "all 12 documents: 90 words, most often go, burr"; lines[len(docs)] != want {
		t.Errorf("total %q, want %q", lines[len(docs)], want)
	}
}

func TestSamples(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out, samples); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "state-machines.txt: 23 words, most often state, machine, the\n") {
		t.Fatalf("report:\n%s", out.String())
	}
}
