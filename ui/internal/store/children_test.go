package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// TestChildRuns reads a fan-out written by the tracker: the parent's step
// lists its four children with their outcomes, and each child points back
// to the parent.
func TestChildRuns(t *testing.T) {
	dir := t.TempDir()
	fo := fixture.WriteFanOut(t, dir)
	s := New(dir)
	app, err := s.App(fo.Project, fo.ParentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Problems) > 0 {
		t.Fatalf("problems: %v", app.Problems)
	}
	if len(app.ChildRuns) != 4 {
		t.Fatalf("%d child runs, want 4: %+v", len(app.ChildRuns), app.ChildRuns)
	}
	lg, _ := allSteps(t, s, app)
	groups := GroupChildren(app.Children, app.ChildRuns, lg.Steps())
	g := groups[0]
	if g == nil || len(groups) != 1 {
		t.Fatalf("children grouped by step: %v, want step 0 only", groups)
	}
	if g.Total != 4 || g.Succeeded != 1 || g.Failed != 1 || g.Stopped != 2 || g.Running != 0 {
		t.Fatalf("step 0: %d succeeded, %d failed, %d stopped, %d running; want 1, 1, 2, 0",
			g.Succeeded, g.Failed, g.Stopped, g.Running)
	}
	want := map[string]Outcome{fo.Children[0]: OutcomeSucceeded, fo.Children[1]: OutcomeStopped,
		fo.Children[2]: OutcomeFailed, fo.Children[3]: OutcomeStopped}
	for _, r := range g.Runs {
		if r.Outcome != want[r.AppID] {
			t.Errorf("child %s: %s, want %s", r.AppID, r.Outcome, want[r.AppID])
		}
		if !r.HasTimes || r.Duration() <= 0 || r.Missing || r.ParentSeq != 0 {
			t.Errorf("child %s: %+v, want its times, from step 0", r.AppID, r)
		}
	}
	for _, id := range fo.Children {
		child, err := s.App(fo.Project, id)
		if err != nil {
			t.Fatal(err)
		}
		p := child.Metadata.SpawningParentPointer
		if p == nil || p.AppID != fo.ParentID || p.SequenceID == nil || *p.SequenceID != 0 {
			t.Errorf("child %s: spawning parent %+v, want %s at step 0", id, p, fo.ParentID)
		}
	}
}

func TestOutcome(t *testing.T) {
	const stepErr = `burr: child 2 (app "c2") of action "fan": boom`
	for _, tc := range []struct {
		run     ChildRun
		stepErr string
		want    Outcome
	}{
		{ChildRun{AppID: "c0", Status: StatusCompleted}, stepErr, OutcomeSucceeded},
		{ChildRun{AppID: "c0", Status: StatusRunning}, "", OutcomeRunning},
		{ChildRun{AppID: "c0", Status: StatusNew}, "", OutcomeRunning},
		{ChildRun{AppID: "c2", Status: StatusFailed, Exception: "boom"}, stepErr, OutcomeFailed},
		{ChildRun{AppID: "c1", Status: StatusFailed, Exception: stepErr}, stepErr, OutcomeStopped},
		{ChildRun{AppID: "c1", Status: StatusFailed, Exception: "burr: stream closed before it finished"}, "", OutcomeStopped},
		{ChildRun{AppID: "c1", Status: StatusFailed, Exception: "context canceled"}, "", OutcomeStopped},
		{ChildRun{AppID: "c1", Status: StatusFailed, Exception: "bad input"}, "", OutcomeFailed},
		// Its own child's error, named in the step's error: failed.
		{ChildRun{AppID: "c3", Status: StatusFailed, Exception: `burr: child 0 (app "g0") of action "inner": x`},
			`burr: child 3 (app "c3") of action "fan": burr: child 0 (app "g0") of action "inner": x`, OutcomeFailed},
	} {
		if got := outcome(tc.run, tc.stepErr); got != tc.want {
			t.Errorf("%+v with step error %q: %s, want %s", tc.run, tc.stepErr, got, tc.want)
		}
	}
}

// Past maxChildRuns children, the others are counted but not read.
func TestChildRunsBounded(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range maxChildRuns + 2 {
		lines = append(lines, fmt.Sprintf(`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"child-%d","sequence_id":null,"partition_key":null},"event_time":"2025-01-01T12:00:00","event_type":"spawn_start","sequence_id":0}`, i))
	}
	appDir := fixture.WriteRun(t, dir, "p", "parent", "", "", fixture.Begin0)
	fixture.MustWrite(t, filepath.Join(appDir, "children.jsonl"), strings.Join(lines, "\n")+"\n")
	s := New(dir)
	app, err := s.App("p", "parent")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := allSteps(t, s, app)
	g := GroupChildren(app.Children, app.ChildRuns, all.Steps())[0]
	if g == nil || len(g.Runs) != maxChildRuns || g.Total != maxChildRuns+2 || g.Running != maxChildRuns {
		t.Fatalf("step 0 children: %+v", g)
	}
	if r := g.Runs[0]; !r.Missing || r.Outcome != OutcomeRunning {
		t.Fatalf("a child without a directory: %+v", r)
	}
}
