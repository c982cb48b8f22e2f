package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Status is the state of a step or of a whole application.
type Status string

// The statuses shown by the UI. A step with a begin_entry and no
// end_entry is running; an end_entry with an exception has failed.
const (
	StatusNew       Status = "new" // an application without steps yet
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
)

// LineError is a log.jsonl line that was skipped.
type LineError struct {
	Line int // 1-based line number
	Msg  string
}

func (e LineError) String() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Attribute is one attribute line, logged from inside an action.
type Attribute struct {
	Key    string
	SpanID string // empty for an action-level attribute
	Value  json.RawMessage
	Time   time.Time
}

// Stream holds the stream lines of one streamed step. Lines may be
// missing (a log cut short, or written by hand): each measure is only
// given when the lines it needs are there.
type Stream struct {
	Init, FirstItem, End         time.Time
	HasInit, HasFirstItem, Ended bool
	Items                        int // from end_stream; may be nonsense (negative)
}

// TimeToFirstItem is the time from the start of the stream to its first
// item, or 0 when no item came or the start of the stream is unknown.
func (s *Stream) TimeToFirstItem() time.Duration {
	if !s.HasInit || !s.HasFirstItem {
		return 0
	}
	return max(s.FirstItem.Sub(s.Init), 0)
}

// Duration is the time from the start to the end of the stream, or 0
// while it has not ended or when its start is unknown.
func (s *Stream) Duration() time.Duration {
	if !s.HasInit || !s.Ended {
		return 0
	}
	return max(s.End.Sub(s.Init), 0)
}

// HasItems reports whether Items is a count to show: the stream has
// ended and its count is not negative.
func (s *Stream) HasItems() bool { return s.Ended && s.Items >= 0 }

// HasRate reports whether ItemsPerSecond means something: the count is
// known and the stream took some time.
func (s *Stream) HasRate() bool { return s.HasItems() && s.Duration() > 0 }

// ItemsPerSecond is the number of items divided by the stream's
// duration, or 0 when HasRate is false.
func (s *Stream) ItemsPerSecond() float64 {
	if !s.HasRate() {
		return 0
	}
	return float64(s.Items) / s.Duration().Seconds()
}

// Span is one begin_span/end_span pair, with its attributes.
type Span struct {
	ID, Name, ParentID string
	Dependencies       []string
	Start, End         time.Time
	Ended              bool
	Attributes         []Attribute
	Depth              int     // nesting level in the waterfall, 0 for a top-level span
	Left, Width        float64 // bar position in percent of the step's time window
}

// Field is one key of a state, in the order the state was written.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Change is one difference between a step's state and the previous step's.
type Change struct {
	Key      string
	Kind     string // "added", "removed" or "changed"
	Old, New json.RawMessage
}

// Step is one action execution, grouped by sequence id.
type Step struct {
	SequenceID int
	Action     string
	Status     Status
	Start, End time.Time
	HasEnd     bool
	Inputs     json.RawMessage
	Result     json.RawMessage
	Exception  string
	State      []Field
	Changes    []Change
	Spans      []*Span // depth-first, children after their parent
	Attributes []Attribute
	Stream     *Stream
}

// Duration is End-Start, or 0 for a running step.
func (s *Step) Duration() time.Duration {
	if !s.HasEnd {
		return 0
	}
	return s.End.Sub(s.Start)
}

// line holds every field of every log.jsonl line kind (spec §6.6).
type line struct {
	Type             string          `json:"type"`
	StartTime        string          `json:"start_time"`
	EndTime          string          `json:"end_time"`
	Action           string          `json:"action"`
	Inputs           json.RawMessage `json:"inputs"`
	SequenceID       *int            `json:"sequence_id"`
	Result           json.RawMessage `json:"result"`
	Exception        *string         `json:"exception"`
	State            json.RawMessage `json:"state"`
	ActionSequenceID *int            `json:"action_sequence_id"`
	SpanID           *string         `json:"span_id"`
	SpanName         string          `json:"span_name"`
	ParentSpanID     *string         `json:"parent_span_id"`
	SpanDependencies []string        `json:"span_dependencies"`
	Key              string          `json:"key"`
	Value            json.RawMessage `json:"value"`
	TimeLogged       string          `json:"time_logged"`
	StreamInitTime   string          `json:"stream_init_time"`
	FirstItemTime    string          `json:"first_item_time"`
	ItemsStreamed    *int            `json:"items_streamed"`
}

// parseTime reads both timestamp styles of the format: naive local time
// "YYYY-MM-DDTHH:MM:SS[.ffffff]" (entries, spans, children) and UTC with
// a "Z" suffix (attributes, streams).
func parseTime(s string) (time.Time, error) {
	if strings.HasSuffix(s, "Z") || strings.LastIndexAny(s, "+-") > len("2006-01-02") {
		return time.Parse(time.RFC3339Nano, s)
	}
	return time.ParseInLocation("2006-01-02T15:04:05", s, time.Local)
}

type entry struct {
	begin, end *line
	beginT     time.Time
	endT       time.Time
}

type spanRec struct {
	begin, end   *line
	start, stop  time.Time
	attrs        []Attribute
	seq          int
	firstLineIdx int
}

