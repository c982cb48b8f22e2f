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
// # What a crash can lose
//
// The tracker gathers an application's lines in a buffer and writes them
// with one write call (see LocalTracker for when): when each call of the
// application (Step, Run, Iterate, a stream) ends, at the first step of a
// call, every 64 KiB, and at a step boundary 5 ms or more after the last
// write, so that the UI follows a long run closely. Hence:
//
//   - a clean [LocalTracker.Close] loses nothing; close the tracker before
//     the process exits;
//   - a process killed with SIGKILL, or crashing, loses at most the lines of
//     the call in progress still in the buffer (at most 64 KiB and one
//     event's lines), never a line of a call that had returned;
//   - the log read back is a prefix of the run in whole lines, in order;
//     only a kill during a write may cut the last line, which the next
//     writer ends with a newline and readers skip;
//   - nothing is fsynced: a crash of the machine may lose more.
//
// # Cost
//
// The tracker writes a buffer of whole lines with one write call per call of
// the application or per 64 KiB (about one write per few hundred fast steps)
// and reuses its buffers; a streamed item costs one comparison. With no
// tracker (and no other span hook) [burr.StartSpan] returns a nil span and
// costs almost nothing.
package tracking
