package burr_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/sqlite"
	"github.com/burrgo/burr/tracking"
)

// approval asks whether to run the tool call in state, then records the
// decision. Its runs are counted.
func approval(runs *int) *burr.Action {
	return burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		*runs++
		ans, err := burr.Ask(ctx, map[string]any{"question": "run the tool?", "tool": s.Value("tool")})
		if err != nil {
			return s, err
		}
		return s.Set("approved", ans), nil
	}, burr.Reads("tool"), burr.Writes("approved"))
}

func approvalOpts(runs *int) []burr.Option {
	propose := burr.NewAction("propose", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("tool", "search"), nil
	}, burr.Writes("tool"))
	done := burr.NewAction("done", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	return []burr.Option{burr.WithActions(propose, approval(runs), done),
		burr.WithTransitions(burr.From("propose").To("approve"), burr.From("approve").To("done"))}
}

func TestInterruptStepAndResume(t *testing.T) {
	ctx := t.Context()
	tr, err := tracking.NewLocal("ask", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	runs, store := 0, newFakeStore()
	app := mustNew(t, append(approvalOpts(&runs), burr.WithEntrypoint("propose"), burr.WithPersister(store), burr.WithHooks(tr))...)
	if _, err := app.Step(ctx); err != nil {
		t.Fatal(err)
	}
	before := app.State()
	res, err := app.Step(ctx)
	var intr *burr.Interrupt
	if !errors.As(err, &intr) || intr.Action != "approve" || intr.SequenceID != 1 {
		t.Fatalf("error %v: want an *Interrupt of \"approve\" at 1", err)
	}
	if intr.Payload.(map[string]any)["tool"] != "search" || burr.Committed(err) {
		t.Fatalf("payload %v", intr.Payload)
	}
	if res.Action.Name() != "approve" || app.State().Has("approved") || app.State().Has(burr.InterruptKey) ||
		app.State().WithoutInternal().String() != before.WithoutInternal().String() {
		t.Fatalf("state after the interrupt: %v", app.State())
	}
	if got, ok := app.Interrupted(); !ok || got.Payload == nil {
		t.Fatal("Interrupted reports nothing")
	}
	if next, _ := app.NextAction(); next.Name() != "approve" {
		t.Fatalf("next action %v", next)
	}
	// The record and the log.
	last := store.records[len(store.records)-1]
	if last.Status != burr.StatusInterrupted || last.Position != "approve" || last.SequenceID != 1 ||
		last.State.Value(burr.InterruptKey).(map[string]any)["question"] != "run the tool?" {
		t.Fatalf("record %+v", last)
	}
	log, _ := os.ReadFile(filepath.Join(tr.Dir(), app.Ref().AppID, tracking.LogFile))
	if !strings.Contains(string(log), `"key":"interrupt","action_sequence_id":1`) ||
		!strings.Contains(string(log), `is interrupted, waiting for an answer`) {
		t.Fatalf("log:\n%s", log)
	}
	// No answer: a clear refusal; nothing runs.
	_, err = app.Step(ctx)
	if !errors.Is(err, burr.ErrInterrupted) || runs != 1 {
		t.Fatalf("error %v after %d runs", err, runs)
	}
	wantErrContains(t, err, `action "approve"`, "WithAnswer")
	// The answer.
	res, err = app.Step(ctx, burr.WithAnswer("yes"))
	if err != nil || res.Action.Name() != "approve" || app.State().Value("approved") != "yes" {
		t.Fatalf("resume: %+v %v", res, err)
	}
	if _, ok := app.Interrupted(); ok {
		t.Fatal("still interrupted")
	}
	if _, err := app.Step(ctx, burr.WithAnswer("again")); err == nil || !strings.Contains(err.Error(), "not interrupted") {
		t.Fatalf("an answer to no question: %v", err)
	}
}

func TestInterruptRunAndStream(t *testing.T) {
	ctx := t.Context()
	runs := 0
	app := mustNew(t, append(approvalOpts(&runs), burr.WithEntrypoint("propose"))...)
	_, err := app.Run(ctx)
	var intr *burr.Interrupt
	if !errors.As(err, &intr) {
		t.Fatalf("run: %v", err)
	}
	for _, err := range app.Iterate(ctx) {
		if !errors.Is(err, burr.ErrInterrupted) {
			t.Fatalf("iterate without an answer: %v", err)
		}
	}
	res, err := app.Run(ctx, burr.WithAnswer(true))
	if err != nil || res.Action.Name() != "done" || app.State().Value("approved") != true {
		t.Fatalf("%+v %v", res, err)
	}

	// A streaming action asks after its first item.
	ask := burr.NewStreamingAction("ask", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		yield("thinking")
		ans, err := burr.Ask(ctx, "continue?")
		if err != nil {
			return nil, s, err
		}
		return burr.Result{"answer": ans}, s.Set("answer", ans), nil
	}, burr.Writes("answer"))
	sapp := mustNew(t, burr.WithActions(ask), burr.WithEntrypoint("ask"))
	st, err := sapp.StreamResult(ctx, burr.HaltAfter("ask"))
	if err != nil {
		t.Fatal(err)
	}
	for range st.All() {
	}
	if _, _, err := st.Get(); !errors.As(err, &intr) || intr.Payload != "continue?" {
		t.Fatalf("stream: %v", err)
	}
	if _, err := sapp.StreamResult(ctx, burr.HaltAfter("ask")); !errors.Is(err, burr.ErrInterrupted) {
		t.Fatalf("stream without an answer: %v", err)
	}
	st, err = sapp.StreamResult(ctx, burr.HaltAfter("ask"), burr.WithAnswer("go on"))
	if err != nil {
		t.Fatal(err)
	}
	if r, _, err := st.Get(); err != nil || r["answer"] != "go on" {
		t.Fatalf("%v %v", r, err)
	}
}

