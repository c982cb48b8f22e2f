package burr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/burrgo/burr"
)

// streamEnds is an inheritable hook counting, per application, stream ends
// and their errors, and items.
type streamEnds struct {
	mu    sync.Mutex
	ends  map[string][]error
	items map[string]int
}

func newStreamEnds() *streamEnds {
	return &streamEnds{ends: map[string][]error{}, items: map[string]int{}}
}

func (h *streamEnds) ForChild() any { return h }

func (h *streamEnds) PostStreamItem(_ context.Context, e *burr.StreamItem) error {
	h.mu.Lock()
	h.items[e.AppID]++
	h.mu.Unlock()
	return nil
}

func (h *streamEnds) PostEndStream(_ context.Context, e *burr.StreamEnd) error {
	h.mu.Lock()
	h.ends[e.AppID] = append(h.ends[e.AppID], e.Err)
	h.mu.Unlock()
	return nil
}

// tokens is a streaming child: it yields "<i>:<k>" for k < n, or, when block
// is set, one token and then waits for its stream to be stopped or closed.
// Its final state holds the tokens it yielded.
func tokens(n int, block bool) *burr.Subgraph {
	return burr.SubgraphOf(burr.NewStreamingAction("tokens", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		var got []string
		for k := range n {
			tok := fmt.Sprintf("%d:%d", idx.Or(s, 0), k)
			if !yield(tok) {
				break
			}
			got = append(got, tok)
			if block {
				select {
				case <-burr.Stopping(ctx):
				case <-ctx.Done():
					return nil, s, context.Cause(ctx)
				}
				break
			}
		}
		return burr.Result{"n": len(got)}, s.Set("text", strings.Join(got, " ")), nil
	}, burr.Reads("i"), burr.Writes("text")))
}

func streamingFan(n int, sub *burr.Subgraph, opts ...burr.ActionOption) *burr.Action {
	return burr.NewStreamingParallelAction("fan", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
		var ts []burr.Task
		for i := range n {
			ts = append(ts, burr.Task{Subgraph: sub, State: idx.Set(burr.State{}, i)})
		}
		return ts, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		var texts []string
		for _, c := range children {
			texts = append(texts, burr.Key[string]("text").Or(c, ""))
		}
		return s.Set("texts", texts), nil
	}, append([]burr.ActionOption{burr.Writes("texts")}, opts...)...)
}

func TestStreamingParallelMerges(t *testing.T) {
	h := newStreamEnds()
	app := mustNew(t, burr.WithActions(streamingFan(3, tokens(5, false))), burr.WithEntrypoint("fan"), burr.WithHooks(h))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("fan"))
	if err != nil {
		t.Fatal(err)
	}
	perChild := map[int][]string{}
	for item := range st.All() {
		ci, ok := item.(*burr.ChildItem)
		if !ok {
			t.Fatalf("item %T, want *burr.ChildItem", item)
		}
		if want := burr.ChildAppID(app.Ref().At(0), ci.Index); ci.AppID != want {
			t.Fatalf("item of child %d tagged %s, want %s", ci.Index, ci.AppID, want)
		}
		perChild[ci.Index] = append(perChild[ci.Index], ci.Item.(string))
	}
	_, s, err := st.Get()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		want := fmt.Sprintf("%d:0 %d:1 %d:2 %d:3 %d:4", i, i, i, i, i)
		if got := strings.Join(perChild[i], " "); got != want {
			t.Fatalf("child %d items %q, want %q in order", i, got, want)
		}
		if got := s.Value("texts").([]string)[i]; got != want {
			t.Fatalf("reduce saw %q for child %d, want %q", got, i, want)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if got := h.items[app.Ref().AppID]; got != 15 {
		t.Fatalf("the parent's item hook saw %d items, want 15", got)
	}
	for _, id := range []string{app.Ref().AppID, burr.ChildAppID(app.Ref().At(0), 0), burr.ChildAppID(app.Ref().At(0), 1), burr.ChildAppID(app.Ref().At(0), 2)} {
		if e := h.ends[id]; len(e) != 1 || e[0] != nil {
			t.Fatalf("app %s: stream ends %v, want one, without error", id, e)
		}
	}
}

