package burr_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
)

// fanCrashEnv, when set, makes TestFanOutCrashChild run the fan-out on the
// SQLite file it names: the test binary re-executed as the process to kill.
const fanCrashEnv = "BURR_FANOUT_CRASH_CHILD"

const (
	fanCrashChildren = 400
	fanCrashParent   = "crash-parent"
)

// TestFanOutCrashResume kills a process in the middle of a fan-out several
// times with SIGKILL and restarts it each time with ResumeAtNextAction. The
// resumed parent runs the parallel step again under the same sequence id,
// each child resumes from its own saved state, and in the end every child
// has exactly one saved step, completed, and the reduced sum is right.
// Executions are also counted in a side file: a child runs again only when
// the kill fell between its work and its save.
func TestFanOutCrashResume(t *testing.T) {
	if os.Getenv(fanCrashEnv) != "" {
		t.Skip("in the child process")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "fan.db")
	p, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	saved := func() int {
		ids, err := p.ListAppIDs(t.Context(), "")
		if err != nil {
			return 0
		}
		return len(ids)
	}
	child := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFanOutCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fanCrashEnv+"="+path)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	const kills = 4
	killed := 0
	for k := range kills {
		before := saved()
		cmd, out := child()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(60 * time.Second)
		finished := false
		for !finished && saved() < before+25 {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("kill %d: the child failed before it was killed (%v):\n%s", k, err, out)
				}
				// A loaded machine let the run finish between two looks.
				finished = true
				continue
			default:
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("kill %d: no progress past %d saved children:\n%s", k, before, out)
			}
			time.Sleep(time.Millisecond)
		}
		if finished {
			break
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-exited
		killed++
		t.Logf("kill %d: killed with %d or more children saved", k, saved())
	}
	if killed == 0 {
		t.Fatal("the fan-out finished before any kill; make the children slower")
	}
	cmd, out := child()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}

	rec, err := p.Load(t.Context(), burr.AppRef{AppID: fanCrashParent}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	want := fanCrashChildren * (fanCrashChildren + 1) / 2
	if rec.SequenceID != 0 || rec.Status != burr.StatusCompleted || rec.State.Value("sum") != want {
		t.Fatalf("parent record (%d, %s, sum %v), want (0, completed, %d)", rec.SequenceID, rec.Status, rec.State.Value("sum"), want)
	}
	for i := range fanCrashChildren {
		id := burr.ChildAppID(burr.AppRef{AppID: fanCrashParent}.At(0), i)
		r, err := p.Load(t.Context(), burr.AppRef{AppID: id}.At(burr.Latest))
		if err != nil || r.SequenceID != 0 || r.Status != burr.StatusCompleted || r.State.Value("n") != i+1 {
			t.Fatalf("child %d: latest record (%d, %s, n %v), %v; want its one step, completed, n %d", i, r.SequenceID, r.Status, r.State.Value("n"), err, i+1)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "runs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	runs := map[int]int{}
	for _, l := range strings.Fields(string(data)) {
		i, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("side file line %q", l)
		}
		runs[i]++
	}
	again := 0
	for i := range fanCrashChildren {
		switch {
		case runs[i] == 0:
			t.Fatalf("child %d never ran", i)
		case runs[i] > 1:
			again += runs[i] - 1
		}
	}
	// At most the children in flight at each kill (4 at a time) ran twice.
	if again > killed*4 {
		t.Fatalf("%d repeated executions over %d kills: finished children ran again", again, killed)
	}
	t.Logf("%d children, %d executions repeated after a kill", fanCrashChildren, again)
}

// TestFanOutCrashChild is the process TestFanOutCrashResume kills: it
// resumes the parent from the file and runs its fan-out, slowly.
func TestFanOutCrashChild(t *testing.T) {
	path := os.Getenv(fanCrashEnv)
	if path == "" {
		t.Skip("run by TestFanOutCrashResume")
	}
	p, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	side, err := os.OpenFile(filepath.Join(filepath.Dir(path), "runs.txt"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer side.Close()
	n := burr.Key[int]("n")
	inc := burr.NewAction("increment", func(_ context.Context, s burr.State) (burr.State, error) {
		time.Sleep(3 * time.Millisecond) // the child's work
		if _, err := fmt.Fprintf(side, "%d\n", n.Or(s, 0)); err != nil {
			return s, err
		}
		return n.Set(s, n.Or(s, 0)+1), nil
	}, burr.Reads("n"), burr.Writes("n"))
	fan := burr.MapStates("fan", burr.SubgraphOf(inc), func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
		ss := make([]burr.State, fanCrashChildren)
		for i := range ss {
			ss[i] = n.Set(burr.State{}, i)
		}
		return ss, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		sum := 0
		for _, c := range children {
			sum += n.Or(c, 0)
		}
		return s.Set("sum", sum), nil
	}, burr.Writes("sum"), burr.MaxConcurrency(4))
	app, err := burr.New(context.Background(), burr.WithActions(fan), burr.WithAppID(fanCrashParent), burr.WithPersister(p),
		burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("fan")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}
