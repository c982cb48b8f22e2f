package tracking

import (
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// BenchmarkLines measures the encoding of the lines written per step, span
// and attribute into a reused buffer: the writer's hot path, which must not
// allocate.
func BenchmarkLines(b *testing.B) {
	act := burr.NewAction("counter", nopAction)
	now := time.Now()
	state := burr.State{}.Set("count", 41).Set("name", "counter").Set("ratio", 0.5).
		Set("history", []any{"a", "b", 3}).Set(burr.SequenceIDKey, 7).Set(burr.PriorStepKey, "counter")

	start := &burr.StepStart{Inputs: burr.Inputs{"step": 2}, Time: now}
	start.SequenceID, start.Action = 7, act
	end := &burr.StepEnd{Result: burr.Result{"count": 42}, State: state, Time: now}
	end.SequenceID, end.Action = 7, act
	span := &burr.Span{ID: "7:0.1", Name: "inner", ParentID: "7:0", Dependencies: []string{"outer"}, StartTime: now, EndTime: now}
	span.SequenceID = 7
	attrs := &burr.Attributes{SpanID: "7:0.1", Attributes: []burr.Attribute{{Key: "tokens", Value: 128}}, Time: now}
	attrs.SequenceID = 7

	cases := []struct {
		name string
		enc  func([]byte) []byte
	}{
		{"begin_entry", func(buf []byte) []byte { return appendBeginEntry(buf, start, nil) }},
		{"end_entry", func(buf []byte) []byte { return appendEndEntry(buf, end, nil) }},
		{"span", func(buf []byte) []byte { return appendEndSpan(appendBeginSpan(buf, span), span) }},
		{"attribute", func(buf []byte) []byte { return appendAttributes(buf, attrs, nil) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				buf = c.enc(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
