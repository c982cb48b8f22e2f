package burr_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/sqlite"
)

// interruptProcEnv, when set, makes TestInterruptProcessChild play one
// process of TestInterruptAcrossProcesses: the test binary re-executed. Its
// value is "<role> <store> <where>": role "ask" or "resume", store "sqlite"
// (where is the file) or "postgres" (where is the table; the DSN comes from
// BURR_TEST_POSTGRES_DSN).
const interruptProcEnv = "BURR_INTERRUPT_PROCESS_CHILD"

// The lines a child process writes on stdout for the test to read.
const (
	procAsked    = "interrupt-proc asked "    // + the *Interrupt as JSON
	procLoaded   = "interrupt-proc loaded "   // + the loaded *Interrupt as JSON
	procResumed  = "interrupt-proc resumed "  // + the approval the action saw
	procConflict = "interrupt-proc conflict " // + the error
)

const procAppID = "conv-proc"

// openProcStore opens the store a child process names.
func openProcStore(t *testing.T, kind, where string) burr.Persister {
	t.Helper()
	switch kind {
	case "sqlite":
		p, err := sqlite.Open(t.Context(), where)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	case "postgres":
		p, err := postgres.Open(t.Context(), os.Getenv(testenv.PostgresDSN), postgres.WithTable(where))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	t.Fatalf("unknown store %q", kind)
	return nil
}

// TestInterruptProcessChild is one process of TestInterruptAcrossProcesses;
// run on its own it does nothing.
func TestInterruptProcessChild(t *testing.T) {
	spec := os.Getenv(interruptProcEnv)
	if spec == "" {
		t.Skip("run by TestInterruptAcrossProcesses")
	}
	f := strings.SplitN(spec, " ", 3) // the last part, a path, may hold spaces
	if len(f) != 3 {
		t.Fatalf("%s=%q: want <role> <store> <where>", interruptProcEnv, spec)
	}
	role, store := f[0], openProcStore(t, f[1], f[2])
	ctx := t.Context()
	runs := 0
	app := mustNew(t, append(approvalOpts(&runs), burr.WithAppID(procAppID), burr.WithPersister(store),
		burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("propose")))...)
	report := func(prefix string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(prefix + string(b))
	}
	switch role {
	case "ask":
		_, err := app.Run(ctx)
		var intr *burr.Interrupt
		if !errors.As(err, &intr) {
			t.Fatalf("run: %v, want an *Interrupt", err)
		}
		report(procAsked, intr)
	case "resume":
		intr, ok := app.Interrupted()
		if !ok {
			t.Fatalf("the loaded application is not interrupted; state %v", app.State())
		}
		report(procLoaded, intr)
		// Wait until the test says go, so that both resumers have loaded
		// the interrupt before either answers.
		answer, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		_, err = app.Step(ctx, burr.WithAnswer(strings.TrimSpace(answer)))
		switch {
		case err == nil:
			if runs != 1 {
				t.Fatalf("the action ran %d times", runs)
			}
			report(procResumed, app.State().Value("approved"))
		case errors.Is(err, burr.ErrConflict):
			report(procConflict, err.Error())
		default:
			t.Fatalf("resume: %v", err)
		}
	default:
		t.Fatalf("unknown role %q", role)
	}
}

// procChild is a running child process of TestInterruptAcrossProcesses.
type procChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines <-chan string // its report lines; closed at the end of its output
	out   *strings.Builder
}

func startProcChild(t *testing.T, spec string) *procChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptProcessChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), interruptProcEnv+"="+spec)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := sc.Text()
			out.WriteString(l + "\n")
			if strings.HasPrefix(l, "interrupt-proc ") {
				lines <- l
			}
		}
	}()
	c := &procChild{cmd: cmd, stdin: stdin, lines: lines, out: out}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-done
		cmd.Wait()
	})
	return c
}

// next returns the child's next report line, which must start with prefix,
// without the prefix.
func (c *procChild) next(t *testing.T, prefixes ...string) (string, string) {
	t.Helper()
	l, ok := <-c.lines
	if !ok {
		c.cmd.Wait()
		t.Fatalf("the child process ended without reporting %q:\n%s", prefixes, c.out.String())
	}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(l, p); ok {
			return p, rest
		}
	}
	t.Fatalf("the child process reported %q, want one of %q", l, prefixes)
	return "", ""
}

