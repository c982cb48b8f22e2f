package store

import (
	"context"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// The items a tracker recorded are read back for their step: a stopped
// answer's text, its count, and how it ended.
func TestRecordedFromTheTracker(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir), tracking.WithStreamItems())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	chat := burr.NewStreamingAction("chat", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		var out strings.Builder
		for _, tok := range []string{"Hello", ",", " world", "!", " More"} {
			out.WriteString(tok)
			if !yield(tok) {
				break
			}
		}
		return burr.Result{"text": out.String()}, s.Set("text", out.String()), nil
	}, burr.Writes("text"))
	app, err := burr.New(ctx, burr.WithActions(chat), burr.WithEntrypoint("chat"), burr.WithAppID("a"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.StreamResult(ctx, burr.HaltAfter("chat"))
	if err != nil {
		t.Fatal(err)
	}
	for s.Next() && s.Item() != " world" {
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	st := New(dir)
	a, err := st.App("p", "a")
	if err != nil || len(a.Problems) > 0 {
		t.Fatalf("%v, %v", err, a.Problems)
	}
	rec, err := st.Recorded(a, 0)
	if err != nil || rec == nil {
		t.Fatalf("Recorded = %v, %v", rec, err)
	}
	if rec.Count != 3 || !rec.IsText || rec.Text != "Hello, world" || !rec.Ended || rec.Outcome != "stopped" || rec.Error != "" || rec.First.IsZero() || rec.Last.Before(rec.First) {
		t.Errorf("recorded %+v", rec)
	}
	if rec, err := st.Recorded(a, 1); rec != nil || err != nil {
		t.Errorf("step 1: %v, %v", rec, err)
	}
}
