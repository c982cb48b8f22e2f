package burr_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/burrgo/burr"
)

var tracker = burr.Key[[]int]("tracker")

// streamCounter is a function streaming action: 10 partial counts, then count+1
// with the new count appended to "tracker".
func streamCounter(name string) *burr.Action {
	return burr.NewStreamingAction(name, func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		n := count.Or(s, 0)
		for i := range 10 {
			if !yield(burr.Result{"count": float64(n) + float64(i)/10}) {
				break
			}
		}
		s, err := s.Append("tracker", n+1)
		if err != nil {
			return nil, s, err
		}
		return burr.Result{"count": n + 1}, count.Set(s, n+1), nil
	}, burr.Reads("count"), burr.Writes("count", "tracker"))
}

// structCounter is the two-phase form of streamCounter.
type structCounter struct{}

func (structCounter) Stream(_ context.Context, s burr.State, _ burr.Inputs, yield burr.Yield) (burr.Result, error) {
	n := count.Or(s, 0)
	for i := range 10 {
		if !yield(burr.Result{"count": float64(n) + float64(i)/10}) {
			break
		}
	}
	return burr.Result{"count": n + 1}, nil
}

func (structCounter) Update(r burr.Result, s burr.State) (burr.State, error) {
	s, err := s.Append("tracker", r["count"].(int))
	if err != nil {
		return s, err
	}
	return s.Set("count", r["count"]), nil
}

func structStreamCounter(name string) *burr.Action {
	return burr.NewStructStreamingAction(name, structCounter{}, burr.Reads("count", "tracker"), burr.Writes("count", "tracker"))
}

func consume(t *testing.T, s *burr.Stream) []any {
	t.Helper()
	var items []any
	for it := range s.All() {
		items = append(items, it)
	}
	return items
}

func TestStreamSingleAction(t *testing.T) {
	for name, mk := range map[string]func(string) *burr.Action{"func": streamCounter, "struct": structStreamCounter} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			app := mustNew(t, burr.WithActions(mk("counter")), burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
			s, err := app.StreamResult(context.Background(), burr.HaltAfter("counter"))
			if err != nil {
				t.Fatal(err)
			}
			items := consume(t, s)
			if len(items) != 10 {
				t.Fatalf("%d items", len(items))
			}
			for i := 1; i < len(items); i++ {
				if items[i].(burr.Result)["count"].(float64) <= items[i-1].(burr.Result)["count"].(float64) {
					t.Fatal("items not increasing")
				}
			}
			r, st, err := s.Get()
			if err != nil || r["count"] != 1 || count.Or(st, 0) != 1 || !reflect.DeepEqual(tracker.Or(st, nil), []int{1}) {
				t.Fatalf("get: %v %v %v", r, st, err)
			}
			if rec.count("item") != 10 || rec.count("post_step") != 1 {
				t.Fatal(rec.list())
			}
			for i, it := range rec.items {
				if it.Index != i {
					t.Fatalf("item index %d at %d", it.Index, i)
				}
			}
			// Get again: same answer, no new hooks.
			r2, st2, err2 := s.Get()
			if !reflect.DeepEqual(r, r2) || st.String() != st2.String() || err2 != nil || rec.count("post_step") != 1 {
				t.Fatal("second Get differs")
			}
		})
	}
}