// wait waits for the child to exit and fails the test if it failed.
func (c *procChild) wait(t *testing.T) {
	t.Helper()
	for range c.lines {
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("the child process failed (%v):\n%s", err, c.out.String())
	}
}

// TestInterruptAcrossProcesses: one process runs an application until an
// action asks (Ask) and exits; two other processes load the same app id
// from the shared store, both see the pending question and its payload, and
// answer it at once: exactly one resumes (its action gets its answer), the
// other gets ErrConflict. Over a SQLite file and over PostgreSQL.
func TestInterruptAcrossProcesses(t *testing.T) {
	if os.Getenv(interruptProcEnv) != "" {
		t.Skip("in the child process")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	stores := []struct {
		name  string
		where func(t *testing.T) string // where the store is, for the children
	}{
		{"sqlite", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "interrupt.db")
			p, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Initialize(t.Context()); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{"postgres", func(t *testing.T) string {
			dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
			table := fmt.Sprintf("burr_interrupt_proc_%d", time.Now().UnixNano())
			p, err := postgres.Open(t.Context(), dsn, postgres.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			t.Cleanup(func() {
				pool, err := pgxpool.New(context.Background(), dsn)
				if err == nil {
					pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
					pool.Close()
				}
			})
			if err := p.Initialize(t.Context()); err != nil {
				t.Fatal(err)
			}
			return table
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			where := st.where(t)
			spec := func(role string) string { return role + " " + st.name + " " + where }

			// Process A asks and exits.
			a := startProcChild(t, spec("ask"))
			_, asked := a.next(t, procAsked)
			a.wait(t)
			var intr burr.Interrupt
			if err := json.Unmarshal([]byte(asked), &intr); err != nil || intr.Action != "approve" {
				t.Fatalf("process A asked %s (%v)", asked, err)
			}

			// Processes B and C load it and both see the question.
			resumers := []*procChild{startProcChild(t, spec("resume")), startProcChild(t, spec("resume"))}
			for i, c := range resumers {
				_, loaded := c.next(t, procLoaded)
				var got burr.Interrupt
				if err := json.Unmarshal([]byte(loaded), &got); err != nil {
					t.Fatal(err)
				}
				payload, _ := got.Payload.(map[string]any)
				if got.Action != "approve" || got.SequenceID != intr.SequenceID ||
					payload["question"] != "run the tool?" || payload["tool"] != "search" {
					t.Fatalf("process %d loaded the interrupt %s, want the one A asked: %s", i, loaded, asked)
				}
			}
			// Both answer at once.
			for i, c := range resumers {
				if _, err := fmt.Fprintf(c.stdin, "answer %d\n", i); err != nil {
					t.Fatal(err)
				}
			}
			winner := -1
			for i, c := range resumers {
				kind, rest := c.next(t, procResumed, procConflict)
				c.wait(t)
				if kind == procConflict {
					continue
				}
				if winner >= 0 {
					t.Fatalf("processes %d and %d both resumed", winner, i)
				}
				winner = i
				if want := fmt.Sprintf("%q", fmt.Sprint("answer ", i)); rest != want {
					t.Fatalf("process %d: the action saw %s, want %s", i, rest, want)
				}
			}
			if winner < 0 {
				t.Fatal("both resumers got ErrConflict")
			}

			// The store holds the winner's step, and the application goes on
			// from there.
			store := openProcStore(t, st.name, where)
			rec, err := store.Load(t.Context(), burr.AppRef{AppID: procAppID}.At(burr.Latest))
			if err != nil || rec.Status != burr.StatusCompleted || rec.Position != "approve" ||
				rec.State.Value("approved") != fmt.Sprint("answer ", winner) {
				t.Fatalf("latest record %+v (%v), want approve completed with answer %d", rec, err, winner)
			}
			runs := 0
			app := mustNew(t, append(approvalOpts(&runs), burr.WithAppID(procAppID), burr.WithPersister(store),
				burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("propose")))...)
			if _, ok := app.Interrupted(); ok {
				t.Fatal("still interrupted after the resume")
			}
			if res, err := app.Run(t.Context()); err != nil || res.Action.Name() != "done" || runs != 0 {
				t.Fatalf("run after the resume: %+v %v (%d approvals)", res, err, runs)
			}
		})
	}
}
