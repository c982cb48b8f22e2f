package persisttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/burrgo/burr"
)

// counterApp describes the application the end-to-end checks drive:
//
//	start → count → count → … → done (when counter >= limit)
//
// count adds one to counter and fails while fail is set.
type counterApp struct {
	limit int
	fail  atomic.Bool
}

var errInjected = errors.New("persisttest: injected failure")

func (c *counterApp) options() []burr.Option {
	start := burr.NewAction("start", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Set("started", true), nil
	}, burr.Writes("started"))
	count := burr.NewAction("count", func(ctx context.Context, s burr.State) (burr.State, error) {
		if c.fail.Load() {
			return s, errInjected
		}
		n, err := burr.Key[int]("counter").Get(s)
		if err != nil {
			return s, err
		}
		return s.Set("counter", n+1), nil
	}, burr.Reads("counter"), burr.Writes("counter"))
	done := burr.NewAction("done", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s, nil
	}, burr.Reads("counter"))
	limit := c.limit
	return []burr.Option{
		burr.WithActions(start, count, done),
		burr.WithTransitions(
			burr.From("start").To("count"),
			burr.From("count").To("done", burr.Predicate("counter >= limit", []string{"counter"}, func(s burr.State) bool {
				return burr.Key[int]("counter").Or(s, 0) >= limit
			})),
			burr.From("count").To("count"),
		),
	}
}

// build returns an application saving to p and initialised from it.
func (c *counterApp) build(t *testing.T, p burr.Persister, pk, appID string, extra ...burr.InitOption) *burr.Application {
	t.Helper()
	app, err := c.tryBuild(t.Context(), p, pk, appID, extra...)
	if err != nil {
		t.Fatalf("building app %q: %v", appID, err)
	}
	return app
}

func (c *counterApp) tryBuild(ctx context.Context, p burr.Persister, pk, appID string, extra ...burr.InitOption) (*burr.Application, error) {
	init := append([]burr.InitOption{
		burr.DefaultState(burr.State{}.Set("counter", 0)),
		burr.DefaultEntrypoint("start"),
	}, extra...)
	opts := append(c.options(),
		burr.WithAppID(appID), burr.WithPartitionKey(pk), burr.WithPersister(p),
		burr.WithInitializeFrom(p, init...))
	return burr.New(ctx, opts...)
}

func step(t *testing.T, app *burr.Application, wantAction string, wantSeq int) burr.State {
	t.Helper()
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatalf("step (want %s at sequence id %d): %v", wantAction, wantSeq, err)
	}
	if res.Action == nil || res.Action.Name() != wantAction {
		t.Fatalf("step ran %v, want %s", res.Action, wantAction)
	}
	if seq, _ := res.State.SequenceID(); seq != wantSeq {
		t.Fatalf("step %s: sequence id %d, want %d", wantAction, seq, wantSeq)
	}
	return res.State
}

func counter(s burr.State) any { return s.Value("counter") }