func TestStreamMissingWrite(t *testing.T) {
	a := burr.NewStreamingAction("s", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		yield(1)
		return burr.Result{}, s, nil
	}, burr.Writes("missing_value"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("s"))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("s"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Get()
	wantErrContains(t, err, "missing_value", `"s"`)
}

func TestStreamHaltAfterRunThrough(t *testing.T) {
	for name, mk := range map[string]func(string) *burr.Action{"func": streamCounter, "struct": structStreamCounter} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			app := mustNew(t, burr.WithActions(mk("counter"), mk("counter_2")), burr.WithTransitions(burr.From("counter").To("counter_2")),
				burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
			s, err := app.StreamResult(context.Background(), burr.HaltAfter("counter_2"))
			if err != nil {
				t.Fatal(err)
			}
			if s.Action().Name() != "counter_2" {
				t.Fatal(s.Action())
			}
			if n := len(consume(t, s)); n != 10 {
				t.Fatal(n)
			}
			r, st, err := s.Get()
			if err != nil || r["count"] != 2 || count.Or(st, 0) != 2 || !reflect.DeepEqual(tracker.Or(st, nil), []int{1, 2}) {
				t.Fatal(r, st, err)
			}
			if !reflect.DeepEqual(rec.stepSeqs(), []int{0, 1}) {
				t.Fatal(rec.stepSeqs())
			}
			if rec.count("pre_exec") != 1 || rec.count("post_exec") != 1 || rec.count("pre_stream") != 1 || rec.count("item") != 10 || rec.count("end_stream") != 1 {
				t.Fatal(rec.list())
			}
		})
	}
}