// blockedFan starts a fan-out of n blocking children and returns its stream
// once every child has streamed its first item.
func blockedFan(t *testing.T, n int, h *streamEnds) (*burr.Application, *burr.Stream, func() []string) {
	t.Helper()
	app := mustNew(t, burr.WithActions(streamingFan(n, tokens(5, true))), burr.WithEntrypoint("fan"), burr.WithHooks(h))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("fan"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for st.Next() {
		got = append(got, st.Item().(*burr.ChildItem).Item.(string))
		if len(got) == n {
			break
		}
	}
	if len(got) != n {
		t.Fatalf("%d first items, want %d: %v", len(got), n, st.Err())
	}
	rest := func() []string {
		for st.Next() {
			got = append(got, st.Item().(*burr.ChildItem).Item.(string))
		}
		return got
	}
	return app, st, rest
}

func TestStreamingParallelStopFromAnotherGoroutine(t *testing.T) {
	h := newStreamEnds()
	app, st, rest := blockedFan(t, 4, h)
	stopped := make(chan error)
	go func() { stopped <- st.Stop() }()
	items := rest()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 {
		t.Fatalf("items %v after Stop, want the 4 first ones", items)
	}
	_, s, err := st.Get()
	if err != nil {
		t.Fatalf("a stopped parallel stream failed: %v", err)
	}
	texts := s.Value("texts").([]string)
	for i, text := range texts {
		if text != fmt.Sprintf("%d:0", i) {
			t.Fatalf("reduce saw %q for child %d, want its partial result", texts, i)
		}
	}
	if _, ok := app.State().SequenceID(); !ok || !app.State().Has("texts") {
		t.Fatal("the stopped step was not committed")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range 4 {
		if e := h.ends[burr.ChildAppID(app.Ref().At(0), i)]; len(e) != 1 || e[0] != nil {
			t.Fatalf("child %d: stream ends %v, want one, without error", i, e)
		}
	}
	if e := h.ends[app.Ref().AppID]; len(e) != 1 || e[0] != nil {
		t.Fatalf("parent: stream ends %v, want one, without error", e)
	}
}

func TestStreamingParallelCloseFromAnotherGoroutine(t *testing.T) {
	h := newStreamEnds()
	app, st, rest := blockedFan(t, 4, h)
	closed := make(chan error)
	go func() { closed <- st.Close() }()
	rest()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Get(); !errors.Is(err, burr.ErrStreamClosed) {
		t.Fatalf("error %v, want ErrStreamClosed", err)
	}
	if app.State().Has("texts") {
		t.Fatal("a closed parallel stream committed")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range 4 {
		if e := h.ends[burr.ChildAppID(app.Ref().At(0), i)]; len(e) != 1 || e[0] == nil {
			t.Fatalf("child %d: stream ends %v, want one, with an error", i, e)
		}
	}
	if e := h.ends[app.Ref().AppID]; len(e) != 1 || !errors.Is(e[0], burr.ErrStreamClosed) {
		t.Fatalf("parent: stream ends %v, want one, closed", e)
	}
}

func TestStreamingParallelChildError(t *testing.T) {
	bad := burr.SubgraphOf(burr.NewStreamingAction("tokens", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		if idx.Or(s, 0) == 2 {
			return nil, s, errors.New("model unavailable")
		}
		yield("x")
		<-ctx.Done() // the failure of child 2 cancels the others
		return nil, s, context.Cause(ctx)
	}, burr.Reads("i"), burr.Writes("text")))
	app := mustNew(t, burr.WithActions(streamingFan(4, bad)), burr.WithEntrypoint("fan"))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("fan"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Get()
	var ce *burr.ChildError
	if !errors.As(err, &ce) || ce.Index != 2 {
		t.Fatalf("error %v, want child 2's", err)
	}
	wantErrContains(t, err, "model unavailable")
}

func TestStreamingParallelAsAStep(t *testing.T) {
	app := mustNew(t, burr.WithActions(streamingFan(3, tokens(2, false))), burr.WithEntrypoint("fan"))
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.Value("texts").([]string); strings.Join(got, "|") != "0:0 0:1|1:0 1:1|2:0 2:1" {
		t.Fatalf("texts %q", got)
	}
}

// TestStreamingParallelLongStreams merges children that stream far more
// items than a child may queue, so that each waits for the consumer many
// times: every item arrives once, in its child's order.
func TestStreamingParallelLongStreams(t *testing.T) {
	const children, n = 3, 2000
	app := mustNew(t, burr.WithActions(streamingFan(children, tokens(n, false))), burr.WithEntrypoint("fan"))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("fan"))
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, children)
	for item := range st.All() {
		ci := item.(*burr.ChildItem)
		if want := fmt.Sprintf("%d:%d", ci.Index, next[ci.Index]); ci.Item != want {
			t.Fatalf("child %d: item %v, want %s", ci.Index, ci.Item, want)
		}
		next[ci.Index]++
	}
	if _, _, err := st.Get(); err != nil {
		t.Fatal(err)
	}
	for i, got := range next {
		if got != n {
			t.Fatalf("child %d: %d items, want %d", i, got, n)
		}
	}
}

// TestStreamingParallelFullBuffers ends a merged stream while its children
// wait for room: Stop, Close and cancelling the context each release them,
// and Stop commits their partial results.
func TestStreamingParallelFullBuffers(t *testing.T) {
	const children, n = 3, 5000
	var first int // the child of the first item
	start := func(t *testing.T, ctx context.Context, h *streamEnds) (*burr.Application, *burr.Stream) {
		app := mustNew(t, burr.WithActions(streamingFan(children, tokens(n, false))), burr.WithEntrypoint("fan"), burr.WithHooks(h))
		st, err := app.StreamResult(ctx, burr.HaltAfter("fan"))
		if err != nil {
			t.Fatal(err)
		}
		if !st.Next() {
			t.Fatalf("no first item: %v", st.Err())
		}
		first = st.Item().(*burr.ChildItem).Index
		return app, st
	}
	// A child the executor had not started when the stream ended may
	// never start; every other one ends once.
	checkChildren := func(t *testing.T, app *burr.Application, h *streamEnds, wantErr bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i := range children {
			e := h.ends[burr.ChildAppID(app.Ref().At(0), i)]
			if i == first && len(e) == 0 || len(e) > 1 || len(e) == 1 && (e[0] != nil) != wantErr {
				t.Fatalf("child %d: stream ends %v, want at most one (with an error: %v)", i, e, wantErr)
			}
		}
	}
	t.Run("stop", func(t *testing.T) {
		h := newStreamEnds()
		app, st := start(t, t.Context(), h)
		if err := st.Stop(); err != nil {
			t.Fatal(err)
		}
		_, s, err := st.Get()
		if err != nil {
			t.Fatal(err)
		}
		for i, text := range s.Value("texts").([]string) {
			if k := len(strings.Fields(text)); k >= n || i == first && k == 0 {
				t.Fatalf("child %d kept %d items, want a partial result", i, k)
			}
		}
		checkChildren(t, app, h, false)
	})
	t.Run("close", func(t *testing.T) {
		h := newStreamEnds()
		app, st := start(t, t.Context(), h)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Get(); !errors.Is(err, burr.ErrStreamClosed) {
			t.Fatalf("error %v, want ErrStreamClosed", err)
		}
		checkChildren(t, app, h, true)
	})
	t.Run("cancel", func(t *testing.T) {
		h := newStreamEnds()
		ctx, cancel := context.WithCancel(t.Context())
		app, st := start(t, ctx, h)
		cancel()
		for st.Next() {
		}
		if _, _, err := st.Get(); err == nil {
			t.Fatal("a cancelled merged stream succeeded")
		}
		if app.State().Has("texts") {
			t.Fatal("a cancelled merged stream committed")
		}
		checkChildren(t, app, h, true)
	})
}

func TestStreamingMapStates(t *testing.T) {
	fan := burr.StreamingMapStates("fan", tokens(3, false),
		func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
			return []burr.State{idx.Set(burr.State{}, 0), idx.Set(burr.State{}, 1)}, nil
		},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			var texts []string
			for _, c := range children {
				texts = append(texts, burr.Key[string]("text").Or(c, ""))
			}
			return s.Set("texts", texts), nil
		}, burr.Writes("texts"))
	app := mustNew(t, burr.WithActions(fan), burr.WithEntrypoint("fan"))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("fan"))
	if err != nil {
		t.Fatal(err)
	}
	perChild := map[int][]string{}
	for item := range st.All() {
		ci := item.(*burr.ChildItem)
		perChild[ci.Index] = append(perChild[ci.Index], ci.Item.(string))
	}
	_, s, err := st.Get()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		want := fmt.Sprintf("%d:0 %d:1 %d:2", i, i, i)
		if got := strings.Join(perChild[i], " "); got != want {
			t.Fatalf("child %d streamed %q, want %q", i, got, want)
		}
		if got := s.Value("texts").([]string)[i]; got != want {
			t.Fatalf("reduce saw %q for child %d, want %q", got, i, want)
		}
	}
}

func TestStreamingMapStatesProblems(t *testing.T) {
	noop := func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) { return nil, nil }
	reduce := func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil }
	g, err := burr.NewGraph([]*burr.Action{burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    *burr.Action
		want string
	}{
		{"no halt-after", burr.StreamingMapStates("fan", burr.NewSubgraph(g, "a"), noop, reduce), "must name the action to stream"},
		{"bad subgraph", burr.StreamingMapStates("fan", burr.NewSubgraph(g, "b", "b"), noop, reduce), `entrypoint "b"`},
		{"nil states", burr.StreamingMapStates("fan", tokens(1, false), nil, reduce), "states function is nil"},
		{"nil reduce", burr.StreamingMapStates("fan", tokens(1, false), noop, nil), "reduce function is nil"},
	} {
		_, err := burr.NewGraph([]*burr.Action{tc.a})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
