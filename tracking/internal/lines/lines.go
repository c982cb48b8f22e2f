// Package lines encodes the lines and files of Burr's tracking format
// exactly as Burr's pydantic models dump them: the file tracker
// (tracking.LocalTracker) and the PostgreSQL tracker write the same bytes
// through it.
package lines

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/internal/trackfile"
)

// This file encodes the lines of log.jsonl and children.jsonl exactly as
// Burr's pydantic models dump them (docs/tracking-format.md): compact JSON,
// "type" first, then the fields of the trackfile models in their order.
// Every encoder appends to a caller-owned buffer, so a line costs no
// allocation of its own beyond what encoding user values needs.
//
// The encoders of lines holding the user's values (inputs, results, states,
// attributes) take a bad *error (which may be nil): a value that can be
// written neither as JSON nor as text is written as a placeholder, and *bad,
// unless already set, says which one.

// AppendValue appends v as JSON. A value JSON cannot hold (a channel, a
// function, a type whose MarshalJSON fails) is written as its fmt.Sprint text,
// as Burr's serde falls back to str(value). A value that contains itself
// (jsonx.Text) is written as a placeholder, and reported in *bad as the value
// of what key (an input, a result or state key, an attribute) of the step seq.
func AppendValue(buf []byte, v any, bad *error, seq int, what, key string) []byte {
	start := len(buf)
	out, err := jsonx.Append(buf, v)
	if err == nil {
		return out
	}
	text, err := jsonx.Text(v)
	if err != nil && bad != nil && *bad == nil {
		*bad = fmt.Errorf("step %d: %s %q: %w; written as %q", seq, what, key, err, text)
	}
	return jsonx.AppendString(buf[:start], text)
}

// AppendObject appends m as a JSON object with sorted keys; nil becomes {}.
// The other arguments are AppendValue's.
func AppendObject(buf []byte, m map[string]any, bad *error, seq int, what string) []byte {
	buf = append(buf, '{')
	switch len(m) {
	case 0:
	case 1:
		for k, v := range m {
			buf = jsonx.AppendString(buf, k)
			buf = append(buf, ':')
			buf = AppendValue(buf, v, bad, seq, what, k)
		}
	default:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = jsonx.AppendString(buf, k)
			buf = append(buf, ':')
			buf = AppendValue(buf, m[k], bad, seq, what, k)
		}
	}
	return append(buf, '}')
}

// AppendState appends the state of step seq as Burr's State.serialize writes
// it: keys in order, internal keys last.
func AppendState(buf []byte, s burr.State, bad *error, seq int) []byte {
	start := len(buf)
	out, err := s.AppendJSON(buf)
	if err == nil {
		return out
	}
	// One value does not encode: write the others and that one as text.
	buf = append(buf[:start], '{')
	first := true
	for k, v := range s.All() {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = jsonx.AppendString(buf, k)
		buf = append(buf, ':')
		buf = AppendValue(buf, v, bad, seq, "state key", k)
	}
	return append(buf, '}')
}

// appendNullableString appends s, or null when s is empty.
func appendNullableString(buf []byte, s string) []byte {
	if s == "" {
		return append(buf, "null"...)
	}
	return jsonx.AppendString(buf, s)
}

func appendStrings(buf []byte, list []string) []byte {
	buf = append(buf, '[')
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonx.AppendString(buf, s)
	}
	return append(buf, ']')
}

// ExceptionText is what end_entry.exception holds for a failed step: the
// error's text ending in a newline, as Burr's formatted tracebacks do.
func ExceptionText(err error) string {
	msg := err.Error()
	if pe := (*burr.PanicError)(nil); errors.As(err, &pe) {
		// The panic's stack takes the place of Burr's traceback.
		msg += "\n\n" + string(pe.Stack)
	}
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	return msg
}

// The start of every line: its kind.
const (
	beginEntryHead      = `{"type":"` + string(trackfile.BeginEntry) + `"`
	endEntryHead        = `{"type":"` + string(trackfile.EndEntry) + `"`
	beginSpanHead       = `{"type":"` + string(trackfile.BeginSpan) + `"`
	endSpanHead         = `{"type":"` + string(trackfile.EndSpan) + `"`
	attributeHead       = `{"type":"` + string(trackfile.Attribute) + `"`
	beginStreamHead     = `{"type":"` + string(trackfile.BeginStream) + `"`
	firstItemStreamHead = `{"type":"` + string(trackfile.FirstItemStream) + `"`
	endStreamHead       = `{"type":"` + string(trackfile.EndStream) + `"`
	childHead           = `{"type":"` + string(trackfile.ChildApplication) + `"`
	pointerHead         = `{"type":"` + string(trackfile.Pointer) + `"`
)