func testApplication(t *testing.T, p burr.Persister) {
	const pk, id = "user", "conversation"
	c := &counterApp{limit: 5}

	// A first run: nothing stored, so the defaults apply.
	app := c.build(t, p, pk, id, burr.ResumeAtNextAction())
	step(t, app, "start", 0)
	step(t, app, "count", 1)
	step(t, app, "count", 2)
	if r := load(t, p, pk, id, burr.Latest); r.SequenceID != 2 || r.Position != "count" || counter(r.State) != 2 {
		t.Fatalf("after three steps the latest record is (%d, %s, counter %v), want (2, count, 2)", r.SequenceID, r.Position, counter(r.State))
	}

	// A restart resumes after the last completed step.
	app = c.build(t, p, pk, id, burr.ResumeAtNextAction())
	if got := counter(app.State()); got != 2 {
		t.Fatalf("resumed counter = %v (%T), want int 2", got, got)
	}
	if next, err := app.NextAction(); err != nil || next == nil || next.Name() != "count" {
		t.Fatalf("resumed next action = %v, %v; want count", next, err)
	}
	step(t, app, "count", 3)

	// A failing step is saved as failed, with the state before the step.
	c.fail.Store(true)
	if _, err := app.Step(t.Context()); !errors.Is(err, errInjected) {
		t.Fatalf("failing step: error = %v, want the injected failure", err)
	}
	c.fail.Store(false)
	if got := counter(app.State()); got != 3 {
		t.Fatalf("after a failed step the counter is %v, want 3 (not advanced)", got)
	}
	failed := load(t, p, pk, id, burr.Latest)
	if failed.SequenceID != 4 || failed.Status != burr.StatusFailed || failed.Position != "count" || counter(failed.State) != 3 {
		t.Fatalf("failed record = (%d, %s, %s, counter %v), want (4, failed, count, 3)",
			failed.SequenceID, failed.Status, failed.Position, counter(failed.State))
	}

	// Resuming after a failure retries the failed action.
	app = c.build(t, p, pk, id, burr.ResumeAtNextAction())
	if next, err := app.NextAction(); err != nil || next == nil || next.Name() != "count" {
		t.Fatalf("next action after resuming a failure = %v, %v; want count (retried)", next, err)
	}
	if s := step(t, app, "count", 5); counter(s) != 4 {
		t.Fatalf("retried count: counter %v, want 4", counter(s))
	}

	// A fork from sequence id 2 starts a new app from that record.
	fork := c.build(t, p, pk, "fork", burr.ResumeAtNextAction(), burr.ForkFrom(burr.AppRef{AppID: id, PartitionKey: pk}.At(2)))
	if parent := fork.Parent(); parent == nil || parent.AppID != id || parent.SequenceID != 2 || parent.PartitionKey != pk {
		t.Fatalf("fork parent = %+v, want {%s 2 %s}", parent, id, pk)
	}
	if got := counter(fork.State()); got != 2 {
		t.Fatalf("forked counter = %v, want 2", got)
	}
	if s := step(t, fork, "count", 3); counter(s) != 3 {
		t.Fatalf("fork step: counter %v, want 3", counter(s))
	}
	if r := load(t, p, pk, "fork", burr.Latest); r.SequenceID != 3 || counter(r.State) != 3 {
		t.Fatalf("fork's latest record = (%d, counter %v), want (3, 3)", r.SequenceID, counter(r.State))
	}
	if r := load(t, p, pk, id, burr.Latest); r.SequenceID != 5 || counter(r.State) != 4 {
		t.Fatalf("forking changed the parent: latest (%d, counter %v), want (5, 4)", r.SequenceID, counter(r.State))
	}
	// A plain resume has no parent.
	if app.Parent() != nil {
		t.Errorf("resumed (not forked) app has parent %+v, want none", app.Parent())
	}

	// Without ResumeAtNextAction the loaded state restarts at the default
	// entrypoint, and the sequence ids carry on.
	app = c.build(t, p, pk, id)
	if next, err := app.NextAction(); err != nil || next == nil || next.Name() != "start" {
		t.Fatalf("next action without resume = %v, %v; want start", next, err)
	}
	if s := step(t, app, "start", 6); counter(s) != 4 {
		t.Fatalf("restart kept counter %v, want 4", counter(s))
	}

	// Finish the run.
	res, err := app.Run(t.Context(), burr.HaltAfter("done"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Action == nil || res.Action.Name() != "done" || counter(res.State) != 5 {
		t.Fatalf("run ended at %v with counter %v, want done with 5", res.Action, counter(res.State))
	}
	if r := load(t, p, pk, id, burr.Latest); r.SequenceID != 8 || r.Position != "done" {
		t.Fatalf("final record = (%d, %s), want (8, done)", r.SequenceID, r.Position)
	}
	ids, err := p.ListAppIDs(t.Context(), pk)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != id || ids[1] != "fork" {
		t.Errorf("ListAppIDs = %q, want [%s fork]", ids, id)
	}
}

// RunShared checks that two persisters over the same storage — as two servers
// would have — let two Applications with the same app id share the work
// safely: the second writer of a sequence id gets an error wrapping
// [burr.ErrConflict], nothing is overwritten, and the loser, once it has
// reloaded, continues from the winner's step, so no step is lost or run twice
// in the record. a and b may be the same persister.
func RunShared(t *testing.T, a, b burr.Persister) {
	t.Helper()
	const pk = "fleet"
	id := fmt.Sprintf("shared-%p-%p", a, b)
	c := &counterApp{limit: 40}

	// Deterministic part: both start from nothing; the second to save loses.
	appA := c.build(t, a, pk, id, burr.ResumeAtNextAction())
	appB := c.build(t, b, pk, id, burr.ResumeAtNextAction())
	step(t, appA, "start", 0)
	before := appB.State()
	_, err := appB.Step(t.Context())
	if !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("second writer of sequence id 0: error = %v, want one wrapping burr.ErrConflict", err)
	}
	if got := appB.State(); counter(got) != counter(before) || got.Has("started") {
		t.Fatalf("the loser's state advanced to %v", got)
	}
	if r := load(t, b, pk, id, 0); r.Position != "start" || r.Status != burr.StatusCompleted {
		t.Fatalf("record 0 = (%s, %s), want the winner's (start, completed)", r.Position, r.Status)
	}
	appB = c.build(t, b, pk, id, burr.ResumeAtNextAction())
	step(t, appB, "count", 1)
	if _, err := appA.Step(t.Context()); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("stale writer of sequence id 1: error = %v, want one wrapping burr.ErrConflict", err)
	}

	// Both race to the end, reloading whenever they lose.
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	errs := make(chan error, 2)
	for _, p := range []burr.Persister{a, b} {
		wg.Go(func() {
			ctx := context.Background()
			app, err := c.tryBuild(ctx, p, pk, id, burr.ResumeAtNextAction())
			for err == nil {
				var res burr.StepResult
				res, err = app.Step(ctx)
				if errors.Is(err, burr.ErrConflict) {
					conflicts.Add(1)
					app, err = c.tryBuild(ctx, p, pk, id, burr.ResumeAtNextAction())
					continue
				}
				if errors.Is(err, burr.ErrEndOfGraph) && res.Action == nil {
					return // the graph has ended
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d conflicts while racing", conflicts.Load())

	// Every sequence id is stored once, in order, and the counter never skips.
	last := load(t, a, pk, id, burr.Latest)
	if last.Position != "done" || counter(last.State) != c.limit {
		t.Fatalf("latest record = (%s, counter %v), want (done, %d)", last.Position, counter(last.State), c.limit)
	}
	if last.SequenceID != c.limit+1 {
		t.Fatalf("latest sequence id = %d, want %d: a step was lost or repeated", last.SequenceID, c.limit+1)
	}
	for seq := 0; seq <= last.SequenceID; seq++ {
		r := load(t, b, pk, id, seq)
		want := "count"
		switch seq {
		case 0:
			want = "start"
		case last.SequenceID:
			want = "done"
		}
		if r.Status != burr.StatusCompleted || r.Position != want {
			t.Fatalf("record %d = (%s, %s), want (%s, completed)", seq, r.Position, r.Status, want)
		}
		if seq > 0 && seq < last.SequenceID && counter(r.State) != seq {
			t.Fatalf("record %d: counter %v, want %d", seq, counter(r.State), seq)
		}
	}
}
