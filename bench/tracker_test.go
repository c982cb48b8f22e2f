package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

func newBenchTracker(b *testing.B) *tracking.LocalTracker {
	b.Helper()
	tr, err := tracking.NewLocal("bench", tracking.WithStorageDir(b.TempDir()),
		tracking.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := tr.Err(); err != nil {
			b.Error(err)
		}
		tr.Close()
	})
	return tr
}

// BenchmarkW1Tracker is W1 with the local tracker on, writing to a temporary
// directory: two log.jsonl lines (begin_entry, end_entry with the state) per
// step, each one write call.
func BenchmarkW1Tracker(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	g := w1Graph(b, n)
	tr := newBenchTracker(b)
	var m meter
	run := 0
	for b.Loop() {
		b.StopTimer()
		run++
		app := newW1App(b, g, burr.WithHooks(tr), burr.WithAppID(fmt.Sprint("w1-", run)))
		m.start(b)
		res, err := app.Run(ctx, burr.HaltAfter("done"))
		m.stop(b, n+1)
		if err != nil {
			b.Fatal(err)
		}
		checkW1(b, res, n)
		b.StartTimer()
	}
	m.report(b, "step")
}

// BenchmarkW2Tracker is W2 with the local tracker on ("w2"): the stream's
// lines are written once per run, and a streamed item costs the tracker one
// comparison. The "overhead" pair streams an item that costs nothing to
// build, without and with the tracker, to show the tracker's per-item cost.
func BenchmarkW2Tracker(b *testing.B) {
	b.Run("w2", func(b *testing.B) { benchW2(b, burr.WithHooks(newBenchTracker(b))) })
	b.Run("overhead-no-tracker", func(b *testing.B) { benchStaticW2(b) })
	b.Run("overhead-tracker", func(b *testing.B) { benchStaticW2(b, burr.WithHooks(newBenchTracker(b))) })
}
