package burr

import (
	"context"
	"strconv"
	"time"
)

// Span describes a span opened inside an action with [StartSpan]: the event
// passed to [PreStartSpanHook] and [PostEndSpanHook].
type Span struct {
	AppContext
	// ID is Burr's span id: "<sequence id>:<i0>.<i1>…", the 0-based index of
	// the top-level span within the step, then the sibling index at each depth.
	ID           string
	Name         string
	ParentID     string // "" for a top-level span
	Dependencies []string
	StartTime    time.Time
	EndTime      time.Time // zero until the span ends

	step     *stepContext
	children int
	ended    bool
}

// Attribute is one key and value logged with [LogAttributes].
type Attribute struct {
	Key   string
	Value any
}

// Attributes is passed to [DoLogAttributesHook].
type Attributes struct {
	AppContext
	SpanID     string // "" when logged on the action rather than a span
	Attributes []Attribute
	Time       time.Time
}

type spanContext struct {
	context.Context
	span *Span
}

func (c *spanContext) Value(key any) any {
	if key == (spanKey{}) {
		return c.span
	}
	return c.Context.Value(key)
}

// StartSpan opens a span inside the running action, as a child of the span in
// ctx or as a new top-level span of the step. Pass the returned context to
// nested work and call End when the span's work is done:
//
//	ctx, span := burr.StartSpan(ctx, "retrieve")
//	defer span.End()
//
// Span ids follow Burr: "3:0" is the first top-level span of step 3, "3:0.1"
// the second child of that span. Outside a step, or when no hook listens to
// spans, StartSpan returns ctx unchanged and a nil *Span, whose End does
// nothing.
func StartSpan(ctx context.Context, name string, dependencies ...string) (context.Context, *Span) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return ctx, nil
	}
	h := &sc.app.hooks
	if len(h.preSpan) == 0 && len(h.postSpan) == 0 && len(h.attrs) == 0 && len(h.spanCtx) == 0 {
		return ctx, nil
	}
	parent, _ := ctx.Value(spanKey{}).(*Span)
	sp := &Span{
		AppContext:   sc.appContext(),
		Name:         name,
		Dependencies: dependencies,
		StartTime:    time.Now(),
		step:         sc,
	}
	sc.mu.Lock()
	if parent == nil {
		sp.ID = strconv.Itoa(sc.seq) + ":" + strconv.Itoa(sc.topSpans)
		sc.topSpans++
	} else {
		sp.ParentID = parent.ID
		sp.ID = parent.ID + "." + strconv.Itoa(parent.children)
		parent.children++
	}
	sc.mu.Unlock()
	_ = callHooks(ctx, h.preSpan, sp, PreStartSpanHook.PreStartSpan)
	if len(h.spanCtx) > 0 {
		ctx = spanCtx(h.spanCtx, ctx, sp)
	}
	return &spanContext{Context: ctx, span: sp}, sp
}

// End closes the span. It is safe to call on a nil span and more than once.
func (s *Span) End() {
	if s == nil {
		return
	}
	s.step.mu.Lock()
	if s.ended {
		s.step.mu.Unlock()
		return
	}
	s.ended = true
	s.step.mu.Unlock()
	s.EndTime = time.Now()
	_ = callHooks(s.step, s.step.app.hooks.postSpan, s, PostEndSpanHook.PostEndSpan)
}

// LogAttributes records attributes on the current span in ctx, or on the
// action when ctx holds no span. Arguments alternate key and value, as in
// log/slog: LogAttributes(ctx, "model", "gpt-4o", "tokens", 812). With no
// hook listening it does nothing.
func LogAttributes(ctx context.Context, keyValues ...any) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok || len(sc.app.hooks.attrs) == 0 {
		return
	}
	attrs := make([]Attribute, 0, (len(keyValues)+1)/2)
	for i := 0; i < len(keyValues); i += 2 {
		k, ok := keyValues[i].(string)
		if !ok {
			k = "!BADKEY"
		}
		var v any
		if i+1 < len(keyValues) {
			v = keyValues[i+1]
		}
		attrs = append(attrs, Attribute{Key: k, Value: v})
	}
	a := &Attributes{AppContext: sc.appContext(), Attributes: attrs, Time: time.Now()}
	if sp, ok := ctx.Value(spanKey{}).(*Span); ok {
		a.SpanID = sp.ID
	}
	_ = callHooks(ctx, sc.app.hooks.attrs, a, DoLogAttributesHook.DoLogAttributes)
}
