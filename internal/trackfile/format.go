package trackfile

// The files in an application's directory,
// <storage dir>/<project>/<app id>/.
const (
	LogFile      = "log.jsonl"      // one line per step, span, attribute and stream event
	GraphFile    = "graph.json"     // the application's graph (ApplicationModel)
	MetadataFile = "metadata.json"  // partition key and parent pointers (ApplicationMetadataModel)
	ChildrenFile = "children.jsonl" // one line per forked or spawned child (ChildApplicationModel)
	// StreamItemsFile holds the items of streamed steps and how each
	// stream ended, when the tracker records them (not a file of Burr's).
	StreamItemsFile = "stream_items.jsonl"
)

// Kind is the "type" of a line or of a JSON object of the format.
type Kind string

// The kinds of the lines of log.jsonl (docs/tracking-format.md).
const (
	BeginEntry      Kind = "begin_entry"       // BeginEntryModel: a step starts
	EndEntry        Kind = "end_entry"         // EndEntryModel: a step ends
	BeginSpan       Kind = "begin_span"        // BeginSpanModel
	EndSpan         Kind = "end_span"          // EndSpanModel
	Attribute       Kind = "attribute"         // AttributeModel
	BeginStream     Kind = "begin_stream"      // InitializeStreamModel
	FirstItemStream Kind = "first_item_stream" // FirstItemStreamModel
	EndStream       Kind = "end_stream"        // EndStreamModel
)

// The kinds of the lines of stream_items.jsonl, which Burr does not write.
const (
	StreamItem      Kind = "stream_item" // one streamed item
	StreamEndRecord Kind = "stream_end"  // how a stream ended
)

// The kinds of the lines of children.jsonl and of the objects of graph.json
// and metadata.json (docs/tracking-format.md).
const (
	ChildApplication    Kind = "child_application_data" // ChildApplicationModel, a children.jsonl line
	Pointer             Kind = "pointer_data"           // PointerModel
	ApplicationMetadata Kind = "application_metadata"   // ApplicationMetadataModel, metadata.json
	Application         Kind = "application"            // ApplicationModel, graph.json
	Action              Kind = "action"                 // ActionModel
	Transition          Kind = "transition"             // TransitionModel
)

// The event types of children.jsonl.
const (
	EventFork       = "fork"        // the child was forked from the parent
	EventSpawnStart = "spawn_start" // the child was spawned by an action of the parent
)
