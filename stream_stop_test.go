package burr_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

func TestStreamStopKeepsPartial(t *testing.T) {
	release := make(chan struct{})
	a := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		var b strings.Builder
		for i := 0; ; i++ {
			if i == 3 {
				close(release)
			}
			tok := fmt.Sprintf("t%d ", i)
			if !y(tok) {
				break
			}
			b.WriteString(tok)
		}
		return burr.Result{"text": b.String()}, s.Set("text", b.String()), nil
	}, burr.Writes("text"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("gen"))
	if err != nil {
		t.Fatal(err)
	}
	// The consumer ranges on one goroutine; "stop generating" comes from another.
	var wg sync.WaitGroup
	var got int
	wg.Go(func() {
		for range s.All() {
			got++
			time.Sleep(time.Millisecond)
		}
	})
	<-release
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	r, st, err := s.Get()
	if err != nil || r["text"] == "" || st.Value("text") != r["text"] {
		t.Fatal(r, st, err)
	}
	if strings.Count(r["text"].(string), "t") != got {
		t.Fatalf("result %q but consumer saw %d items", r["text"], got)
	}
	if _, err := app.Step(context.Background()); err != nil && !errors.Is(err, burr.ErrEndOfGraph) {
		t.Fatal(err)
	}
}

func TestStreamContextCancelMidStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(chars().Bind(burr.Inputs{"prefix": ""})), burr.WithEntrypoint("chars"),
		burr.WithState(burr.State{}.Set("input_variable", strings.Repeat("x", 100))), burr.WithHooks(rec))
	s, err := app.StreamResult(ctx, burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range s.All() {
		n++
		if n == 3 {
			cancel()
		}
	}
	if n != 3 || !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("%d items, err %v", n, s.Err())
	}
	if app.State().Has("output_variable") || rec.count("end_stream") != 1 {
		t.Fatal(app.State(), rec.list())
	}
}

func TestStreamCloseCancelsActionContext(t *testing.T) {
	started := make(chan struct{})
	var actionErr error
	a := burr.NewStreamingAction("wait", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		y("first")
		close(started)
		<-ctx.Done()
		actionErr = context.Cause(ctx)
		if y("late") {
			return nil, s, errors.New("yield after close returned true")
		}
		return nil, s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("wait"))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("wait"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() || s.Item() != "first" {
		t.Fatal("first item")
	}
	// The action blocks on its context in its coroutine; Close cancels it.
	go func() { <-started; s.Close() }()
	if s.Next() {
		t.Fatal("item after close")
	}
	if !errors.Is(actionErr, burr.ErrStreamClosed) || !errors.Is(s.Err(), burr.ErrStreamClosed) {
		t.Fatal(actionErr, s.Err())
	}
}

func TestStreamYieldAfterConsumerGone(t *testing.T) {
	calls := 0
	a := burr.NewStreamingAction("stubborn", func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		for range 100 {
			if y(1) {
				calls++
			}
		}
		return nil, s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("stubborn"))
	s, _ := app.StreamResult(context.Background(), burr.HaltAfter("stubborn"))
	for range s.All() {
		break
	}
	if calls != 0 || !errors.Is(s.Err(), burr.ErrStreamClosed) {
		t.Fatal(calls, s.Err())
	}
}

func TestForgottenStreamIsClosedByTheCollector(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(streamCounter("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	func() {
		s, err := app.StreamResult(context.Background(), burr.HaltAfter("counter"))
		if err != nil {
			t.Fatal(err)
		}
		s.Next() // starts the action in its pull coroutine, then forgets the stream
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if _, err := app.Step(context.Background()); err == nil {
			break
		} else if !errors.Is(err, burr.ErrBusy) || time.Now().After(deadline) {
			t.Fatalf("application still unusable: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rec.count("end_stream") != 1 || rec.ends[0].Err == nil || !errors.Is(rec.ends[0].Err, burr.ErrStreamClosed) {
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