// TestInterruptInChild: an action of a child application asks; the parent's
// step is interrupted with the same payload, and the parent's answer reaches
// the child's action when the parent resumes.
func TestInterruptInChild(t *testing.T) {
	ctx := t.Context()
	runs := 0
	parent := burr.NewAction("delegate", func(ctx context.Context, s burr.State) (burr.State, error) {
		ac, _ := burr.FromContext(ctx)
		child, err := burr.New(ctx, burr.WithActions(approval(&runs)), burr.WithEntrypoint("approve"),
			burr.WithState(burr.State{}.Set("tool", "shell")), burr.WithSpawningParent(ac.StepRef))
		if err != nil {
			return s, err
		}
		res, err := child.Run(ctx)
		if err != nil {
			return s, err
		}
		return s.Set("child_approved", res.State.Value("approved")), nil
	}, burr.Writes("child_approved"))
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("delegate"))
	_, err := app.Step(ctx)
	var intr *burr.Interrupt
	if !errors.As(err, &intr) || intr.Action != "delegate" || intr.Payload.(map[string]any)["tool"] != "shell" {
		t.Fatalf("error %v", err)
	}
	if _, err := app.Step(ctx, burr.WithAnswer("no")); err != nil || app.State().Value("child_approved") != "no" {
		t.Fatalf("%v, state %v", err, app.State())
	}
}

// sharedStores returns the stores an interrupted application is resumed
// from by another Application: a SQLite file, and PostgreSQL when
// BURR_TEST_POSTGRES_DSN is set.
func sharedStores(t *testing.T) map[string]func() burr.Persister {
	stores := map[string]func() burr.Persister{
		"sqlite": func() burr.Persister {
			path := filepath.Join(t.TempDir(), "shared.db")
			return func() burr.Persister {
				p, err := sqlite.Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				if err := p.Initialize(t.Context()); err != nil {
					t.Fatal(err)
				}
				return p
			}()
		},
	}
	if dsn := os.Getenv(testenv.PostgresDSN); dsn != "" || testenv.InCI() {
		stores["postgres"] = func() burr.Persister {
			dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
			table := fmt.Sprintf("burr_interrupt_%d", time.Now().UnixNano())
			t.Cleanup(func() {
				pool, err := pgxpool.New(context.Background(), dsn)
				if err == nil {
					pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
					pool.Close()
				}
			})
			p, err := postgres.Open(t.Context(), dsn, postgres.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			if err := p.Initialize(t.Context()); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	return stores
}

// TestInterruptResumedElsewhere: an application interrupted in one
// Application is resumed by others loading the shared store; of two
// resumers, exactly one wins.
func TestInterruptResumedElsewhere(t *testing.T) {
	for name, open := range sharedStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			store := open()
			load := func() *burr.Application {
				runs := new(int) // one per Application: they run concurrently
				return mustNew(t, append(approvalOpts(runs), burr.WithAppID("conv-1"), burr.WithPersister(store),
					burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("propose")))...)
			}
			first := load()
			if _, err := first.Run(ctx); !errors.As(err, new(*burr.Interrupt)) {
				t.Fatalf("first run: %v", err)
			}
			a, b := load(), load()
			for _, app := range []*burr.Application{a, b} {
				intr, ok := app.Interrupted()
				if !ok || intr.Action != "approve" || intr.Payload.(map[string]any)["tool"] != "search" {
					t.Fatalf("loaded interrupt %+v %v", intr, ok)
				}
				if app.State().Has(burr.InterruptKey) {
					t.Fatal("the payload leaked into the loaded state")
				}
			}
			if _, err := a.Run(ctx); !errors.Is(err, burr.ErrInterrupted) {
				t.Fatalf("resume without an answer: %v", err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, app := range []*burr.Application{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = app.Step(ctx, burr.WithAnswer(fmt.Sprint("answer ", i)))
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, burr.ErrConflict):
					t.Fatalf("the losing resumer: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d resumers won: %v", won, errs)
			}
			rec, err := store.Load(ctx, burr.AppRef{AppID: "conv-1"}.At(burr.Latest))
			if err != nil || rec.Status != burr.StatusCompleted || rec.Position != "approve" || !strings.HasPrefix(fmt.Sprint(rec.State.Value("approved")), "answer ") {
				t.Fatalf("latest record %+v %v", rec, err)
			}
		})
	}
}

