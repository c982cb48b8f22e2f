package persisttest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
	"github.com/burrgo/burr/persist/persisttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The suite passes on the reference persister, and on two persisters sharing
// one store.
func TestSuite(t *testing.T) {
	persisttest.Run(t, func(t *testing.T) burr.Persister { return memory.New() })
	p := memory.New()
	persisttest.RunShared(t, p, p)
}

// failingSaver fails (or panics) from the given save on.
type failingSaver struct {
	inner    burr.Saver
	failFrom int
	panics   bool
	saves    int
}

var errDiskFull = errors.New("disk full")

func (f *failingSaver) Save(ctx context.Context, r burr.Record) error {
	f.saves++
	if f.saves > f.failFrom {
		if f.panics {
			panic("saver exploded")
		}
		return errDiskFull
	}
	return f.inner.Save(ctx, r)
}

// A save that fails fails the step: the error comes back and the state does
// not advance past what was saved.
func TestFailingSaver(t *testing.T) {
	for _, panics := range []bool{false, true} {
		store := memory.New()
		saver := &failingSaver{inner: store, failFrom: 2, panics: panics}
		inc := burr.NewAction("inc", func(ctx context.Context, s burr.State) (burr.State, error) {
			return s.Increment("n", 1)
		}, burr.Reads("n"), burr.Writes("n"))
		app, err := burr.New(t.Context(), burr.WithActions(inc), burr.WithTransitions(burr.From("inc").To("inc")),
			burr.WithState(burr.State{}.Set("n", 0)), burr.WithEntrypoint("inc"), burr.WithPersister(saver), burr.WithAppID("a"))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := app.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		res, err := app.Step(t.Context())
		if err == nil {
			t.Fatalf("panics=%v: a step whose save failed succeeded", panics)
		}
		if !panics && !errors.Is(err, errDiskFull) {
			t.Errorf("error = %v, want one wrapping the saver's", err)
		}
		if panics && !strings.Contains(err.Error(), "saver exploded") {
			t.Errorf("error = %v, want one carrying the panic", err)
		}
		if n := app.State().Value("n"); n != 2 {
			t.Errorf("panics=%v: state advanced to n=%v after a failed save, want 2", panics, n)
		}
		if n := res.State.Value("n"); n != 2 {
			t.Errorf("panics=%v: the step's result state has n=%v, want 2", panics, n)
		}
		// A Run stops at the failing step too.
		if _, err := app.Run(t.Context(), burr.HaltAfter("inc")); err == nil {
			t.Errorf("panics=%v: Run with a failing saver succeeded", panics)
		}
		if n := app.State().Value("n"); n != 2 {
			t.Errorf("panics=%v: Run advanced the state to n=%v", panics, n)
		}
		r, err := store.Load(t.Context(), burr.AppRef{AppID: "a"}.At(burr.Latest))
		if err != nil || r.SequenceID != 1 || r.State.Value("n") != 2 {
			t.Errorf("panics=%v: stored latest = (%d, n=%v), %v; want (1, 2)", panics, r.SequenceID, r.State.Value("n"), err)
		}
	}
}
