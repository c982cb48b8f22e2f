package burr_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

func TestSpansDoNotCrossApplications(t *testing.T) {
	rec := &recorder{}
	child := burr.NewAction("child", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := burr.StartSpan(ctx, "child-span")
		sp.End()
		return s, nil
	})
	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		ctx, sp := burr.StartSpan(ctx, "parent-span")
		defer sp.End()
		app, err := burr.New(ctx, burr.WithActions(child), burr.WithEntrypoint("child"), burr.WithSequenceID(10), burr.WithHooks(rec))
		if err != nil {
			return s, err
		}
		_, err = app.Run(ctx)
		return s, err
	})
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithHooks(rec))
	if _, err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if indexOf(rec.list(), "span_start 11:0 child-span parent=") < 0 {
		t.Fatal(rec.list())
	}
}

func TestCloseWithContextHonouringAction(t *testing.T) {
	started := make(chan struct{})
	a := burr.NewStreamingAction("s", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		y(1)
		close(started)
		<-ctx.Done()
		return nil, s, ctx.Err()
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("s"))
	st, err := app.StreamResult(context.Background(), burr.HaltAfter("s"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-started; st.Close() }()
	for range st.All() {
	}
	if _, _, err := st.Get(); !errors.Is(err, burr.ErrStreamClosed) {
		t.Fatalf("want ErrStreamClosed, got %v", err)
	}
}

func TestStopFromAnotherGoroutineDuringPull(t *testing.T) {
	app := mustNew(t, burr.WithActions(chars().Bind(burr.Inputs{"prefix": ""})), burr.WithEntrypoint("chars"),
		burr.WithState(burr.State{}.Set("input_variable", string(make([]byte, 100)))))
	st, err := app.StreamResult(context.Background(), burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	st.Next()
	got := make(chan int)
	go func() {
		n := 1
		for st.Next() {
			n++
			time.Sleep(20 * time.Microsecond)
		}
		got <- n
	}()
	time.Sleep(time.Millisecond)
	if err := st.Stop(); err != nil {
		t.Fatal(err)
	}
	n := <-got
	r, st2, err := st.Get()
	if err != nil || n >= 100 || len(r["output_variable"].(string)) < n-1 || st2.Value("output_variable") != r["output_variable"] {
		t.Fatalf("puller saw %d items; result %d chars; err %v", n, len(r["output_variable"].(string)), err)
	}
}

func TestKeyOverflow(t *testing.T) {
	s := burr.State{}.Set("a", 300).Set("b", uint64(1<<63)).Set("c", 1e19).Set("neg", -1).Set("big", 1<<60+1)
	for name, err := range map[string]error{
		"int8":    get[int8](s, "a"),
		"uint8":   get[uint8](s, "a"),
		"uint64":  get[int](s, "b"),
		"float":   get[int](s, "c"),
		"neg":     get[uint](s, "neg"),
		"float32": get[float32](s, "big"),
	} {
		if err == nil {
			t.Errorf("%s: overflow not reported", name)
		}
	}
	if v, err := burr.Key[int16]("a").Get(s); err != nil || v != 300 {
		t.Fatal(v, err)
	}
}

func get[T any](s burr.State, k string) error {
	_, err := burr.Key[T](k).Get(s)
	return err
}

func TestWriteCheckByValue(t *testing.T) {
	initial := burr.State{}.Set("x", 1).Set("secret", "s").Set("count", 0)
	overwrite := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return burr.StateFrom(map[string]any{"count": 1, "x": 1, "secret": "overwritten"}), nil
	}, burr.Writes("count"))
	_, err := runOne(t, overwrite, initial, nil)
	wantErrContains(t, err, "secret", "did not declare")

	rebuild := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return burr.StateFrom(s.WithoutInternal().Map()).Set("count", 1), nil
	}, burr.Writes("count"))
	var loaded burr.State
	b, _ := json.Marshal(initial.Set("zeta", []any{1}))
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	for _, s := range []burr.State{initial, loaded} {
		if _, err := runOne(t, rebuild, s, nil); err != nil {
			t.Fatalf("rebuilding the same values was rejected: %v", err)
		}
	}
	merge := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Subset("count").Set("count", 1).Merge(s.Subset("x", "secret")), nil
	}, burr.Writes("count"))
	if _, err := runOne(t, merge, initial, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSubsetDeduplicates(t *testing.T) {
	sub := burr.State{}.Set("a", 1).Set("b", 2).Subset("a", "a")
	if !reflect.DeepEqual(sub.Keys(), []string{"a"}) {
		t.Fatal(sub.Keys())
	}
}

func TestExprLetIsNotAKey(t *testing.T) {
	c := burr.Expr("let y = count + 1; y > 3")
	if !reflect.DeepEqual(c.Keys(), []string{"count"}) {
		t.Fatal(c.Keys())
	}
	ok, err := c.Evaluate(burr.State{}.Set("count", 3))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
}

func TestDefaultIsNotDetectedByName(t *testing.T) {
	named := burr.Predicate("default", nil, func(burr.State) bool { return false })
	_, err := burr.NewGraph([]*burr.Action{counterAction("a"), counterAction("b")},
		burr.From("a").To("b", named), burr.From("a").To("a"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestAppendNilToTypedSlice(t *testing.T) {
	_, err := burr.State{}.Set("l", []int{1}).Append("l", nil)
	wantErrContains(t, err, `"l"`, "want int", "nil")
}

func TestStoppingWakesASilentAction(t *testing.T) {
	a := burr.NewStreamingAction("slow", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		y("first")
		select { // a model that goes quiet before its next token
		case <-burr.Stopping(ctx):
		case <-time.After(10 * time.Second):
			return nil, s, errors.New("never stopped")
		}
		return burr.Result{"text": "first"}, s.Set("text", "first"), nil
	}, burr.Writes("text"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("slow"))
	st, err := app.StreamResult(context.Background(), burr.HaltAfter("slow"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range st.All() {
		}
		close(done)
	}()
	time.Sleep(10 * time.Millisecond)
	st.Stop()
	<-done
	if _, s, err := st.Get(); err != nil || s.Value("text") != "first" {
		t.Fatal(s, err)
	}
	if burr.Stopping(context.Background()) != nil {
		t.Fatal("Stopping outside a stream")
	}
}

func TestCloseAfterStopCancels(t *testing.T) {
	a := burr.NewStreamingAction("stuck", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		y("first")
		<-ctx.Done() // ignores Stop, honours cancellation
		return nil, s, ctx.Err()
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("stuck"))
	st, _ := app.StreamResult(context.Background(), burr.HaltAfter("stuck"))
	done := make(chan struct{})
	go func() {
		for range st.All() {
		}
		close(done)
	}()
	time.Sleep(10 * time.Millisecond)
	st.Stop()
	st.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close after Stop did not cancel the action")
	}
	if _, _, err := st.Get(); !errors.Is(err, burr.ErrStreamClosed) {
		t.Fatal(err)
	}
}

type redactingHook struct{}

func (redactingHook) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	e.State = e.State.Set("count", -1)
	return nil
}

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

func (c *ctxSaver) Save(ctx context.Context, r burr.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.fakeStore.Save(ctx, r)
}

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

func TestPanicInRangeAfterNextCompletes(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(streamCounter("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	st, _ := app.StreamResult(context.Background(), burr.HaltAfter("counter"))
	st.Next()
	func() {
		defer func() { recover() }()
		for range st.All() {
			panic("handler bug")
		}
	}()
	if _, err := app.Step(context.Background()); err != nil || rec.count("end_stream") != 1 {
		t.Fatal(err, rec.list())
	}
}

// closer closes or stops the stream from a hook, on the consumer's own path.
type closer struct {
	st   **burr.Stream
	stop bool
}

func (h closer) PostStreamItem(_ context.Context, e *burr.StreamItem) error {
	if e.Index == 1 && !h.stop {
		(*h.st).Close()
	}
	return nil
}

func (h closer) PostEndStream(context.Context, *burr.StreamEnd) error {
	if h.stop {
		(*h.st).Stop()
	}
	return nil
}

func TestCloseAndStopFromHooksDoNotDeadlock(t *testing.T) {
	for _, c := range []struct {
		name       string
		stop, pull bool
	}{{"close from item hook, pulling", false, true}, {"close from item hook, ranging", false, false}, {"stop from end hook, ranging", true, false}} {
		t.Run(c.name, func(t *testing.T) {
			var st *burr.Stream
			app := mustNew(t, burr.WithActions(streamCounter("counter")), burr.WithEntrypoint("counter"),
				burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(closer{st: &st, stop: c.stop}))
			st, _ = app.StreamResult(context.Background(), burr.HaltAfter("counter"))
			done := make(chan struct{})
			go func() {
				defer close(done)
				if c.pull {
					for st.Next() {
					}
				} else {
					for range st.All() {
					}
				}
			}()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("deadlock")
			}
			_, _, err := st.Get()
			if !c.stop && !errors.Is(err, burr.ErrStreamClosed) {
				t.Fatal(err)
			}
		})
	}
}

func TestAbandonDoesNotHoldUpOtherCleanups(t *testing.T) {
	release := make(chan struct{})
	a := burr.NewStreamingAction("s", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		y(1)
		<-release // a slow wind-down
		return nil, s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("s"))
	func() {
		st, _ := app.StreamResult(context.Background(), burr.HaltAfter("s"))
		st.Next()
	}()
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	var ran atomic.Int32
	for range 16 {
		p := new([64]byte)
		runtime.AddCleanup(p, func(*atomic.Int32) { ran.Add(1) }, &ran)
	}
	deadline := time.Now().Add(3 * time.Second)
	for ran.Load() < 16 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if ran.Load() < 16 {
		t.Fatalf("only %d of 16 other cleanups ran while a stream was being abandoned", ran.Load())
	}
	for deadline := time.Now().Add(3 * time.Second); ; {
		if _, err := app.Step(context.Background()); !errors.Is(err, burr.ErrBusy) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("application still busy")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