// TestInterruptInRunChild: a child run with RunChild, saved by the shared
// persister, asks; the parent is interrupted; the parent resumed with the
// answer runs the child again, which loads its interrupted record, waits on
// its question and gets the parent's answer.
func TestInterruptInRunChild(t *testing.T) {
	ctx := t.Context()
	runs := 0
	childGraph, err := burr.NewGraph([]*burr.Action{approval(&runs)})
	if err != nil {
		t.Fatal(err)
	}
	sg := burr.NewSubgraph(childGraph, "approve")
	parent := burr.NewAction("delegate", func(ctx context.Context, s burr.State) (burr.State, error) {
		res, err := burr.RunChild(ctx, burr.Task{Subgraph: sg, State: burr.State{}.Set("tool", "shell")})
		if err != nil {
			return s, err
		}
		return s.Set("child_approved", res.State.Value("approved")), nil
	}, burr.Writes("child_approved"))
	store := newFakeStore()
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("delegate"), burr.WithPersister(store))
	_, err = app.Step(ctx)
	var intr *burr.Interrupt
	if !errors.As(err, &intr) || intr.Action != "delegate" {
		t.Fatalf("error %v", err)
	}
	childInterrupted := false
	for _, r := range store.records {
		if r.AppID != app.Ref().AppID && r.Status == burr.StatusInterrupted {
			childInterrupted = true
		}
	}
	if !childInterrupted {
		t.Fatalf("the child's interrupted record was not saved: %+v", store.records)
	}
	if _, err := app.Step(ctx, burr.WithAnswer("approved by parent")); err != nil {
		t.Fatal(err)
	}
	if got := app.State().Value("child_approved"); got != "approved by parent" || runs != 2 {
		t.Fatalf("child_approved %v after %d runs", got, runs)
	}
	// The child that asked is the one that answered: one child app id, with
	// its interrupted record and then its completed one.
	children := map[string][]burr.Status{}
	for _, r := range store.records {
		if r.AppID != app.Ref().AppID {
			children[r.AppID] = append(children[r.AppID], r.Status)
		}
	}
	if len(children) != 1 {
		t.Fatalf("children %v: the resumed step did not resume its child", children)
	}
	for _, st := range children {
		if len(st) != 2 || st[0] != burr.StatusInterrupted || st[1] != burr.StatusCompleted {
			t.Fatalf("child records %v", st)
		}
	}
}

// TestInterruptedWhileRunning: the accessors may be called while a call
// runs (run with -race).
func TestInterruptedWhileRunning(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	block := burr.NewAction("block", func(ctx context.Context, s burr.State) (burr.State, error) {
		close(entered)
		<-release
		_, err := burr.Ask(ctx, "continue?")
		return s, err
	})
	app := mustNew(t, burr.WithActions(block), burr.WithEntrypoint("block"))
	var wg sync.WaitGroup
	wg.Go(func() { app.Step(context.Background()) })
	<-entered
	app.Interrupted()
	app.NextAction()
	close(release)
	wg.Wait()
	if _, ok := app.Interrupted(); !ok {
		t.Fatal("not interrupted")
	}
}
