// Package tracking records Burr for Go applications in Burr's on-disk
// tracking format, so that Burr's web UI (and ours, `burr ui`) can show every
// step, span, attribute and stream of a run, and reads those records back to
// resume or fork an application from any step.
//
// # Tracking a run
//
// Create a LocalTracker for a project and register it as a hook:
//
//	tracker, err := tracking.NewLocal("my-project") // writes under ~/.burr/my-project
//	...
//	defer tracker.Close()
//	app, err := burr.New(ctx, burr.WithActions(...), burr.WithTransitions(...),
//		burr.WithHooks(tracker))
//
// Each application gets a directory holding graph.json, metadata.json and
// log.jsonl (see LocalTracker for the layout). Spans and attributes logged from
// inside actions with [burr.StartSpan] and [burr.LogAttributes] are written
// beside the steps. The files are byte-compatible with Python Burr's
// LocalTrackingClient; the one deliberate difference is that graph.json lists
// required inputs under "inputs" and optional ones under "optional_inputs"
// (Burr swaps them).
//
// # Resuming and forking
//
// A LocalTracker is a [burr.Loader]:
//
//	app, err := burr.New(ctx, burr.WithGraph(g), burr.WithHooks(tracker),
//		burr.WithInitializeFrom(tracker,
//			burr.ForkFrom(burr.AppRef{AppID: oldAppID, PartitionKey: pk}.At(5)),
//			burr.DefaultEntrypoint("counter")))
//
// # Cost
//
// The tracker writes one line per event with one write call and reuses its
// buffers; a streamed item costs one comparison. With no tracker (and no other
// span hook) [burr.StartSpan] returns a nil span and costs almost nothing.
package tracking