// AppendBeginEntry appends a begin_entry line (BeginEntryModel).
func AppendBeginEntry(buf []byte, e *burr.StepStart, bad *error) []byte {
	buf = append(buf, beginEntryHead+`,"start_time":"`...)
	buf = trackfile.AppendLocal(buf, e.Time)
	buf = append(buf, `","action":`...)
	buf = jsonx.AppendString(buf, e.Action.Name())
	buf = append(buf, `,"inputs":`...)
	buf = AppendObject(buf, e.Inputs, bad, e.SequenceID, "input")
	buf = append(buf, `,"sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(e.SequenceID), 10)
	return append(buf, "}\n"...)
}

// AppendEndEntry appends an end_entry line (EndEntryModel). A failed step has
// a null result and the error's text as exception.
func AppendEndEntry(buf []byte, e *burr.StepEnd, bad *error) []byte {
	buf = append(buf, endEntryHead+`,"end_time":"`...)
	buf = trackfile.AppendLocal(buf, e.Time)
	buf = append(buf, `","action":`...)
	buf = jsonx.AppendString(buf, e.Action.Name())
	buf = append(buf, `,"result":`...)
	if e.Err != nil {
		buf = append(buf, `null,"exception":`...)
		buf = jsonx.AppendString(buf, ExceptionText(e.Err))
	} else {
		buf = AppendObject(buf, e.Result, bad, e.SequenceID, "result key")
		buf = append(buf, `,"exception":null`...)
	}
	buf = append(buf, `,"state":`...)
	buf = AppendState(buf, e.State, bad, e.SequenceID)
	buf = append(buf, `,"sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(e.SequenceID), 10)
	return append(buf, "}\n"...)
}

// AppendBeginSpan appends a begin_span line (BeginSpanModel).
func AppendBeginSpan(buf []byte, s *burr.Span) []byte {
	buf = append(buf, beginSpanHead+`,"start_time":"`...)
	buf = trackfile.AppendLocal(buf, s.StartTime)
	buf = append(buf, `","action_sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(s.SequenceID), 10)
	buf = append(buf, `,"span_id":`...)
	buf = jsonx.AppendString(buf, s.ID)
	buf = append(buf, `,"span_name":`...)
	buf = jsonx.AppendString(buf, s.Name)
	buf = append(buf, `,"parent_span_id":`...)
	buf = appendNullableString(buf, s.ParentID)
	buf = append(buf, `,"span_dependencies":`...)
	buf = appendStrings(buf, s.Dependencies)
	return append(buf, "}\n"...)
}

// AppendEndSpan appends an end_span line (EndSpanModel).
func AppendEndSpan(buf []byte, s *burr.Span) []byte {
	buf = append(buf, endSpanHead+`,"end_time":"`...)
	buf = trackfile.AppendLocal(buf, s.EndTime)
	buf = append(buf, `","action_sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(s.SequenceID), 10)
	buf = append(buf, `,"span_id":`...)
	buf = jsonx.AppendString(buf, s.ID)
	return append(buf, "}\n"...)
}

// AppendAttributes appends one attribute line (AttributeModel) per attribute.
func AppendAttributes(buf []byte, a *burr.Attributes, bad *error) []byte {
	for _, at := range a.Attributes {
		buf = append(buf, attributeHead+`,"key":`...)
		buf = jsonx.AppendString(buf, at.Key)
		buf = append(buf, `,"action_sequence_id":`...)
		buf = strconv.AppendInt(buf, int64(a.SequenceID), 10)
		buf = append(buf, `,"span_id":`...)
		buf = appendNullableString(buf, a.SpanID)
		buf = append(buf, `,"value":`...)
		buf = AppendValue(buf, at.Value, bad, a.SequenceID, "attribute", at.Key)
		buf = append(buf, `,"tags":{},"time_logged":"`...)
		buf = trackfile.AppendUTC(buf, a.Time)
		buf = append(buf, "\"}\n"...)
	}
	return buf
}

// appendStreamLine appends one of the three stream lines, which share their
// shape: type, action_sequence_id, span_id (always null), a UTC time field.
func appendStreamLine(buf []byte, head, timeField string, seq int, t time.Time) []byte {
	buf = append(buf, head...)
	buf = append(buf, `,"action_sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(seq), 10)
	buf = append(buf, `,"span_id":null,"`...)
	buf = append(buf, timeField...)
	buf = append(buf, `":"`...)
	buf = trackfile.AppendUTC(buf, t)
	return append(buf, '"')
}

// AppendBeginStream appends a begin_stream line (InitializeStreamModel).
func AppendBeginStream(buf []byte, e *burr.StreamStart) []byte {
	return append(appendStreamLine(buf, beginStreamHead, "stream_init_time", e.SequenceID, e.Time), "}\n"...)
}

// AppendFirstItemStream appends a first_item_stream line (FirstItemStreamModel).
func AppendFirstItemStream(buf []byte, seq int, t time.Time) []byte {
	return append(appendStreamLine(buf, firstItemStreamHead, "first_item_time", seq, t), "}\n"...)
}

// AppendEndStream appends an end_stream line (EndStreamModel).
func AppendEndStream(buf []byte, e *burr.StreamEnd) []byte {
	buf = appendStreamLine(buf, endStreamHead, "end_time", e.SequenceID, e.Time)
	buf = append(buf, `,"items_streamed":`...)
	buf = strconv.AppendInt(buf, int64(e.Items), 10)
	return append(buf, "}\n"...)
}

// appendPointer appends a PointerModel, or null.
func appendPointer(buf []byte, p *burr.StepRef) []byte {
	if p == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, pointerHead+`,"app_id":`...)
	buf = jsonx.AppendString(buf, p.AppID)
	buf = append(buf, `,"sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(p.SequenceID), 10)
	buf = append(buf, `,"partition_key":`...)
	buf = appendNullableString(buf, p.PartitionKey)
	return append(buf, '}')
}

// Child link kinds in children.jsonl.
const (
	EventFork       = trackfile.EventFork
	EventSpawnStart = trackfile.EventSpawnStart
)

// AppendChildLine appends a children.jsonl line (ChildApplicationModel). As in
// Burr, the child pointer's sequence id and partition key are always null.
func AppendChildLine(buf []byte, childAppID string, t time.Time, eventType string, parentSeq int) []byte {
	buf = append(buf, childHead+`,"child":`+pointerHead+`,"app_id":`...)
	buf = jsonx.AppendString(buf, childAppID)
	buf = append(buf, `,"sequence_id":null,"partition_key":null},"event_time":"`...)
	buf = trackfile.AppendLocal(buf, t)
	buf = append(buf, `","event_type":"`...)
	buf = append(buf, eventType...)
	buf = append(buf, `","sequence_id":`...)
	buf = strconv.AppendInt(buf, int64(parentSeq), 10)
	return append(buf, "}\n"...)
}

// GraphJSON returns graph.json (ApplicationModel) in json.dumps style. Unlike
// Burr, inputs holds the required inputs and optional_inputs the optional ones.
func GraphJSON(g *burr.Graph, entrypoint string) []byte {
	buf := []byte(`{"type":"` + string(trackfile.Application) + `","entrypoint":`)
	buf = jsonx.AppendString(buf, entrypoint)
	buf = append(buf, `,"actions":[`...)
	for i, a := range g.Actions() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"type":"`+string(trackfile.Action)+`","name":`...)
		buf = jsonx.AppendString(buf, a.Name())
		buf = append(buf, `,"reads":`...)
		buf = appendStrings(buf, a.Reads())
		buf = append(buf, `,"writes":`...)
		buf = appendStrings(buf, a.Writes())
		buf = append(buf, `,"code":`...)
		buf = jsonx.AppendString(buf, a.Code())
		buf = append(buf, `,"inputs":`...)
		buf = appendStrings(buf, a.RequiredInputs())
		buf = append(buf, `,"optional_inputs":`...)
		buf = appendStrings(buf, a.OptionalInputs())
		buf = append(buf, '}')
	}
	buf = append(buf, `],"transitions":[`...)
	i := 0
	for _, t := range g.Transitions() {
		for _, from := range t.From {
			if i > 0 {
				buf = append(buf, ',')
			}
			i++
			buf = append(buf, `{"type":"`+string(trackfile.Transition)+`","from_":`...)
			buf = jsonx.AppendString(buf, from)
			buf = append(buf, `,"to":`...)
			buf = jsonx.AppendString(buf, t.To)
			buf = append(buf, `,"condition":`...)
			buf = jsonx.AppendString(buf, t.Condition.Name())
			buf = append(buf, '}')
		}
	}
	buf = append(buf, "]}"...)
	return jsonx.PyFormat(buf)
}

// MetadataJSON returns metadata.json (ApplicationMetadataModel) in json.dumps
// style.
func MetadataJSON(partitionKey string, parent, spawning *burr.StepRef) []byte {
	buf := []byte(`{"type":"` + string(trackfile.ApplicationMetadata) + `","partition_key":`)
	buf = appendNullableString(buf, partitionKey)
	buf = append(buf, `,"parent_pointer":`...)
	buf = appendPointer(buf, parent)
	buf = append(buf, `,"spawning_parent_pointer":`...)
	buf = appendPointer(buf, spawning)
	buf = append(buf, '}')
	return jsonx.PyFormat(buf)
}
