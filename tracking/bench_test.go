package tracking_test

import (
	"context"
	"testing"

	"github.com/burrgo/burr"
)

// BenchmarkSpan measures StartSpan, LogAttributes and End inside an action,
// with no tracker (StartSpan returns a nil span: almost free) and with the
// tracker writing three lines per span.
func BenchmarkSpan(b *testing.B) {
	for _, withTracker := range []bool{false, true} {
		name := "no-tracker"
		if withTracker {
			name = "tracker"
		}
		b.Run(name, func(b *testing.B) {
			act := burr.NewAction("spans", func(ctx context.Context, s burr.State) (burr.State, error) {
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					sctx, span := burr.StartSpan(ctx, "work")
					burr.LogAttributes(sctx, "n", 1)
					span.End()
				}
				return s, nil
			})
			opts := []burr.Option{burr.WithActions(act), burr.WithEntrypoint("spans")}
			if withTracker {
				opts = append(opts, burr.WithHooks(newTracker(b)))
			}
			app, err := burr.New(context.Background(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := app.Step(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
