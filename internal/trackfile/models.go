package trackfile

import "encoding/json"

// The models below are those of Burr's burr/tracking/common/models.py, with
// their fields in the order pydantic writes them: "type" first, then the
// model's fields in declaration order. Timestamps are [Time]; a field that
// may be null is a pointer (or a json.RawMessage holding null). Values that
// are the user's (inputs, results, states, attribute values) are kept as
// the JSON they were written as. A field tagged trackfile:"optional" has a
// default in Burr's model: it may be missing, or null, without a problem.

// BeginEntryModel is a begin_entry line: a step starts. Its time is local.
type BeginEntryModel struct {
	Type       Kind            `json:"type" trackfile:"optional"`
	StartTime  Time            `json:"start_time"`
	Action     string          `json:"action"`
	Inputs     json.RawMessage `json:"inputs"` // an object
	SequenceID int             `json:"sequence_id"`
}

// EndEntryModel is an end_entry line: a step ends. Its time is local. A
// failed step has a null result and the error's text as exception; state
// is the state after the step (before it, for a failed step).
type EndEntryModel struct {
	Type       Kind            `json:"type" trackfile:"optional"`
	EndTime    Time            `json:"end_time"`
	Action     string          `json:"action"`
	Result     json.RawMessage `json:"result"` // an object, or null
	Exception  *string         `json:"exception"`
	State      json.RawMessage `json:"state"` // an object
	SequenceID int             `json:"sequence_id"`
}

// BeginSpanModel is a begin_span line. Its time is local.
type BeginSpanModel struct {
	Type             Kind     `json:"type" trackfile:"optional"`
	StartTime        Time     `json:"start_time"`
	ActionSequenceID int      `json:"action_sequence_id"`
	SpanID           string   `json:"span_id"`
	SpanName         string   `json:"span_name"`
	ParentSpanID     *string  `json:"parent_span_id"`
	SpanDependencies []string `json:"span_dependencies"`
}

// EndSpanModel is an end_span line. Its time is local.
type EndSpanModel struct {
	Type             Kind   `json:"type" trackfile:"optional"`
	EndTime          Time   `json:"end_time"`
	ActionSequenceID int    `json:"action_sequence_id"`
	SpanID           string `json:"span_id"`
}

// AttributeModel is an attribute line: one attribute logged from an
// action, on a span or (span_id null) on the action itself. Its time is UTC.
type AttributeModel struct {
	Type             Kind            `json:"type" trackfile:"optional"`
	Key              string          `json:"key"`
	ActionSequenceID int             `json:"action_sequence_id"`
	SpanID           *string         `json:"span_id"`
	Value            json.RawMessage `json:"value"` // any JSON value
	Tags             json.RawMessage `json:"tags"`  // an object, always {}
	TimeLogged       Time            `json:"time_logged" trackfile:"optional"`
}

// InitializeStreamModel is a begin_stream line. Its span id is always null,
// its time UTC.
type InitializeStreamModel struct {
	Type             Kind    `json:"type" trackfile:"optional"`
	ActionSequenceID int     `json:"action_sequence_id"`
	SpanID           *string `json:"span_id"`
	StreamInitTime   Time    `json:"stream_init_time"`
}

// FirstItemStreamModel is a first_item_stream line, written for the first
// item of a stream. Its span id is always null, its time UTC.
type FirstItemStreamModel struct {
	Type             Kind    `json:"type" trackfile:"optional"`
	ActionSequenceID int     `json:"action_sequence_id"`
	SpanID           *string `json:"span_id"`
	FirstItemTime    Time    `json:"first_item_time"`
}

// EndStreamModel is an end_stream line. Its span id is always null, its
// time UTC.
type EndStreamModel struct {
	Type             Kind    `json:"type" trackfile:"optional"`
	ActionSequenceID int     `json:"action_sequence_id"`
	SpanID           *string `json:"span_id"`
	EndTime          Time    `json:"end_time"`
	ItemsStreamed    int     `json:"items_streamed"`
}

// PointerModel names another application. In children.jsonl the child's
// sequence id and partition key are always null.
type PointerModel struct {
	Type         Kind    `json:"type" trackfile:"optional"`
	AppID        string  `json:"app_id"`
	SequenceID   *int    `json:"sequence_id"`
	PartitionKey *string `json:"partition_key"`
}

// ChildApplicationModel is a children.jsonl line, in the parent's
// directory: a child was forked or spawned at the parent's sequence id. Its
// time is local; EventType is EventFork or EventSpawnStart.
type ChildApplicationModel struct {
	Type       Kind         `json:"type" trackfile:"optional"`
	Child      PointerModel `json:"child"`
	EventTime  Time         `json:"event_time"`
	EventType  string       `json:"event_type"`
	SequenceID *int         `json:"sequence_id"` // the parent's
}

// ApplicationMetadataModel is metadata.json.
type ApplicationMetadataModel struct {
	Type                  Kind          `json:"type" trackfile:"optional"`
	PartitionKey          *string       `json:"partition_key" trackfile:"optional"`
	ParentPointer         *PointerModel `json:"parent_pointer" trackfile:"optional"`          // the fork parent
	SpawningParentPointer *PointerModel `json:"spawning_parent_pointer" trackfile:"optional"` // the spawning parent
}

// ApplicationModel is graph.json.
type ApplicationModel struct {
	Type        Kind              `json:"type" trackfile:"optional"`
	Entrypoint  string            `json:"entrypoint"`
	Actions     []ActionModel     `json:"actions"`
	Transitions []TransitionModel `json:"transitions"`
}

// ActionModel is one action of graph.json. Burr swaps inputs and
// optional_inputs (docs/differences.md); Burr for Go writes the required inputs under
// inputs and the optional ones under optional_inputs.
type ActionModel struct {
	Type           Kind     `json:"type" trackfile:"optional"`
	Name           string   `json:"name"`
	Reads          []string `json:"reads"`
	Writes         []string `json:"writes"`
	Code           string   `json:"code"`
	Inputs         []string `json:"inputs" trackfile:"optional"`
	OptionalInputs []string `json:"optional_inputs" trackfile:"optional"`
}

// TransitionModel is one transition of graph.json: From is written "from_".
type TransitionModel struct {
	Type      Kind   `json:"type" trackfile:"optional"`
	From      string `json:"from_"`
	To        string `json:"to"`
	Condition string `json:"condition"`
}
