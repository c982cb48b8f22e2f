package burr_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
	"github.com/burrgo/burr/persist/sqlite"
)

// turnApp builds an application over store whose one action, "turn", counts
// its executions in runs; each pre-run-step hook call counts in starts.
func turnApp(ctx context.Context, store burr.Persister, id string, runs, starts *atomic.Int64, ttl time.Duration) (*burr.Application, error) {
	turn := burr.NewAction("turn", func(_ context.Context, s burr.State) (burr.State, error) {
		runs.Add(1)
		return s.Increment("turns", 1)
	}, burr.Reads("turns"), burr.Writes("turns"))
	return burr.New(ctx, burr.WithActions(turn), burr.WithTransitions(burr.From("turn").To("turn")),
		burr.WithAppID(id), burr.WithPersister(store), burr.WithClaims(ttl),
		burr.WithHooks(claimStartCounter{starts}),
		burr.WithInitializeFrom(store, burr.ResumeAtNextAction(),
			burr.DefaultState(burr.State{}.Set("turns", 0)), burr.DefaultEntrypoint("turn")))
}

type claimStartCounter struct{ n *atomic.Int64 }

func (c claimStartCounter) PreRunStep(context.Context, *burr.StepStart) error {
	c.n.Add(1)
	return nil
}

// Twenty servers, each with its own connection to one SQLite file and its own
// Application of one conversation, run the same turn at once: the action runs
// once; the others get ErrConflict before any hook or action, keep their
// state, and stay stale.
func TestClaimsOneWinnerOfTwenty(t *testing.T) {
	const servers = 20
	path := filepath.Join(t.TempDir(), "claims.db")
	var runs, starts atomic.Int64
	apps := make([]*burr.Application, servers)
	for i := range apps {
		store, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if i == 0 {
			// The conversation has one turn already.
			first, err := turnApp(t.Context(), store, "conversation", &runs, &starts, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
			runs.Store(0)
			starts.Store(0)
		}
		if apps[i], err = turnApp(t.Context(), store, "conversation", &runs, &starts, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, servers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, app := range apps {
		wg.Go(func() {
			<-start
			_, errs[i] = app.Step(context.Background())
		})
	}
	close(start)
	wg.Wait()

	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, burr.ErrConflict):
			t.Errorf("server %d: error = %v, want nil or one wrapping burr.ErrConflict", i, err)
		case !strings.Contains(err.Error(), "sequence id 1") || !strings.Contains(err.Error(), `"turn"`):
			t.Errorf("server %d: error %q does not name the action and the sequence id", i, err)
		}
	}
	if winners != 1 || runs.Load() != 1 || starts.Load() != 1 {
		t.Fatalf("%d servers ran the turn, the action ran %d times, the pre-run-step hooks %d times; want 1, 1, 1",
			winners, runs.Load(), starts.Load())
	}
	for i, app := range apps {
		want := 1
		if errs[i] == nil {
			want = 2
		}
		if got := app.State().Value("turns"); got != want {
			t.Errorf("server %d: turns = %v, want %d", i, got, want)
		}
		if errs[i] == nil {
			continue
		}
		if _, err := app.Step(t.Context()); !errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "WithInitializeFrom") {
			t.Errorf("server %d, stale: error = %v, want ErrConflict saying to reload", i, err)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("a stale Application ran its action")
	}
}

// A claim left by a server that crashed before saving blocks the step until
// it expires, by the store's clock; then the step runs.
func TestClaimsExpire(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "claims.db"), sqlite.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var runs, starts atomic.Int64
	build := func() *burr.Application {
		t.Helper()
		app, err := turnApp(t.Context(), store, "c", &runs, &starts, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	if _, err := build().Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The crashed server claimed step 1 for a minute and never saved it.
	if err := store.Claim(t.Context(), burr.AppRef{AppID: "c"}.At(1), time.Minute); err != nil {
		t.Fatal(err)
	}
	advance(59 * time.Second)
	if _, err := build().Step(t.Context()); !errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "claimed until") {
		t.Fatalf("step 1 while the crashed server's claim lives: error = %v, want ErrConflict saying it is claimed", err)
	}
	if runs.Load() != 1 {
		t.Fatalf("the action ran %d times, want 1 (step 0 only)", runs.Load())
	}
	advance(time.Second)
	app := build()
	if _, err := app.Step(t.Context()); err != nil {
		t.Fatalf("step 1 once the claim expired: %v", err)
	}
	if got := app.State().Value("turns"); got != 2 || runs.Load() != 2 {
		t.Fatalf("turns = %v after %d runs, want 2 after 2", got, runs.Load())
	}
}

