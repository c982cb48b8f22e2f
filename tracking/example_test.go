package tracking_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// exampleGraph counts to three, logging a span and an attribute per step.
func exampleGraph() *burr.Graph {
	count := burr.Key[int]("count")
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		ctx, span := burr.StartSpan(ctx, "add-one")
		defer span.End()
		n := count.Or(s, 0) + 1
		burr.LogAttributes(ctx, "count", n)
		return count.Set(s, n), nil
	}, burr.Reads("count"), burr.Writes("count"))
	done := burr.ResultAction("done", "count")
	g, err := burr.NewGraph([]*burr.Action{counter, done},
		burr.From("counter").To("counter", burr.Expr("count < 3")),
		burr.From("counter").To("done"))
	if err != nil {
		panic(err)
	}
	return g
}

// Track a run: every step, span and attribute becomes a line of log.jsonl
// under <storage dir>/<project>/<app id>, ready for `burr ui`.
func ExampleNewLocal() {
	dir, _ := os.MkdirTemp("", "burr-example")
	defer os.RemoveAll(dir)
	tracker, err := tracking.NewLocal("example", tracking.WithStorageDir(dir))
	if err != nil {
		panic(err)
	}
	defer tracker.Close()

	ctx := context.Background()
	app, err := burr.New(ctx, burr.WithGraph(exampleGraph()), burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("counter"), burr.WithAppID("run-1"), burr.WithHooks(tracker))
	if err != nil {
		panic(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		panic(err)
	}

	files, _ := os.ReadDir(filepath.Join(tracker.Dir(), "run-1"))
	for _, f := range files {
		fmt.Println(f.Name())
	}
	log, _ := os.ReadFile(filepath.Join(tracker.Dir(), "run-1", tracking.LogFile))
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n")[:6] {
		typ, _, _ := strings.Cut(strings.TrimPrefix(line, `{"type":"`), `"`)
		fmt.Println(typ)
	}
	// Output:
	// graph.json
	// log.jsonl
	// metadata.json
	// begin_entry
	// begin_span
	// attribute
	// end_span
	// end_entry
	// begin_entry
}

// Fork a new application from any step of a tracked run: the tracker is a
// burr.Loader. The fork starts from the state after step 1 and keeps a
// pointer to its parent.
func ExampleLocalTracker_Load() {
	dir, _ := os.MkdirTemp("", "burr-example")
	defer os.RemoveAll(dir)
	tracker, err := tracking.NewLocal("example", tracking.WithStorageDir(dir))
	if err != nil {
		panic(err)
	}
	defer tracker.Close()
	ctx := context.Background()

	first, _ := burr.New(ctx, burr.WithGraph(exampleGraph()), burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("counter"), burr.WithAppID("original"), burr.WithHooks(tracker))
	if _, err := first.Run(ctx, burr.HaltAfter("done")); err != nil {
		panic(err)
	}

	fork, err := burr.New(ctx, burr.WithGraph(exampleGraph()), burr.WithAppID("fork"), burr.WithHooks(tracker),
		burr.WithInitializeFrom(tracker,
			burr.ForkFrom(burr.AppRef{AppID: "original"}.At(1)),
			burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		panic(err)
	}
	seq, _ := fork.SequenceID()
	fmt.Println("forked at sequence id", seq, "with count", fork.State().Value("count"))
	res, err := fork.Run(ctx, burr.HaltAfter("done"))
	if err != nil {
		panic(err)
	}
	fmt.Println("result:", res.Result)
	meta, _ := os.ReadFile(filepath.Join(tracker.Dir(), "fork", tracking.MetadataFile))
	fmt.Println(string(meta))
	// Output:
	// forked at sequence id 1 with count 2
	// result: map[count:3]
	// {"type": "application_metadata", "partition_key": null, "parent_pointer": {"type": "pointer_data", "app_id": "original", "sequence_id": 1, "partition_key": null}, "spawning_parent_pointer": null}
}
