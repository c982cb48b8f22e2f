package tracking

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// local and utc build the examples' times: naive local ones are written
// in the process's zone, Z ones in UTC.
func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999", s, time.Local)
	if err != nil {
		panic(err)
	}
	return t
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.999999Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestLinesMatchSpec encodes lines of every kind as Python Burr writes them
// (metadata.json, children.jsonl and log.jsonl; docs/tracking-format.md) and
// compares them byte for byte.
func TestLinesMatchSpec(t *testing.T) {
	boom := burr.NewAction("boom", nopAction, burr.Reads("count"))
	cnt := burr.NewAction("counter", nopAction)
	stateAfter := burr.State{}.Set("count", 2).Set(burr.SequenceIDKey, 0).Set(burr.PriorStepKey, "counter")
	stateFailed := burr.State{}.Set("count", 2).Set(burr.SequenceIDKey, 1).Set(burr.PriorStepKey, "counter")
	demoState := burr.State{}.Set("count_to", 1).Set("counter", 1).Set(burr.SequenceIDKey, 0).Set(burr.PriorStepKey, "counter")
	result := burr.NewAction("result", nopAction)
	tb := "Traceback (most recent call last):\n  File \"app.py\", line 30, in boom\n    raise ValueError(\"bad\")\nValueError: bad\n"

	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"begin_entry", appendBeginEntry(nil, &burr.StepStart{AppContext: step(0, cnt), Time: local("2025-01-01T12:00:00.000101"), Inputs: burr.Inputs{"step": 2}}, nil),
			`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{"step":2},"sequence_id":0}`},
		{"begin_entry demo", appendBeginEntry(nil, &burr.StepStart{AppContext: step(1, result), Time: local("2024-08-27T11:59:58.569978")}, nil),
			`{"type":"begin_entry","start_time":"2024-08-27T11:59:58.569978","action":"result","inputs":{},"sequence_id":1}`},
		{"end_entry", appendEndEntry(nil, &burr.StepEnd{AppContext: step(0, cnt), Time: local("2025-01-01T12:00:00.000202"), Result: burr.Result{"count": 2}, State: stateAfter}, nil),
			`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"counter","result":{"count":2},"exception":null,"state":{"count":2,"__SEQUENCE_ID":0,"__PRIOR_STEP":"counter"},"sequence_id":0}`},
		{"end_entry failed", appendEndEntry(nil, &burr.StepEnd{AppContext: step(1, boom), Time: local("2025-01-01T12:00:01.000303"), Err: errors.New(tb), State: stateFailed}, nil),
			`{"type":"end_entry","end_time":"2025-01-01T12:00:01.000303","action":"boom","result":null,"exception":"Traceback (most recent call last):\n  File \"app.py\", line 30, in boom\n    raise ValueError(\"bad\")\nValueError: bad\n","state":{"count":2,"__SEQUENCE_ID":1,"__PRIOR_STEP":"counter"},"sequence_id":1}`},
		{"end_entry demo", appendEndEntry(nil, &burr.StepEnd{AppContext: step(0, cnt), Time: local("2024-08-27T11:59:58.569778"), State: demoState}, nil),
			`{"type":"end_entry","end_time":"2024-08-27T11:59:58.569778","action":"counter","result":{},"exception":null,"state":{"count_to":1,"counter":1,"__SEQUENCE_ID":0,"__PRIOR_STEP":"counter"},"sequence_id":0}`},
		{"begin_span", appendBeginSpan(nil, &burr.Span{AppContext: step(0, nil), StartTime: local("2025-01-01T12:00:00.000150"), ID: "0:0.0", Name: "inner", ParentID: "0:0", Dependencies: []string{"outer"}}),
			`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000150","action_sequence_id":0,"span_id":"0:0.0","span_name":"inner","parent_span_id":"0:0","span_dependencies":["outer"]}`},
		{"begin_span demo", appendBeginSpan(nil, &burr.Span{AppContext: step(4, nil), StartTime: local("2024-08-27T11:58:44.913348"), ID: "4:0.0.0", Name: "safe", ParentID: "4:0.0"}),
			`{"type":"begin_span","start_time":"2024-08-27T11:58:44.913348","action_sequence_id":4,"span_id":"4:0.0.0","span_name":"safe","parent_span_id":"4:0.0","span_dependencies":[]}`},
		{"begin_span top", appendBeginSpan(nil, &burr.Span{AppContext: step(3, nil), StartTime: local("2024-08-27T11:58:44"), ID: "3:0", Name: "top"}),
			`{"type":"begin_span","start_time":"2024-08-27T11:58:44","action_sequence_id":3,"span_id":"3:0","span_name":"top","parent_span_id":null,"span_dependencies":[]}`},
		{"end_span", appendEndSpan(nil, &burr.Span{AppContext: step(0, nil), EndTime: local("2025-01-01T12:00:00.000170"), ID: "0:0.0"}),
			`{"type":"end_span","end_time":"2025-01-01T12:00:00.000170","action_sequence_id":0,"span_id":"0:0.0"}`},
		{"end_span demo", appendEndSpan(nil, &burr.Span{AppContext: step(0, nil), EndTime: local("2024-08-27T11:57:10.764191"), ID: "0:0"}),
			`{"type":"end_span","end_time":"2024-08-27T11:57:10.764191","action_sequence_id":0,"span_id":"0:0"}`},
		{"attribute", appendAttributes(nil, &burr.Attributes{AppContext: step(0, nil), Time: utc("2025-01-01T20:00:00.000160Z"), Attributes: []burr.Attribute{{Key: "prompt_length", Value: 42}}}, nil),
			`{"type":"attribute","key":"prompt_length","action_sequence_id":0,"span_id":null,"value":42,"tags":{},"time_logged":"2025-01-01T20:00:00.000160Z"}`},
		{"attribute demo", appendAttributes(nil, &burr.Attributes{AppContext: step(3, nil), Time: utc("2024-08-27T18:58:44.913192Z"), SpanID: "3:0", Attributes: []burr.Attribute{{Key: "model", Value: "dall-e-2"}}}, nil),
			`{"type":"attribute","key":"model","action_sequence_id":3,"span_id":"3:0","value":"dall-e-2","tags":{},"time_logged":"2024-08-27T18:58:44.913192Z"}`},
		{"begin_stream", appendBeginStream(nil, &burr.StreamStart{AppContext: step(1, nil), Time: utc("2025-01-01T20:00:02.000123Z")}),
			`{"type":"begin_stream","action_sequence_id":1,"span_id":null,"stream_init_time":"2025-01-01T20:00:02.000123Z"}`},
		{"first_item_stream", appendFirstItemStream(nil, 1, utc("2025-01-01T20:00:02.000456Z")),
			`{"type":"first_item_stream","action_sequence_id":1,"span_id":null,"first_item_time":"2025-01-01T20:00:02.000456Z"}`},
		{"end_stream", appendEndStream(nil, &burr.StreamEnd{AppContext: step(1, nil), Time: utc("2025-01-01T20:00:02.000789Z"), Items: 3}),
			`{"type":"end_stream","action_sequence_id":1,"span_id":null,"end_time":"2025-01-01T20:00:02.000789Z","items_streamed":3}`},
		{"end_stream verified", appendEndStream(nil, &burr.StreamEnd{AppContext: step(1, nil), Time: utc("2026-11-26T10:39:56.129962Z"), Items: 3}),
			`{"type":"end_stream","action_sequence_id":1,"span_id":null,"end_time":"2026-11-26T10:39:56.129962Z","items_streamed":3}`},
		{"child spawn", appendChildLine(nil, "child", local("2026-11-26T10:41:12.141762"), eventSpawnStart, 1),
			`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"child","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12.141762","event_type":"spawn_start","sequence_id":1}`},
		{"child fork", appendChildLine(nil, "forked", local("2026-11-26T10:41:12.149601"), eventFork, 0),
			`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"forked","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12.149601","event_type":"fork","sequence_id":0}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.got); got != tc.want+"\n" {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func nopAction(_ context.Context, s burr.State) (burr.State, error) { return s, nil }

// step is the header of the events of step seq running a.
func step(seq int, a *burr.Action) burr.AppContext {
	return burr.AppContext{StepRef: burr.AppRef{}.At(seq), Action: a}
}
