package trackfile

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// specLines are lines of every kind as Python Burr writes them
// (docs/tracking-format.md), one per kind.
var specLines = []string{
	`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{"step":2},"sequence_id":0}`,
	`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"counter","result":{"count":2},"exception":null,"state":{"count":2,"__SEQUENCE_ID":0,"__PRIOR_STEP":"counter"},"sequence_id":0}`,
	`{"type":"end_entry","end_time":"2025-01-01T12:00:01.000303","action":"boom","result":null,"exception":"Traceback (most recent call last):\n  File \"app.py\", line 30, in boom\n    raise ValueError(\"bad\")\nValueError: bad\n","state":{"count":2,"__SEQUENCE_ID":1,"__PRIOR_STEP":"counter"},"sequence_id":1}`,
	`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000150","action_sequence_id":0,"span_id":"0:0.0","span_name":"inner","parent_span_id":"0:0","span_dependencies":["outer"]}`,
	`{"type":"end_span","end_time":"2025-01-01T12:00:00.000170","action_sequence_id":0,"span_id":"0:0.0"}`,
	`{"type":"attribute","key":"prompt_length","action_sequence_id":0,"span_id":null,"value":42,"tags":{},"time_logged":"2025-01-01T20:00:00.000160Z"}`,
	`{"type":"begin_stream","action_sequence_id":1,"span_id":null,"stream_init_time":"2025-01-01T20:00:02.000123Z"}`,
	`{"type":"first_item_stream","action_sequence_id":1,"span_id":null,"first_item_time":"2025-01-01T20:00:02.000456Z"}`,
	`{"type":"end_stream","action_sequence_id":1,"span_id":null,"end_time":"2025-01-01T20:00:02.000789Z","items_streamed":3}`,
	`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"child","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12.141762","event_type":"spawn_start","sequence_id":1}`,
}

// topKeys lists the member names of a JSON object in order.
func topKeys(t *testing.T, raw string) []string {
	t.Helper()
	var names []string
	for _, m := range members([]byte(raw), nil) {
		names = append(names, m.name)
	}
	return names
}

