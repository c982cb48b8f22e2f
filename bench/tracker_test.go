package bench

import (
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
// step, gathered in the tracker's buffer and written with one write call per
// 64 KiB and at the end of the run.
func BenchmarkW1Tracker(b *testing.B) {
	tr := newBenchTracker(b)
	benchW1(b, 10_000, func(_ *testing.B, run int) ([]burr.Option, func()) {
		return []burr.Option{burr.WithHooks(tr), burr.WithAppID(fmt.Sprint("w1-", run))}, nil
	})
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