// loopThenStream: count to 10 with ordinary steps, then a streaming action,
// then a final ordinary action.
func loopThenStream(t *testing.T, rec *recorder) *burr.Application {
	return mustNew(t, burr.WithActions(counterAction("counter"), streamCounter("counter_stream"), burr.ResultAction("counter_final", "count")),
		burr.WithTransitions(
			burr.From("counter").To("counter", burr.Expr("count < 10")),
			burr.From("counter").To("counter_stream"),
			burr.From("counter_stream").To("counter_final")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
}

func TestStreamHaltAfterRunThroughNonStreaming(t *testing.T) {
	rec := &recorder{}
	s, err := loopThenStream(t, rec).StreamResult(context.Background(), burr.HaltAfter("counter_stream"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(consume(t, s)); n != 10 {
		t.Fatal(n)
	}
	_, st, err := s.Get()
	if err != nil || count.Or(st, 0) != 11 {
		t.Fatal(st, err)
	}
	if len(rec.stepSeqs()) != 11 || rec.stepSeqs()[10] != 10 {
		t.Fatal(rec.stepSeqs())
	}
	if rec.count("pre_exec") != 1 || rec.count("pre_stream") != 1 || rec.count("item") != 10 || rec.count("end_stream") != 1 {
		t.Fatal(rec.list())
	}
}

func TestStreamHaltAfterNonStreaming(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(counterAction("counter"), burr.ResultAction("counter_final", "count")),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 11")), burr.From("counter").To("counter_final")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("counter_final"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(consume(t, s)); n != 0 {
		t.Fatal(n)
	}
	if s.Next() {
		t.Fatal("pull from an empty stream")
	}
	r, st, err := s.Get()
	if err != nil || r["count"] != 11 || count.Or(st, 0) != 11 || s.Action().Name() != "counter_final" {
		t.Fatal(r, st, err)
	}
	if len(rec.stepSeqs()) != 12 || rec.count("pre_exec") != 1 || rec.count("post_exec") != 1 || rec.count("pre_stream") != 0 {
		t.Fatal(rec.list())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The call ended: the application is free.
	if _, err := app.Step(context.Background()); err != nil && !errors.Is(err, burr.ErrEndOfGraph) {
		t.Fatal(err)
	}
}

func TestStreamHaltBefore(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(counterAction("counter"), burr.ResultAction("counter_final", "count")),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 10")), burr.From("counter").To("counter_final")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	s, err := app.StreamResult(context.Background(), burr.HaltBefore("counter_final"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Action().Name() != "counter_final" || len(consume(t, s)) != 0 {
		t.Fatal(s.Action())
	}
	r, st, err := s.Get()
	if err != nil || r != nil || count.Or(st, 0) != 10 {
		t.Fatal(r, st, err)
	}
	if !reflect.DeepEqual(rec.stepSeqs(), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || rec.count("post_exec") != 1 {
		t.Fatal(rec.list())
	}
}

func TestStreamEndOfGraph(t *testing.T) {
	app := mustNew(t, burr.WithActions(counterAction("counter"), streamCounter("never")),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 3"))),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)))
	_, err := app.StreamResult(context.Background(), burr.HaltAfter("never"))
	if !errors.Is(err, burr.ErrEndOfGraph) {
		t.Fatalf("want ErrEndOfGraph, got %v", err)
	}
	wantErrContains(t, err, `after action "counter"`)
	_, err = app.StreamResult(context.Background())
	wantErrContains(t, err, "needs HaltAfter")
	// The application is not left busy by errors.
	_, err = app.StreamResult(context.Background(), burr.HaltAfter("nope"))
	wantErrContains(t, err, `"nope"`)
	if _, err := app.Step(context.Background()); err != nil && !errors.Is(err, burr.ErrEndOfGraph) {
		t.Fatal(err)
	}
}

func TestStreamIterate(t *testing.T) {
	for _, exhaust := range []bool{true, false} {
		t.Run(fmt.Sprint("exhaust=", exhaust), func(t *testing.T) {
			rec := &recorder{}
			app := mustNew(t, burr.WithActions(streamCounter("counter"), streamCounter("counter_2")), burr.WithTransitions(burr.From("counter").To("counter_2")),
				burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
			var last *burr.Stream
			var names []string
			for s, err := range app.StreamIterate(context.Background(), burr.HaltAfter("counter_2")) {
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, s.Action().Name())
				if exhaust {
					consume(t, s)
				}
				last = s
			}
			r, st, err := last.Get()
			if err != nil || r["count"] != 2 || !reflect.DeepEqual(tracker.Or(st, nil), []int{1, 2}) {
				t.Fatal(r, st, err)
			}
			if !reflect.DeepEqual(names, []string{"counter", "counter_2"}) || !reflect.DeepEqual(rec.stepSeqs(), []int{0, 1}) {
				t.Fatal(names, rec.stepSeqs())
			}
			if rec.count("pre_stream") != 2 || rec.count("end_stream") != 2 || rec.count("item") != 20 || rec.count("pre_exec") != 1 || rec.count("post_exec") != 1 {
				t.Fatal(rec.list())
			}
		})
	}
}

func TestStreamIterateBreakAbandons(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(streamCounter("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	for s, err := range app.StreamIterate(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		s.Next()
		break
	}
	if rec.count("end_stream") != 1 || rec.count("post_exec") != 1 || count.Or(app.State(), 0) != 0 {
		t.Fatal(rec.list())
	}
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// chars streams the characters of its input, with a bound prefix.
func chars() *burr.Action {
	return burr.NewStreamingAction("chars", func(_ context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		text := in["prefix"].(string) + s.Value("input_variable").(string)
		for _, c := range text {
			if !yield(string(c)) {
				break
			}
		}
		return burr.Result{"output_variable": text}, s.Set("output_variable", text), nil
	}, burr.Reads("input_variable"), burr.Writes("output_variable"), burr.RequiredInputs("prefix"), burr.Tags("streaming"))
}

func TestStreamCharsWithBind(t *testing.T) {
	a := chars().Bind(burr.Inputs{"prefix": "prefix_"})
	if !a.Streaming() || a.Tags()[0] != "streaming" || len(a.RequiredInputs()) != 0 {
		t.Fatal(a)
	}
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("chars"), burr.WithState(burr.State{}.Set("input_variable", "foo")))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for it := range s.All() {
		b.WriteString(it.(string))
	}
	r, st, err := s.Get()
	if b.String() != "prefix_foo" || r["output_variable"] != "prefix_foo" || st.Value("output_variable") != "prefix_foo" || err != nil {
		t.Fatal(b.String(), r, st, err)
	}
}

func TestStreamGetWithoutIterating(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(chars().Bind(burr.Inputs{"prefix": ""})), burr.WithEntrypoint("chars"),
		burr.WithState(burr.State{}.Set("input_variable", "hello")), burr.WithHooks(rec))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Get()
	if err != nil || r["output_variable"] != "hello" {
		t.Fatal(r, err)
	}
	if rec.count("post_step") != 1 || rec.steps[0].Err != nil || rec.steps[0].Result["output_variable"] != "hello" {
		t.Fatal(rec.list())
	}
}

func TestStreamIntermediateNode(t *testing.T) {
	rec := &recorder{}
	app := mustNew(t, burr.WithActions(structStreamCounter("counter"), streamCounter("counter_2")), burr.WithTransitions(burr.From("counter").To("counter_2")),
		burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(rec))
	res, err := app.Step(context.Background())
	if err != nil || res.Result["count"] != 1 {
		t.Fatal(res, err)
	}
	res, err = app.Run(context.Background())
	if err != nil || res.Result["count"] != 2 || !reflect.DeepEqual(tracker.Or(res.State, nil), []int{1, 2}) {
		t.Fatal(res, err)
	}
	if rec.count("pre_stream") != 0 || rec.count("item") != 0 {
		t.Fatal(rec.list())
	}
}

// endings lists every way a stream can end, with the complete ordered list of
// hook events it must produce.
func TestStreamHookOrderForEveryEnding(t *testing.T) {
	head := []string{"pre_exec stream_result", "pre_step s 0", "pre_stream s 0"}
	ok := []string{"post_step s 0", "end_stream s %d", "post_exec stream_result"}
	fail := []string{"post_step s 0 err", "end_stream s %d err", "post_exec stream_result err"}
	items := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("item %d", i))
		}
		return out
	}
	tail := func(t []string, n int) []string {
		out := append([]string(nil), t...)
		out[1] = fmt.Sprintf(out[1], n)
		return out
	}
	boom := errors.New("boom")
	cases := []struct {
		name   string
		action func(context.Context, burr.State, burr.Yield) (burr.Result, burr.State, error)
		drive  func(t *testing.T, s *burr.Stream) error
		want   []string
		err    error
		commit bool
	}{
		{"drained", nil, func(t *testing.T, s *burr.Stream) error { consume(t, s); _, _, err := s.Get(); return err },
			concat(head, items(5), tail(ok, 5)), nil, true},
		{"get", nil, func(t *testing.T, s *burr.Stream) error { _, _, err := s.Get(); return err },
			concat(head, items(5), tail(ok, 5)), nil, true},
		{"pulled", nil, func(t *testing.T, s *burr.Stream) error {
			for s.Next() {
				_ = s.Item()
			}
			return s.Err()
		}, concat(head, items(5), tail(ok, 5)), nil, true},
		{"break", nil, func(t *testing.T, s *burr.Stream) error {
			for range s.All() {
				break
			}
			_, _, err := s.Get()
			return err
		}, concat(head, items(1), tail(fail, 1)), burr.ErrStreamClosed, false},
		{"close before start", nil, func(t *testing.T, s *burr.Stream) error { s.Close(); s.Close(); return s.Err() },
			concat(head, tail(fail, 0)), burr.ErrStreamClosed, false},
		{"close mid pull", nil, func(t *testing.T, s *burr.Stream) error { s.Next(); s.Next(); s.Close(); s.Close(); return s.Err() },
			concat(head, items(2), tail(fail, 2)), burr.ErrStreamClosed, false},
		{"stop mid pull", nil, func(t *testing.T, s *burr.Stream) error { s.Next(); s.Next(); return s.Stop() },
			concat(head, items(2), tail(ok, 2)), nil, true},
		{"stop in range", nil, func(t *testing.T, s *burr.Stream) error {
			for range s.All() {
				s.Stop()
			}
			_, _, err := s.Get()
			return err
		}, concat(head, items(1), tail(ok, 1)), nil, true},
		{"error mid stream", func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
			y(0)
			y(1)
			return nil, s, boom
		}, func(t *testing.T, s *burr.Stream) error {
			if n := len(consume(t, s)); n != 2 {
				t.Fatalf("got %d items before the error", n)
			}
			return s.Err()
		}, concat(head, items(2), tail(fail, 2)), boom, false},
		{"action panic", func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
			y(0)
			panic("action panic")
		}, func(t *testing.T, s *burr.Stream) error { _, _, err := s.Get(); return err },
			concat(head, items(1), tail(fail, 1)), nil, false},
		{"consumer panic", nil, func(t *testing.T, s *burr.Stream) (err error) {
			defer func() {
				if p := recover(); p != "consumer panic" {
					t.Fatalf("recovered %v", p)
				}
				err = s.Err()
			}()
			for range s.All() {
				panic("consumer panic")
			}
			return nil
		}, concat(head, items(1), tail(fail, 1)), burr.ErrStreamClosed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			fn := c.action
			if fn == nil {
				fn = func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
					n := 0
					for i := range 5 {
						if !y(i) {
							break
						}
						n++
					}
					return burr.Result{"n": n}, s.Set("n", n), nil
				}
			}
			a := burr.NewStreamingAction("s", fn, burr.Writes("n"))
			app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("s").To("s")), burr.WithEntrypoint("s"), burr.WithHooks(rec))
			rec.reset()
			s, err := app.StreamResult(context.Background(), burr.HaltAfter("s"))
			if err != nil {
				t.Fatal(err)
			}
			err = c.drive(t, s)
			if c.err != nil && !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err == nil && c.commit && err != nil {
				t.Fatal(err)
			}
			if got := rec.list(); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("events:\n got %q\nwant %q", got, c.want)
			}
			if committed := app.State().Has("n"); committed != c.commit {
				t.Fatalf("committed=%v, want %v (state %v)", committed, c.commit, app.State())
			}
			if seq, _ := app.SequenceID(); seq != 0 {
				t.Fatalf("sequence id %d", seq)
			}
			// Whatever the ending, the application is usable again, and a
			// failed stream is retried with the next sequence id.
			s2, err := app.StreamResult(context.Background(), burr.HaltAfter("s"))
			if err != nil {
				t.Fatal(err)
			}
			s2.Close()
		})
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestStreamConsumerOnAnotherGoroutine(t *testing.T) {
	app := mustNew(t, burr.WithActions(chars().Bind(burr.Inputs{"prefix": ""})), burr.WithEntrypoint("chars"),
		burr.WithState(burr.State{}.Set("input_variable", "goroutine")))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("chars"))
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string)
	go func() {
		var b strings.Builder
		for it := range s.All() {
			b.WriteString(it.(string))
		}
		out <- b.String()
	}()
	if got := <-out; got != "goroutine" {
		t.Fatal(got)
	}
	if r, _, err := s.Get(); err != nil || r["output_variable"] != "goroutine" {
		t.Fatal(r, err)
	}
}

func TestStreamBusyWhileOpen(t *testing.T) {
	app := mustNew(t, burr.WithActions(streamCounter("counter")), burr.WithEntrypoint("counter"), burr.WithTransitions(burr.From("counter").To("counter")))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("counter"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); !errors.Is(err, burr.ErrBusy) {
		t.Fatalf("want ErrBusy, got %v", err)
	}
	if _, err := app.StreamResult(context.Background(), burr.HaltAfter("counter")); !errors.Is(err, burr.ErrBusy) {
		t.Fatalf("want ErrBusy, got %v", err)
	}
	s.Get()
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStreamMillionItemsFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	const n = 1_000_000
	a := burr.NewStreamingAction("big", func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		for i := range n {
			if !y(map[string]any{"i": i, "pad": make([]byte, 64)}) {
				break
			}
		}
		return burr.Result{"count": n}, s.Set("count", n), nil
	}, burr.Writes("count"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("big"))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("big"))
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	i := 0
	for range s.All() {
		i++
		if i%100_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if _, _, err := s.Get(); err != nil || i != n {
		t.Fatal(i, err)
	}
	if grow := int64(peak) - int64(base); grow > 4<<20 {
		t.Fatalf("live heap grew by %d bytes over %d items", grow, n)
	}
}
