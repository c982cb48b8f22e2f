package tracking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// crashChildEnv, when set, makes TestTrackerCrashChild track an application
// under the storage directory it names: the test binary re-executed as the
// process to kill.
const crashChildEnv = "BURR_TRACKING_CRASH_CHILD"

// crashStepsPerCall is how many "inc" steps each Run call of the child
// makes before its "stop" step ends the call.
const crashStepsPerCall = 40

// crashApp is the child's application: "inc" steps with a state of a few
// hundred bytes, and a "stop" step after every crashStepsPerCall of them,
// at which each Run call halts.
func crashApp(t testing.TB, tr *tracking.LocalTracker, pause time.Duration) *burr.Application {
	t.Helper()
	pad := strings.Repeat("p", 300)
	inc := burr.NewAction("inc", func(ctx context.Context, s burr.State) (burr.State, error) {
		if pause > 0 {
			time.Sleep(pause)
		}
		return s.Set("n", burr.Key[int]("n").Or(s, 0)+1).Set("pad", pad), nil
	}, burr.Reads("n"), burr.Writes("n", "pad"))
	stop := burr.NewAction("stop", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Reads("n"))
	app, err := burr.New(context.Background(), burr.WithActions(inc, stop),
		burr.WithTransitions(
			burr.From("inc").To("stop", burr.Predicate("n % per == 0", []string{"n"}, func(s burr.State) bool {
				return burr.Key[int]("n").Or(s, 0)%crashStepsPerCall == 0
			})),
			burr.From("inc").To("inc"),
			burr.From("stop").To("inc")),
		burr.WithAppID("crash"), burr.WithHooks(tr), burr.WithEntrypoint("inc"),
		burr.WithState(burr.State{}.Set("n", 0)))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// TestTrackerCrashChild is the process TestTrackerSIGKILL kills: it runs
// the application call after call, and after each call appends the
// sequence id of the call's last step to progress.txt.
func TestTrackerCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestTrackerSIGKILL")
	}
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	progress, err := os.OpenFile(filepath.Join(dir, "progress.txt"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer progress.Close()
	app := crashApp(t, tr, 50*time.Microsecond)
	for range 1_000_000 { // killed long before the end
		if _, err := app.Run(context.Background(), burr.HaltAfter("stop")); err != nil {
			t.Fatal(err)
		}
		seq, _ := app.SequenceID()
		if _, err := fmt.Fprintf(progress, "%d\n", seq); err != nil {
			t.Fatal(err)
		}
		if err := tr.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrackerSIGKILL kills a process in the middle of tracking a run of many
// calls and checks what a SIGKILL may lose: the log read back is a prefix of
// the run in whole lines (only the very last line may be cut, if the kill
// came during a write), and every call that had returned before the kill is
// in it completely.
func TestTrackerSIGKILL(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child process")
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrackerCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The progress file is opened once and read through its descriptor:
	// the test log of `go test` records every os.Open and os.Stat, and a
	// varying number of them would move where its buffer is flushed into
	// the windows in which other tests limit the file size.
	var progress *os.File
	defer func() {
		if progress != nil {
			progress.Close()
		}
	}()
	completed := func() []int {
		if progress == nil {
			f, err := os.Open(filepath.Join(dir, "progress.txt"))
			if err != nil {
				return nil // not created yet
			}
			progress = f
		}
		b, _ := io.ReadAll(io.NewSectionReader(progress, 0, 1<<30))
		var seqs []int
		for _, f := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(f)
			if err != nil {
				break // a number being written
			}
			seqs = append(seqs, n)
		}
		return seqs
	}
	// Kill it once it has completed a few calls, at whatever point of a
	// call it has reached.
	deadline := time.Now().Add(60 * time.Second)
	for len(completed()) < 5 {
		select {
		case err := <-exited:
			t.Fatalf("the child exited before it was killed (%v):\n%s", err, &out)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			t.Fatalf("the child made no progress:\n%s", &out)
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	done := completed() // the calls known to have returned before the kill

	data, err := os.ReadFile(filepath.Join(dir, "p", "crash", tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		t.Logf("the kill cut a write: %d bytes after the last newline", len(data)-1-i)
		data = data[:i+1]
	}
	// Whole lines, in order: begin_entry and end_entry of steps 0, 1, 2, …
	// with nothing missing in between.
	next, open := 0, false
	for i, raw := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var l struct {
			Type       string `json:"type"`
			SequenceID int    `json:"sequence_id"`
			State      struct {
				N int `json:"n"`
			} `json:"state"`
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("line %d is not whole: %v: %.80q", i+1, err, raw)
		}
		switch {
		case l.Type == "begin_entry" && !open && l.SequenceID == next:
			open = true
		case l.Type == "end_entry" && open && l.SequenceID == next:
			open = false
			next++
		default:
			t.Fatalf("line %d: %s of step %d, want the %s of step %d", i+1, l.Type, l.SequenceID,
				map[bool]string{true: "end_entry", false: "begin_entry"}[open], next)
		}
	}
	last := done[len(done)-1]
	if next <= last {
		t.Fatalf("the log ends with step %d; the call ending with step %d had returned before the kill", next-1, last)
	}
	t.Logf("%d calls returned, the log holds steps 0 to %d (the kill came after step %d)", len(done), next-1, last)
}

// TestTrackerCloseWritesBuffer checks that the lines of a call in progress
// reach the file at the latest once flushBytes have gathered, and that a
// clean Close writes all of them, before the call ends.
func TestTrackerCloseWritesBuffer(t *testing.T) {
	tr := newTracker(t)
	path := filepath.Join(tr.Dir(), "buffered", tracking.LogFile)
	const steps, closeAt = 600, 500
	sizes := make([]int64, steps)
	var atClose int64 = -1
	var log *os.File // stat through one descriptor: see TestTrackerSIGKILL
	defer func() {
		if log != nil {
			log.Close()
		}
	}()
	logSize := func() (int64, error) {
		if log == nil {
			f, err := os.Open(path)
			if err != nil {
				return 0, err
			}
			log = f
		}
		fi, err := log.Stat()
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	act := burr.NewAction("inc", func(ctx context.Context, s burr.State) (burr.State, error) {
		n := burr.Key[int]("n").Or(s, 0)
		sz, err := logSize()
		if err != nil {
			return s, err
		}
		sizes[n] = sz
		if n == closeAt {
			if err := tr.Close(); err != nil {
				return s, err
			}
			if atClose, err = logSize(); err != nil {
				return s, err
			}
		}
		return s.Set("n", n+1).Set("pad", strings.Repeat("p", 300)), nil
	}, burr.Reads("n"), burr.Writes("n", "pad"))
	stop := burr.NewAction("stop", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Reads("n"))
	app, err := burr.New(t.Context(), burr.WithActions(act, stop),
		burr.WithTransitions(
			burr.From("inc").To("stop", burr.Predicate("n >= steps", []string{"n"}, func(s burr.State) bool {
				return burr.Key[int]("n").Or(s, 0) >= steps
			})),
			burr.From("inc").To("inc")),
		burr.WithAppID("buffered"), burr.WithHooks(tr), burr.WithEntrypoint("inc"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(t.Context(), burr.HaltAfter("stop")); err != nil {
		t.Fatal(err)
	}
	// ends[k] is the size of the log up to the begin_entry of step k: what
	// a reader during step k would see if nothing were buffered.
	raw := readRaw(t, path)
	if len(raw) != 2*(steps+1) {
		t.Fatalf("%d lines, want %d", len(raw), 2*(steps+1))
	}
	var ends []int64
	var size, maxStep int64
	for i, l := range raw {
		size += int64(len(l)) + 1
		if i%2 == 0 {
			ends = append(ends, size)
		} else {
			maxStep = max(maxStep, int64(len(l)+len(raw[i-1])+2))
		}
	}
	for k, s := range sizes {
		if s > ends[k] {
			t.Fatalf("step %d saw %d bytes, more than the %d logged so far", k, s, ends[k])
		}
		if behind := ends[k] - s; behind > 64<<10+maxStep {
			t.Errorf("step %d saw %d bytes: %d behind the lines logged so far, more than 64 KiB and a step", k, s, behind)
		}
	}
	if atClose != ends[closeAt] {
		t.Errorf("after Close in step %d the log has %d bytes, want all %d logged so far", closeAt, atClose, ends[closeAt])
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
}
