package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
)

// crashChildEnv, when set, makes TestCrashChild run the application on the
// SQLite file it names: the test binary re-executed as the process to kill.
const crashChildEnv = "BURR_SQLITE_CRASH_CHILD"

const crashSteps = 300 // increments before done

// TestCrashResume kills a process running an application several times with
// SIGKILL, restarts it each time with ResumeAtNextAction, and checks that the
// run completes with every step recorded exactly once and the counter
// consistent: what SQLite reported saved survived, and resuming neither lost
// nor repeated a step.
func TestCrashResume(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child process")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	p := open(t, path)
	latest := func() int {
		r, err := p.Load(t.Context(), burr.AppRef{AppID: "crash"}.At(burr.Latest))
		if err != nil {
			return -1
		}
		return r.SequenceID
	}
	child := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	const kills = 5
	for k := range kills {
		before := latest()
		cmd, out := child()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Kill it once it has made some progress, in the middle of its run.
		deadline := time.Now().Add(30 * time.Second)
		for latest() < before+20 {
			select {
			case err := <-exited:
				t.Fatalf("kill %d: the child exited before it was killed (%v):\n%s", k, err, out)
			default:
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("kill %d: no progress past sequence id %d:\n%s", k, before, out)
			}
			time.Sleep(time.Millisecond)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-exited
		t.Logf("kill %d: killed at sequence id %d or later", k, latest())
	}
	if latest() >= crashSteps {
		t.Fatalf("the run finished before the last kill (latest %d); make the child slower", latest())
	}
	cmd, out := child()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}

	// Every step once, in order, each counter one more than the last.
	last, err := p.Load(t.Context(), burr.AppRef{AppID: "crash"}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	if last.SequenceID != crashSteps || last.Position != "done" || last.State.Value("counter") != crashSteps {
		t.Fatalf("last record = (%d, %s, counter %v), want (%d, done, %d)", last.SequenceID, last.Position, last.State.Value("counter"), crashSteps, crashSteps)
	}
	db := rawDB(t, path)
	var rows, distinct, lo, hi, failed int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT sequence_id), min(sequence_id), max(sequence_id),
		sum(status != 'completed') FROM burr_state WHERE app_id = 'crash'`).Scan(&rows, &distinct, &lo, &hi, &failed); err != nil {
		t.Fatal(err)
	}
	if rows != crashSteps+1 || distinct != rows || lo != 0 || hi != crashSteps || failed != 0 {
		t.Fatalf("records: %d rows, %d distinct sequence ids, %d..%d, %d not completed; want %d contiguous completed",
			rows, distinct, lo, hi, failed, crashSteps+1)
	}
	for seq := range crashSteps {
		r, err := p.Load(t.Context(), burr.AppRef{AppID: "crash"}.At(seq))
		if err != nil {
			t.Fatal(err)
		}
		if r.Position != "increment" || r.State.Value("counter") != seq+1 {
			t.Fatalf("record %d = (%s, counter %v), want (increment, %d)", seq, r.Position, r.State.Value("counter"), seq+1)
		}
	}
}

// TestCrashChild is the process TestCrashResume kills: it resumes the counter
// application from the file and runs it to the end, slowly.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("run by TestCrashResume")
	}
	p, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	inc := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
		time.Sleep(500 * time.Microsecond)
		n, err := burr.Key[int]("counter").Get(s)
		return s.Set("counter", n+1), err
	}, burr.Reads("counter"), burr.Writes("counter"))
	done := burr.NewAction("done", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Reads("counter"))
	app, err := burr.New(context.Background(), burr.WithActions(inc, done),
		burr.WithTransitions(
			burr.From("increment").To("done", burr.Predicate("counter >= N", []string{"counter"}, func(s burr.State) bool {
				return burr.Key[int]("counter").Or(s, 0) >= crashSteps
			})),
			burr.From("increment").To("increment")),
		burr.WithAppID("crash"), burr.WithPersister(p),
		burr.WithInitializeFrom(p, burr.ResumeAtNextAction(),
			burr.DefaultState(burr.State{}.Set("counter", 0)), burr.DefaultEntrypoint("increment")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(context.Background(), burr.HaltAfter("done")); err != nil {
		t.Fatal(err)
	}
}
