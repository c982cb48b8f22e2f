package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/burrgo/burr/internal/trackfile"
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
	// StatusInterrupted is a step ended by a question (burr.Ask): its
	// end_entry has an exception, and the step an "interrupt" attribute
	// holding the question's payload. The latest step interrupted means the
	// application waits for an answer.
	StatusInterrupted Status = "interrupted"
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
	// Parts are the differences inside a changed value, by path (nil
	// when the value is shown changed whole: a scalar, or values too
	// different or too large to compare).
	Parts []Part
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
	// Interrupt is the payload of the question that ended the step, for
	// StatusInterrupted.
	Interrupt json.RawMessage
	// FailedAttempts counts the attempts of a retried step that failed
	// before its last one: its "attempt N" spans.
	FailedAttempts int
	State          []Field
	Changes        []Change
	Spans          []*Span // depth-first, children after their parent
	Attributes     []Attribute
	Stream         *Stream
}

// Duration is End-Start, or 0 for a running step.
func (s *Step) Duration() time.Duration {
	if !s.HasEnd {
		return 0
	}
	return s.End.Sub(s.Start)
}

type entry struct {
	begin *trackfile.BeginEntryModel
	end   *trackfile.EndEntryModel // nil while the step runs
}

// status is the status of the step of an entry, by the reading rules of
// package trackfile.
func (e *entry) status() Status {
	switch {
	case e.end == nil:
		return StatusRunning
	case e.end.Exception != nil:
		return StatusFailed
	}
	return StatusCompleted
}

type spanRec struct {
	begin *trackfile.BeginSpanModel
	end   *trackfile.EndSpanModel
	attrs []Attribute
	seq   int
}

// Log is a parsed log.jsonl, read by the reading rules of package
// trackfile (which the application list follows too). Lines can be added
// as the file grows; Steps rebuilds the step view from everything added so
// far. A Log is not safe for concurrent use.
type Log struct {
	lines   int
	errors  []LineError
	entries map[int]*entry // by sequence id: the steps
	current *entry         // of the last begin_entry
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

// AddLine parses one line, numbered line in its file, which comes after the
// lines added before it in the file (not necessarily just after them: the
// application page adds the lines of the steps it shows only).
func (l *Log) AddLine(line int, raw []byte) {
	l.lines++
	if msg := l.addLine(bytes.TrimSpace(raw)); msg != "" {
		l.errors = append(l.errors, LineError{Line: line, Msg: msg})
	}
}

func (l *Log) addLine(raw []byte) string {
	if len(raw) == 0 {
		return "" // blank lines are harmless
	}
	ln, err := trackfile.DecodeLine(raw)
	if err != nil {
		return err.Error()
	}
	msg := ln.Problem()
	switch m := ln.Model.(type) {
	case *trackfile.BeginEntryModel:
		e := &entry{begin: m} // the step starts afresh
		l.entries[m.SequenceID] = e
		l.current = e
	case *trackfile.EndEntryModel:
		e := l.entries[m.SequenceID]
		switch {
		case e == nil:
			msg = join(msg, fmt.Sprintf("end_entry: no begin_entry before it for sequence id %d", m.SequenceID))
		case m.Action != e.begin.Action:
			msg = join(msg, fmt.Sprintf("end_entry: action %q differs from the begin_entry's %q", m.Action, e.begin.Action))
			e.end = m
		default:
			e.end = m
		}
	case *trackfile.BeginSpanModel:
		l.span(m.SpanID, m.ActionSequenceID).begin = m
	case *trackfile.EndSpanModel:
		l.span(m.SpanID, m.ActionSequenceID).end = m
	case *trackfile.AttributeModel:
		a := Attribute{Key: m.Key, Value: m.Value, Time: m.TimeLogged.Time}
		if m.SpanID != nil && *m.SpanID != "" {
			// The span may begin later in odd files; keep it with the span.
			a.SpanID = *m.SpanID
			s := l.span(a.SpanID, m.ActionSequenceID)
			s.attrs = append(s.attrs, a)
		} else {
			l.attrs[m.ActionSequenceID] = append(l.attrs[m.ActionSequenceID], a)
		}
	case *trackfile.InitializeStreamModel:
		st := l.stream(m.ActionSequenceID)
		st.Init, st.HasInit = m.StreamInitTime.Time, !m.StreamInitTime.IsZero()
	case *trackfile.FirstItemStreamModel:
		st := l.stream(m.ActionSequenceID)
		st.FirstItem, st.HasFirstItem = m.FirstItemTime.Time, !m.FirstItemTime.IsZero()
	case *trackfile.EndStreamModel:
		st := l.stream(m.ActionSequenceID)
		st.End, st.Ended = m.EndTime.Time, !m.EndTime.IsZero()
		st.Items = m.ItemsStreamed
	default:
		return fmt.Sprintf("unexpected %s line in a log", ln.Kind)
	}
	return msg
}

// join joins two messages about one line.
func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// span returns the record of span id, created in step seq when new.
func (l *Log) span(id string, seq int) *spanRec {
	s := l.spans[id]
	if s == nil {
		s = &spanRec{seq: seq}
		l.spans[id] = s
	}
	return s
}

// stream returns the stream of step seq, created when new.
func (l *Log) stream(seq int) *Stream {
	st := l.streams[seq]
	if st == nil {
		st = &Stream{}
		l.streams[seq] = st
	}
	return st
}

// Latest returns the application's current step among steps, as returned by
// Steps: the step of the last begin_entry of the log, whose action and
// status the application list shows. It returns nil when there is none.
func (l *Log) Latest(steps []*Step) *Step {
	if l.current == nil {
		return nil
	}
	seq := l.current.begin.SequenceID
	i, ok := slices.BinarySearchFunc(steps, seq, func(s *Step, seq int) int { return s.SequenceID - seq })
	if !ok {
		return nil
	}
	return steps[i]
}

// Status is the status of the current step (see Latest), or StatusNew
// without steps.
func (l *Log) Status() Status {
	if l.current == nil {
		return StatusNew
	}
	st := l.current.status()
	if st == StatusFailed && interruptOf(l.attrs[l.current.begin.SequenceID]) != nil {
		return StatusInterrupted
	}
	return st
}

// Duration is End-Start, or 0 for a span that has not ended.
func (s *Span) Duration() time.Duration {
	if !s.Ended {
		return 0
	}
	return s.End.Sub(s.Start)
}
