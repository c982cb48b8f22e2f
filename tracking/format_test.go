package tracking

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/trackfile"
)

// keysInOrder returns the member names of a JSON object in order, and the
// object of each member whose value is an object (nested, by name).
func keysInOrder(t *testing.T, raw []byte) ([]string, map[string][]byte) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	nested := map[string][]byte{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		keys = append(keys, k)
		if len(v) > 0 && v[0] == '{' {
			nested[k] = v
		}
	}
	return keys, nested
}

// Every line and file the writer produces has the fields of its trackfile
// model, in the model's order, and decodes without problems.
func TestWriterFollowsModels(t *testing.T) {
	now := time.Now()
	act := burr.NewAction("counter", nopAction, burr.Reads("count"), burr.Writes("count"), burr.RequiredInputs("step"))
	g, err := burr.NewGraph([]*burr.Action{act}, burr.From("counter").To("counter"))
	if err != nil {
		t.Fatal(err)
	}
	start := &burr.StepStart{Inputs: burr.Inputs{"step": 1}, Time: now}
	start.SequenceID, start.Action = 3, act
	end := &burr.StepEnd{Result: burr.Result{"count": 1}, State: burr.State{}.Set("count", 1), Time: now}
	end.SequenceID, end.Action = 3, act
	span := &burr.Span{ID: "3:0", Name: "s", StartTime: now, EndTime: now}
	span.SequenceID = 3
	attrs := &burr.Attributes{Attributes: []burr.Attribute{{Key: "k", Value: 1}}, Time: now}
	attrs.SequenceID = 3
	streamStart := &burr.StreamStart{Time: now}
	streamStart.SequenceID = 3
	streamEnd := &burr.StreamEnd{Items: 2, Time: now}
	streamEnd.SequenceID = 3

	lines := map[trackfile.Kind][]byte{
		trackfile.BeginEntry:       appendBeginEntry(nil, start, nil),
		trackfile.EndEntry:         appendEndEntry(nil, end, nil),
		trackfile.BeginSpan:        appendBeginSpan(nil, span),
		trackfile.EndSpan:          appendEndSpan(nil, span),
		trackfile.Attribute:        appendAttributes(nil, attrs, nil),
		trackfile.BeginStream:      appendBeginStream(nil, streamStart),
		trackfile.FirstItemStream:  appendFirstItemStream(nil, 3, now),
		trackfile.EndStream:        appendEndStream(nil, streamEnd),
		trackfile.ChildApplication: appendChildLine(nil, "child", now, eventFork, 3),
	}
	for kind, raw := range lines {
		l, err := trackfile.DecodeLine(raw)
		if err != nil || l.Kind != kind || len(l.Problems) != 0 {
			t.Errorf("%s: decoded as %s, %v, problems %q", kind, l.Kind, err, l.Problem())
			continue
		}
		keys, nested := keysInOrder(t, raw)
		if want := trackfile.FieldNames(l.Model); !slices.Equal(keys, want) {
			t.Errorf("%s: fields %v, model %v", kind, keys, want)
		}
		if child, ok := nested["child"]; ok {
			if keys, _ := keysInOrder(t, child); !slices.Equal(keys, trackfile.FieldNames(trackfile.PointerModel{})) {
				t.Errorf("child pointer: fields %v", keys)
			}
		}
	}

	files := []struct {
		data  []byte
		model any
	}{
		{graphJSON(g, "counter"), &trackfile.ApplicationModel{}},
		{metadataJSON("pk", &burr.StepRef{AppRef: burr.AppRef{AppID: "p"}, SequenceID: 1}, nil), &trackfile.ApplicationMetadataModel{}},
	}
	for _, f := range files {
		problems, err := trackfile.Decode(f.data, f.model)
		if err != nil || len(problems) != 0 {
			t.Errorf("%s: %v %v", f.data, err, problems)
		}
		keys, nested := keysInOrder(t, f.data)
		if want := trackfile.FieldNames(f.model); !slices.Equal(keys, want) {
			t.Errorf("%T: fields %v, model %v", f.model, keys, want)
		}
		if p, ok := nested["parent_pointer"]; ok {
			if keys, _ := keysInOrder(t, p); !slices.Equal(keys, trackfile.FieldNames(trackfile.PointerModel{})) {
				t.Errorf("parent pointer: fields %v", keys)
			}
		}
	}
	var raw struct {
		Actions     []json.RawMessage `json:"actions"`
		Transitions []json.RawMessage `json:"transitions"`
	}
	if err := json.Unmarshal(files[0].data, &raw); err != nil {
		t.Fatal(err)
	}
	if keys, _ := keysInOrder(t, raw.Actions[0]); !slices.Equal(keys, trackfile.FieldNames(trackfile.ActionModel{})) {
		t.Errorf("action: fields %v", keys)
	}
	if keys, _ := keysInOrder(t, raw.Transitions[0]); !slices.Equal(keys, trackfile.FieldNames(trackfile.TransitionModel{})) {
		t.Errorf("transition: fields %v", keys)
	}
}