// Those lines decode without problems, to what encoding/json reads,
// and their members are the models' fields in the models' order.
func TestDecodeSpecLines(t *testing.T) {
	for _, raw := range specLines {
		l, err := DecodeLine([]byte(raw))
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if len(l.Problems) != 0 {
			t.Errorf("%s: problems %s", raw, l.Problem())
		}
		if got, want := topKeys(t, raw), FieldNames(l.Model); !slices.Equal(got, want) {
			t.Errorf("%s: members %v, model fields %v", l.Kind, got, want)
		}
		want := ModelOf(l.Kind)
		if err := json.Unmarshal([]byte(raw), want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(l.Model, want) {
			t.Errorf("%s: decoded %+v, encoding/json reads %+v", l.Kind, l.Model, want)
		}
	}
	l, _ := DecodeLine([]byte(specLines[1]))
	e := l.Model.(*EndEntryModel)
	if e.Action != "counter" || e.SequenceID != 0 || e.Exception != nil || string(e.State) != `{"count":2,"__SEQUENCE_ID":0,"__PRIOR_STEP":"counter"}` ||
		e.EndTime.Format("15:04:05.000000") != "12:00:00.000202" {
		t.Errorf("end_entry = %+v", e)
	}
	l, _ = DecodeLine([]byte(specLines[2]))
	if e := l.Model.(*EndEntryModel); e.Exception == nil || !strings.HasSuffix(*e.Exception, "ValueError: bad\n") || string(e.Result) != "null" {
		t.Errorf("failed end_entry = %+v", e)
	}
}

func TestDecodeLineRules(t *testing.T) {
	const rest = `,"start_time":"2025-01-01T12:00:00","action":"a","inputs":{},"sequence_id":4}`
	tests := []struct {
		name, raw string
		kind      Kind   // "" when the line is skipped
		err       error  // when skipped: errors.Is
		msg       string // when skipped: the error's text; else Problem()
	}{
		{"plain", `{"type":"begin_entry"` + rest, BeginEntry, nil, ""},
		{"spaces", " {\"type\" : \"begin_entry\"\t" + rest + " \n", BeginEntry, nil, ""},
		{"escaped name", `{"\u0074ype":"begin_entry"` + rest, BeginEntry, nil, ""},
		{"escaped kind", `{"type":"begin\u005fentry"` + rest, BeginEntry, nil, ""},
		{"escaped field name", `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"a","inputs":{},"sequence\u005fid":4}`, BeginEntry, nil, ""},
		{"other case", `{"Type":"begin_entry"` + rest, "", ErrMissingType, "missing type"},
		{"last type counts", `{"type":"end_entry","type":"begin_entry"` + rest, BeginEntry, nil, ""},
		{"extra member", `{"type":"begin_entry","extra":[1,{"a":"}"}]` + rest, BeginEntry, nil, ""},
		{"invalid JSON", `{"type":"begin_entry","start_time":"2025-01-01T12:00`, "", ErrInvalidJSON, "invalid JSON"},
		{"blank", "  ", "", ErrInvalidJSON, "invalid JSON"},
		{"array", `[1,2,3]`, "", ErrNotObject, "not a JSON object"},
		{"no type", `{"no_type":1}`, "", ErrMissingType, "missing type"},
		{"type not a string", `{"type":5}`, "", ErrMissingType, "missing type"},
		{"unknown kind", `{"type":"mystery"}`, "", ErrUnknownKind, `unknown line type "mystery"`},
		{"graph object", `{"type":"application"}`, "", ErrUnknownKind, `unknown line type "application"`},
		{"no sequence id", `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"x","inputs":{}}`, "", nil, "begin_entry: missing sequence_id"},
		{"string sequence id", `{"type":"end_entry","end_time":"2025-01-01T12:00:00","action":"x","result":{},"exception":null,"state":{},"sequence_id":"4"}`, "", nil, `end_entry: invalid sequence_id "4"`},
		{"fractional sequence id", `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"x","inputs":{},"sequence_id":4.5}`, "", nil, "begin_entry: invalid sequence_id 4.5"},
		{"span without id", `{"type":"end_span","end_time":"2025-01-01T12:00:00","action_sequence_id":0,"span_id":null}`, "", nil, "end_span: invalid span_id null"},
		{"child without app id", `{"type":"child_application_data","child":{"type":"pointer_data","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12","event_type":"fork","sequence_id":0}`, "", nil, "child_application_data: missing child.app_id"},
		// Other fields: the line counts, the problem is listed.
		{"numeric start time", `{"type":"begin_entry","start_time":1735732800,"action":"a","inputs":{},"sequence_id":4}`, BeginEntry, nil, "begin_entry: invalid start_time 1735732800"},
		{"bad start time", `{"type":"begin_span","start_time":"garbage","action_sequence_id":0,"span_id":"0:0","span_name":"s","parent_span_id":null,"span_dependencies":[]}`, BeginSpan, nil, `begin_span: invalid start_time "garbage"`},
		{"null action, no inputs", `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":null,"sequence_id":4}`, BeginEntry, nil, "begin_entry: invalid action null; begin_entry: missing inputs"},
		{"numeric exception", `{"type":"end_entry","end_time":"2025-01-01T12:00:00","action":"x","result":{},"exception":7,"state":{},"sequence_id":4}`, EndEntry, nil, "end_entry: invalid exception 7"},
		{"optional field missing", `{"type":"attribute","key":"k","action_sequence_id":0,"span_id":null,"value":1,"tags":{}}`, Attribute, nil, ""},
		{"optional field null", `{"type":"attribute","key":"k","action_sequence_id":0,"span_id":null,"value":1,"tags":{},"time_logged":null}`, Attribute, nil, ""},
		{"long value", `{"type":"attribute","key":"k","action_sequence_id":0,"span_id":["x` + strings.Repeat("é", 30) + `"],"value":1,"tags":{},"time_logged":"2025-01-01T20:00:00Z"}`, Attribute, nil,
			`attribute: invalid span_id ["x` + strings.Repeat("é", 18) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := DecodeLine([]byte(tt.raw))
			if tt.kind == "" {
				if err == nil {
					t.Fatalf("decoded as %s", l.Kind)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				var fe *FieldError
				if tt.err == nil && !errors.As(err, &fe) {
					t.Errorf("err = %T, want a *FieldError", err)
				}
				if err.Error() != tt.msg {
					t.Errorf("err = %q, want %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Kind != tt.kind || l.Problem() != tt.msg {
				t.Errorf("kind %s, problem %q; want %s, %q", l.Kind, l.Problem(), tt.kind, tt.msg)
			}
		})
	}
	l, _ := DecodeLine([]byte(`{"type":"begin_entry","start_time":1735732800,"action":"a","inputs":{"x":1},"sequence_id":4}`))
	if b := l.Model.(*BeginEntryModel); !b.StartTime.IsZero() || b.Action != "a" || string(b.Inputs) != `{"x":1}` || b.SequenceID != 4 {
		t.Errorf("begin_entry with a numeric start time = %+v", b)
	}
	l, _ = DecodeLine([]byte(`{"type":"begin_entry","action":"first","action":"last","start_time":"2025-01-01T12:00:00","inputs":{},"sequence_id":1}`))
	if b := l.Model.(*BeginEntryModel); b.Action != "last" {
		t.Errorf("repeated member: action %q, want the last", b.Action)
	}
}

// MayBe is true for every line DecodeLine reads as that kind.
func TestMayBe(t *testing.T) {
	for _, raw := range []string{
		`{"type":"end_entry"}`,
		`{"\u0074ype":"end_entry"}`,
		`{"type":"end\u005fentry"}`,
		`{"type":"\u0065nd_entry"}`,
	} {
		if !MayBe([]byte(raw), EndEntry) {
			t.Errorf("MayBe(%s, end_entry) = false", raw)
		}
	}
	if MayBe([]byte(specLines[0]), EndEntry) {
		t.Error("a begin_entry line may be an end_entry")
	}
}

func TestDecodeFile(t *testing.T) {
	// An older Burr wrote no inputs; the second action is no object.
	graph := `{"type": "application", "entrypoint": "counter", "actions": [{"type": "action", "name": "counter", "reads": ["count"], "writes": ["count"], "code": "def counter(): ..."}, 3], "transitions": [{"from_": "counter", "to": "counter", "condition": "default"}]}`
	var g ApplicationModel
	problems, err := Decode([]byte(graph), &g)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Actions) != 2 || g.Actions[0].Name != "counter" || g.Transitions[0].From != "counter" || g.Entrypoint != "counter" {
		t.Errorf("graph = %+v", g)
	}
	if len(problems) != 1 || problems[0].Error() != "application: invalid actions.1 3" {
		t.Errorf("problems = %v", problems)
	}
	meta := `{"type": "application_metadata", "partition_key": "pk", "parent_pointer": null, "spawning_parent_pointer": {"type": "pointer_data", "app_id": "parent", "sequence_id": 1, "partition_key": 5}}`
	var m ApplicationMetadataModel
	problems, err = Decode([]byte(meta), &m)
	if err != nil {
		t.Fatal(err)
	}
	if *m.PartitionKey != "pk" || m.ParentPointer != nil || m.SpawningParentPointer.AppID != "parent" || *m.SpawningParentPointer.SequenceID != 1 {
		t.Errorf("metadata = %+v", m)
	}
	if len(problems) != 1 || problems[0].Error() != "application_metadata: invalid spawning_parent_pointer.partition_key 5" {
		t.Errorf("problems = %v", problems)
	}
	if _, err := Decode([]byte(`[]`), &m); !errors.Is(err, ErrNotObject) {
		t.Errorf("array: %v", err)
	}
}

// FuzzDecodeLine checks that no input makes the decoder panic or loop, and
// that what it decodes is a line kind with its model.
func FuzzDecodeLine(f *testing.F) {
	for _, l := range specLines {
		f.Add(l)
	}
	f.Add(`{"\u0074ype":"begin\u005fentry","a":[{"\"":"}"}],"sequence_id":1}`)
	f.Add(`{"type":"child_application_data","child":{"app_id":"x"},"sequence_id":0}`)
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := DecodeLine([]byte(raw))
		if err != nil {
			return
		}
		if reflect.TypeOf(l.Model) != reflect.TypeOf(ModelOf(l.Kind)) {
			t.Errorf("kind %s with model %T", l.Kind, l.Model)
		}
	})
}
