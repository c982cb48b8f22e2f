package burr_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/burrgo/burr"
)

// fakeStore is a minimal Persister for the core's tests.
type fakeStore struct {
	mu      sync.Mutex
	records []burr.Record
	failOn  int // fail the save of this sequence id, when >= 0
}

func newFakeStore() *fakeStore { return &fakeStore{failOn: -1} }

func (f *fakeStore) Save(_ context.Context, r burr.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.SequenceID == f.failOn {
		return errors.New("disk full")
	}
	for _, x := range f.records {
		if x.AppID == r.AppID && x.PartitionKey == r.PartitionKey && x.SequenceID == r.SequenceID {
			return fmt.Errorf("save %s/%d: %w", r.AppID, r.SequenceID, burr.ErrConflict)
		}
	}
	f.records = append(f.records, r)
	return nil
}

func (f *fakeStore) Load(_ context.Context, at burr.StepRef) (burr.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best *burr.Record
	for i, x := range f.records {
		if x.AppRef != at.AppRef || (at.SequenceID != burr.Latest && x.SequenceID != at.SequenceID) {
			continue
		}
		if best == nil || x.SequenceID > best.SequenceID {
			best = &f.records[i]
		}
	}
	if best == nil {
		return burr.Record{}, burr.ErrNotFound
	}
	return *best, nil
}

func TestPersistSaveFailureDoesNotAdvance(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	store.failOn = 1
	app := counterApp(t, burr.WithPersister(store))
	if _, err := app.Step(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := app.Step(ctx)
	wantErrContains(t, err, "disk full", "sequence id 1")
	if count.Or(app.State(), 0) != 1 {
		t.Fatalf("state advanced past what was saved: %v", app.State())
	}
	// A conflict is reported as such.
	other := counterApp(t, burr.WithPersister(store))
	_ = other
	store.failOn = -1
	dup := counterApp(t, burr.WithAppID(app.Ref().AppID), burr.WithPersister(store))
	_, err = dup.Step(ctx)
	if !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("want ErrConflict, got %v", err)
	}
	// The loser is stale until rebuilt: it cannot save from its stale state.
	_, err = dup.Step(ctx)
	wantErrContains(t, err, "lost a write conflict", "WithInitializeFrom")
	if !errors.Is(err, burr.ErrConflict) || len(store.records) != 1 {
		t.Fatalf("stale app kept going: %v, %d records", err, len(store.records))
	}
	reloaded := mustNew(t, burr.WithActions(counterAction("counter")), burr.WithTransitions(burr.From("counter").To("counter")), burr.WithAppID(app.Ref().AppID), burr.WithPersister(store),
		burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.ResumeAtNextAction()))
	if _, err := reloaded.Step(ctx); err != nil || count.Or(reloaded.State(), 0) != 2 {
		t.Fatal(reloaded.State(), err)
	}
}

// uninitialized is a store whose schema is missing.
type uninitialized struct{ fakeStore }

func (*uninitialized) Initialize(context.Context) error          { return nil }
func (*uninitialized) Initialized(context.Context) (bool, error) { return false, nil }

var _ burr.Initializer = (*uninitialized)(nil)

func TestUninitializedPersister(t *testing.T) {
	_, err := burr.New(context.Background(), burr.WithActions(counterAction("c")), burr.WithEntrypoint("c"),
		burr.WithPersister(&uninitialized{}))
	wantErrContains(t, err, "not initialized", "Initialize")
}

func TestPersistStreamSavesOnce(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	app := mustNew(t, burr.WithActions(streamCounter("s")), burr.WithTransitions(burr.From("s").To("s")), burr.WithEntrypoint("s"),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithPersister(store))
	s, err := app.StreamResult(ctx, burr.HaltAfter("s"))
	if err != nil {
		t.Fatal(err)
	}
	s.Get()
	s, _ = app.StreamResult(ctx, burr.HaltAfter("s"))
	for range s.All() {
		break
	}
	if len(store.records) != 2 || store.records[0].Status != burr.StatusCompleted || store.records[1].Status != burr.StatusFailed ||
		count.Or(store.records[1].State, -1) != 1 {
		t.Fatalf("records %+v", store.records)
	}
}

type redactingHook struct{}

func TestHookCannotChangeWhatIsPersisted(t *testing.T) {
	store := newFakeStore()
	app := counterApp(t, burr.WithHooks(redactingHook{}), burr.WithPersister(store))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := count.Or(store.records[0].State, 0); got != 1 || count.Or(app.State(), 0) != 1 {
		t.Fatalf("persisted %d, committed %d", got, count.Or(app.State(), 0))
	}
}

// ctxSaver fails a save whose context is done, as database drivers do.
type ctxSaver struct{ fakeStore }

func TestFailedStepSavedAfterCallerCancels(t *testing.T) {
	store := &ctxSaver{fakeStore: *newFakeStore()}
	app := mustNew(t, burr.WithActions(chars().Bind(burr.Inputs{"prefix": ""})), burr.WithEntrypoint("chars"),
		burr.WithState(burr.State{}.Set("input_variable", "abcdef")), burr.WithPersister(store))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := app.StreamResult(ctx, burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	for range st.All() {
		cancel()
	}
	if !errors.Is(st.Err(), context.Canceled) || len(store.records) != 1 || store.records[0].Status != burr.StatusFailed {
		t.Fatalf("err %v, records %+v", st.Err(), store.records)
	}
}

func (redactingHook) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	e.State = e.State.Set("count", -1)
	return nil
}

func (c *ctxSaver) Save(ctx context.Context, r burr.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.fakeStore.Save(ctx, r)
}
