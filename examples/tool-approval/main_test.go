package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/burrgo/burr/llm"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testConfig(t *testing.T) config {
	return config{db: filepath.Join(t.TempDir(), "agent.db"), model: &llm.Offline{}, tool: runTool}
}

func TestApproved(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out, strings.NewReader("yes\n"), testConfig(t), "a1", "clean up the build cache"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{`The agent asks: Run delete_files on "build/cache"? [yes/no]`, llm.OfflinePrefix,
		`(delete_files("build/cache") done)`} {
		if !strings.Contains(got, want) {
			t.Fatalf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestDeclined(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out, strings.NewReader("no\n"), testConfig(t), "a2", "what is the weather"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(the user declined the tool call)") {
		t.Fatal(out.String())
	}
}

// TestFlakyAndBrokenTools: a tool that fails once with a temporary error is
// retried; one that keeps failing is handed to "respond" by the error
// transition, which tells the user.
func TestFlakyAndBrokenTools(t *testing.T) {
	for _, broken := range []bool{false, true} {
		var calls atomic.Int32
		cfg := testConfig(t)
		cfg.tool = func(ctx context.Context, call toolCall) (string, error) {
			if calls.Add(1) == 1 || broken {
				return "", fmt.Errorf("disk service: %w", errTemporary)
			}
			return runTool(ctx, call)
		}
		var out strings.Builder
		if err := run(t.Context(), &out, strings.NewReader("y\n"), cfg, "a3", "delete old files"); err != nil {
			t.Fatal(err)
		}
		want := `(delete_files("build/cache") done)`
		if broken {
			want = "(the tool failed: disk service: temporarily unavailable)"
		}
		if !strings.Contains(out.String(), want) || (broken && calls.Load() != 3) || (!broken && calls.Load() != 2) {
			t.Fatalf("broken=%v, %d calls:\n%s", broken, calls.Load(), out.String())
		}
	}
}
