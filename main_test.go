package burr_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a hook implementing every hook interface; it records one line
// per event.
type recorder struct {
	mu     sync.Mutex
	events []string
	steps  []burr.StepEnd
	starts []burr.StepStart
	items  []burr.StreamItem
	exec   []burr.ExecuteCall
	ends   []burr.StreamEnd
	spans  []string
	attrs  []burr.Attributes
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return " err"
}

func (r *recorder) PostApplicationCreate(_ context.Context, e *burr.ApplicationCreated) error {
	r.add("create %s", e.AppID)
	return nil
}
func (r *recorder) PreRunExecuteCall(_ context.Context, e *burr.ExecuteCall) error {
	r.add("pre_exec %s", e.Method)
	return nil
}
func (r *recorder) PostRunExecuteCall(_ context.Context, e *burr.ExecuteCall) error {
	r.mu.Lock()
	r.exec = append(r.exec, *e)
	r.mu.Unlock()
	r.add("post_exec %s%s", e.Method, errText(e.Err))
	return nil
}
func (r *recorder) PreRunStep(_ context.Context, e *burr.StepStart) error {
	r.mu.Lock()
	r.starts = append(r.starts, *e)
	r.mu.Unlock()
	r.add("pre_step %s %d", e.Action.Name(), e.SequenceID)
	return nil
}
func (r *recorder) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	r.mu.Lock()
	r.steps = append(r.steps, *e)
	r.mu.Unlock()
	r.add("post_step %s %d%s", e.Action.Name(), e.SequenceID, errText(e.Err))
	return nil
}
func (r *recorder) PreStartStream(_ context.Context, e *burr.StreamStart) error {
	r.add("pre_stream %s %d", e.Action.Name(), e.SequenceID)
	return nil
}
func (r *recorder) PostStreamItem(_ context.Context, e *burr.StreamItem) error {
	r.mu.Lock()
	r.items = append(r.items, *e)
	r.mu.Unlock()
	r.add("item %d", e.Index)
	return nil
}
func (r *recorder) PostEndStream(_ context.Context, e *burr.StreamEnd) error {
	r.mu.Lock()
	r.ends = append(r.ends, *e)
	r.mu.Unlock()
	r.add("end_stream %s %d%s", e.Action.Name(), e.Items, errText(e.Err))
	return nil
}
func (r *recorder) PreStartSpan(_ context.Context, s *burr.Span) error {
	r.add("span_start %s %s parent=%s", s.ID, s.Name, s.ParentID)
	return nil
}
func (r *recorder) PostEndSpan(_ context.Context, s *burr.Span) error {
	r.add("span_end %s", s.ID)
	return nil
}
func (r *recorder) DoLogAttributes(_ context.Context, a *burr.Attributes) error {
	r.mu.Lock()
	r.attrs = append(r.attrs, *a)
	r.mu.Unlock()
	r.add("attrs %s span=%s", a.Attributes[0].Key, a.SpanID)
	return nil
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix+" ") || e == prefix {
			n++
		}
	}
	return n
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.steps, r.starts, r.items, r.exec, r.ends, r.spans, r.attrs = nil, nil, nil, nil, nil, nil, nil, nil
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) stepSeqs() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, s := range r.steps {
		out = append(out, s.SequenceID)
	}
	return out
}

func mustNew(t testing.TB, opts ...burr.Option) *burr.Application {
	t.Helper()
	app, err := burr.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func wantErrContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got nil", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

var count = burr.Key[int]("count")

// counterAction increments count by 1 (or by the optional input "step").
func counterAction(name string) *burr.Action {
	return burr.NewAction(name, func(_ context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		step := 1
		if v, ok := in["step"].(int); ok {
			step = v
		}
		n := count.Or(s, 0) + step
		return burr.Result{"count": n}, count.Set(s, n), nil
	}, burr.Reads("count"), burr.Writes("count"), burr.OptionalInputs("step"))
}