// Log is a parsed log.jsonl. Lines can be added as the file grows; Steps
// rebuilds the step view from everything added so far. A Log is not
// safe for concurrent use.
type Log struct {
	lines   int
	errors  []LineError
	entries map[int]*entry
	spans   map[string]*spanRec
	attrs   map[int][]Attribute // attributes without a (known) span
	streams map[int]*Stream
}

// NewLog returns an empty Log.
func NewLog() *Log {
	return &Log{
		entries: map[int]*entry{},
		spans:   map[string]*spanRec{},
		attrs:   map[int][]Attribute{},
		streams: map[int]*Stream{},
	}
}

// Lines is the number of lines added so far.
func (l *Log) Lines() int { return l.lines }

// Errors lists the lines that were skipped, in order.
func (l *Log) Errors() []LineError { return l.errors }

// SplitLines splits data at newlines; a final line without a newline is
// included, a final empty line is not.
func SplitLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Add parses the lines in data, which continues the lines added before.
// A line that cannot be used is skipped and recorded in Errors.
func (l *Log) Add(data []byte) {
	for _, raw := range SplitLines(data) {
		l.lines++
		if msg := l.addLine(bytes.TrimSpace(raw)); msg != "" {
			l.errors = append(l.errors, LineError{Line: l.lines, Msg: msg})
		}
	}
}

func (l *Log) addLine(raw []byte) string {
	if len(raw) == 0 {
		return "" // blank lines are harmless
	}
	var ln line
	if err := json.Unmarshal(raw, &ln); err != nil {
		return "invalid JSON"
	}
	timeField := func(name, v string) (time.Time, string) {
		t, err := parseTime(v)
		if err != nil {
			return t, fmt.Sprintf("%s: invalid %s %q", ln.Type, name, v)
		}
		return t, ""
	}
	switch ln.Type {
	case "begin_entry", "end_entry":
		if ln.SequenceID == nil {
			return ln.Type + ": missing sequence_id"
		}
		e := l.entries[*ln.SequenceID]
		if e == nil {
			e = &entry{}
			l.entries[*ln.SequenceID] = e
		}
		var msg string
		if ln.Type == "begin_entry" {
			e.beginT, msg = timeField("start_time", ln.StartTime)
			e.begin = &ln
		} else {
			e.endT, msg = timeField("end_time", ln.EndTime)
			e.end = &ln
		}
		return msg
	case "begin_span", "end_span":
		if ln.SpanID == nil || ln.ActionSequenceID == nil {
			return ln.Type + ": missing span_id or action_sequence_id"
		}
		s := l.spans[*ln.SpanID]
		if s == nil {
			s = &spanRec{seq: *ln.ActionSequenceID, firstLineIdx: l.lines}
			l.spans[*ln.SpanID] = s
		}
		var msg string
		if ln.Type == "begin_span" {
			s.start, msg = timeField("start_time", ln.StartTime)
			s.begin = &ln
		} else {
			s.stop, msg = timeField("end_time", ln.EndTime)
			s.end = &ln
		}
		return msg
	case "attribute":
		if ln.ActionSequenceID == nil {
			return "attribute: missing action_sequence_id"
		}
		t, msg := timeField("time_logged", ln.TimeLogged)
		a := Attribute{Key: ln.Key, Value: ln.Value, Time: t}
		if ln.SpanID != nil {
			a.SpanID = *ln.SpanID
		}
		if s := l.spans[a.SpanID]; a.SpanID != "" && s != nil {
			s.attrs = append(s.attrs, a)
		} else if a.SpanID != "" {
			// The span may begin later in odd files; keep it with the span.
			s = &spanRec{seq: *ln.ActionSequenceID, firstLineIdx: l.lines, attrs: []Attribute{a}}
			l.spans[a.SpanID] = s
		} else {
			l.attrs[*ln.ActionSequenceID] = append(l.attrs[*ln.ActionSequenceID], a)
		}
		return msg
	case "begin_stream", "first_item_stream", "end_stream":
		if ln.ActionSequenceID == nil {
			return ln.Type + ": missing action_sequence_id"
		}
		st := l.streams[*ln.ActionSequenceID]
		if st == nil {
			st = &Stream{}
			l.streams[*ln.ActionSequenceID] = st
		}
		var msg string
		switch ln.Type {
		case "begin_stream":
			st.Init, msg = timeField("stream_init_time", ln.StreamInitTime)
			st.HasInit = msg == ""
		case "first_item_stream":
			st.FirstItem, msg = timeField("first_item_time", ln.FirstItemTime)
			st.HasFirstItem = msg == ""
		default:
			st.End, msg = timeField("end_time", ln.EndTime)
			st.Ended = msg == ""
			if ln.ItemsStreamed != nil {
				st.Items = *ln.ItemsStreamed
			}
		}
		return msg
	case "":
		return "missing type"
	default:
		return fmt.Sprintf("unknown line type %q", ln.Type)
	}
}

// Status is the status of the last step, or StatusNew without steps.
func (l *Log) Status() Status {
	steps := l.Steps()
	if len(steps) == 0 {
		return StatusNew
	}
	return steps[len(steps)-1].Status
}

// Duration is End-Start, or 0 for a span that has not ended.
func (s *Span) Duration() time.Duration {
	if !s.Ended {
		return 0
	}
	return s.End.Sub(s.Start)
}
