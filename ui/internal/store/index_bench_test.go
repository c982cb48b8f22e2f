package store

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkIndexScan indexes a log of 2,000 steps, each with a begin_entry,
// four attribute lines (two of them token counts) and an end_entry.
func BenchmarkIndexScan(b *testing.B) {
	var log bytes.Buffer
	const ts = `"2025-01-01T12:00:00"`
	for seq := range 2000 {
		fmt.Fprintf(&log, `{"type":"begin_entry","start_time":%s,"action":"chat","inputs":{"prompt":"hello"},"sequence_id":%d}`+"\n", ts, seq)
		for _, kv := range [][2]string{{"gen_ai.operation.name", `"chat"`}, {"gen_ai.usage.prompt_tokens", "120"}, {"gen_ai.usage.completion_tokens", "40"}, {"label", `"x"`}} {
			fmt.Fprintf(&log, `{"type":"attribute","key":"%s","action_sequence_id":%d,"span_id":null,"value":%s,"tags":{},"time_logged":%s}`+"\n", kv[0], seq, kv[1], ts)
		}
		fmt.Fprintf(&log, `{"type":"end_entry","end_time":%s,"action":"chat","result":{},"exception":null,"state":{"n":%d},"sequence_id":%d}`+"\n", ts, seq, seq)
	}
	data := log.Bytes()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		x := NewIndex()
		if err := x.Scan(r, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