// A streamed step is claimed when StreamResult returns its stream, before the
// action starts: a second writer's StreamResult fails at once.
func TestClaimsStream(t *testing.T) {
	store := memory.New()
	var started atomic.Int64
	chat := burr.NewStreamingAction("chat", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		started.Add(1)
		yield("hi")
		return burr.Result{"answer": "hi"}, s.Set("answer", "hi"), nil
	}, burr.Writes("answer"))
	build := func() *burr.Application {
		t.Helper()
		app, err := burr.New(t.Context(), burr.WithActions(chat), burr.WithTransitions(burr.From("chat").To("chat")),
			burr.WithAppID("c"), burr.WithPersister(store), burr.WithClaims(time.Minute),
			burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("chat")))
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	a, b := build(), build()
	stream, err := a.StreamResult(t.Context(), burr.HaltAfter("chat"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.StreamResult(t.Context(), burr.HaltAfter("chat")); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("second writer's StreamResult: error = %v, want one wrapping burr.ErrConflict", err)
	}
	if started.Load() != 0 {
		t.Fatal("an action started before its stream was read")
	}
	if _, _, err := stream.Get(); err != nil {
		t.Fatal(err)
	}
	if started.Load() != 1 {
		t.Fatalf("the action started %d times, want 1", started.Load())
	}
}

// noClaims is a persister without the Claimer capability.
type noClaims struct{ burr.Persister }

func TestWithClaimsNeedsAClaimer(t *testing.T) {
	a := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	for _, tc := range []struct {
		opts []burr.Option
		want string
	}{
		{[]burr.Option{burr.WithPersister(noClaims{memory.New()}), burr.WithClaims(time.Minute)}, "burr_test.noClaims cannot claim steps"},
		{[]burr.Option{burr.WithClaims(time.Minute)}, "WithClaims needs WithPersister"},
		{[]burr.Option{burr.WithPersister(memory.New()), burr.WithClaims(0)}, "WithClaims(0s): the ttl must be positive"},
	} {
		_, err := burr.New(t.Context(), append(tc.opts, burr.WithActions(a), burr.WithEntrypoint("a"))...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error = %v, want one containing %q", err, tc.want)
		}
	}
}

// failingClaimer fails every claim with a store error.
type failingClaimer struct {
	*memory.Persister
	panics bool
}

func (f failingClaimer) Claim(context.Context, burr.StepRef, time.Duration) error {
	if f.panics {
		panic("claimer exploded")
	}
	return errors.New("connection refused")
}

// A claim that fails for another reason than a conflict fails the call
// without starting the step, and leaves the Application usable.
func TestClaimFailureIsNotAConflict(t *testing.T) {
	for _, panics := range []bool{false, true} {
		var runs, starts atomic.Int64
		store := failingClaimer{Persister: memory.New(), panics: panics}
		app, err := turnApp(t.Context(), store, "c", &runs, &starts, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, err := app.Step(t.Context())
			if err == nil || errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "claiming sequence id 0") {
				t.Fatalf("panics=%v: error = %v, want the claim's failure", panics, err)
			}
			var pe *burr.PanicError
			if panics != errors.As(err, &pe) {
				t.Fatalf("panics=%v: error = %v", panics, err)
			}
		}
		if runs.Load() != 0 || starts.Load() != 0 {
			t.Fatalf("the step started after a failed claim")
		}
		if _, err := store.Load(t.Context(), burr.AppRef{AppID: "c"}.At(burr.Latest)); !errors.Is(err, burr.ErrNotFound) {
			t.Fatalf("a record was saved for a step that never started: %v", err)
		}
	}
}

// Two servers hold Applications of the same conversation. With WithClaims,
// the second to start the next step learns at once that it lost, before its
// action (and the model it would call) runs.
func ExampleWithClaims() {
	ctx := context.Background()
	store := memory.New() // or sqlite, postgres, redis: every backend of this module claims
	answer := burr.NewAction("answer", func(_ context.Context, s burr.State) (burr.State, error) {
		fmt.Println("calling the model")
		return s.Increment("answers", 1)
	}, burr.Reads("answers"), burr.Writes("answers"))
	load := func() *burr.Application {
		app, err := burr.New(ctx, burr.WithActions(answer), burr.WithTransitions(burr.From("answer").To("answer")),
			burr.WithAppID("conversation-1"), burr.WithPersister(store), burr.WithClaims(time.Minute),
			burr.WithInitializeFrom(store, burr.ResumeAtNextAction(),
				burr.DefaultState(burr.State{}.Set("answers", 0)), burr.DefaultEntrypoint("answer")))
		if err != nil {
			panic(err)
		}
		return app
	}
	first, second := load(), load()
	if _, err := first.Step(ctx); err != nil {
		panic(err)
	}
	_, err := second.Step(ctx)
	fmt.Println(errors.Is(err, burr.ErrConflict))
	// Output:
	// calling the model
	// true
}
