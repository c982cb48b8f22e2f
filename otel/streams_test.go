package burrotel_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/codes"
)

func TestStreamSpans(t *testing.T) {
	gen := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		mode := s.Value("mode")
		for i := range 5 {
			if mode == "fail" && i == 2 {
				return nil, s, errors.New("model went away")
			}
			if mode == "ask" && i == 1 {
				if _, err := burr.Ask(ctx, "more?"); err != nil {
					return nil, s, err
				}
			}
			if !y(i) {
				break
			}
		}
		return burr.Result{}, s, nil
	}, burr.Reads("mode"))
	cases := []struct {
		mode, outcome string
		items         int
		consume       func(*burr.Stream) error
	}{
		{"full", burrotel.OutcomeCompleted, 5, func(s *burr.Stream) error {
			for range s.All() {
			}
			_, _, err := s.Get()
			return err
		}},
		{"stop", burrotel.OutcomeStopped, 1, func(s *burr.Stream) error {
			s.Next()
			return s.Stop()
		}},
		{"close", burrotel.OutcomeClosed, 1, func(s *burr.Stream) error {
			s.Next()
			s.Close()
			_, _, err := s.Get()
			if !errors.Is(err, burr.ErrStreamClosed) {
				return err
			}
			return nil
		}},
		{"ask", burrotel.OutcomeInterrupted, 1, func(s *burr.Stream) error {
			for range s.All() {
			}
			var intr *burr.Interrupt
			if _, _, err := s.Get(); !errors.As(err, &intr) {
				return fmt.Errorf("not interrupted: %v", err)
			}
			return nil
		}},
		{"fail", burrotel.OutcomeFailed, 2, func(s *burr.Stream) error {
			for range s.All() {
			}
			if _, _, err := s.Get(); err == nil {
				return errors.New("no error")
			}
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			tp, exp := newProvider(t)
			app := mustNew(t, burr.WithActions(gen), burr.WithEntrypoint("gen"),
				burr.WithState(burr.State{}.Set("mode", c.mode)), burr.WithHooks(burrotel.New(tp)))
			s, err := app.StreamResult(context.Background(), burr.HaltAfter("gen"))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.consume(s); err != nil {
				t.Fatal(err)
			}
			spans := exp.GetSpans()
			want := `burr.stream_result
  gen
    burr.stream
`
			if got := tree(spans); got != want {
				t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
			}
			st := find(t, spans, "burr.stream")
			wantAttr(t, st, "burr.stream.items", c.items)
			wantAttr(t, st, "burr.stream.outcome", c.outcome)
			if len(st.Events) == 0 || st.Events[0].Name != burrotel.EventFirstItem {
				t.Fatalf("events %+v", st.Events)
			}
			if v, ok := attr(st, "burr.stream.time_to_first_item_ms"); !ok || v.AsFloat64() < 0 {
				t.Fatalf("time to first item: %v", st.Attributes)
			}
			if failed := st.Status.Code == codes.Error; failed != (c.outcome == burrotel.OutcomeFailed) {
				t.Fatalf("status %+v for outcome %s", st.Status, c.outcome)
			}
		})
	}
}
