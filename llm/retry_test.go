package llm_test

import (
	"context"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
)

// attempts records how many attempts each step took.
type attempts struct{ ends []burr.StepEnd }

func (a *attempts) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	a.ends = append(a.ends, *e)
	return nil
}

func flakyChat(t *testing.T, failFirst, tries int) (*burr.Application, *llmtest.Handler, *attempts) {
	t.Helper()
	h := &llmtest.Handler{FailFirst: failFirst}
	srv := llmtest.NewServer(h)
	t.Cleanup(srv.Close)
	m := llm.NewOpenAI(llm.WithBaseURL(srv.URL+"/v1"), llm.WithAPIKey("k"), llm.WithMaxRetries(0))
	rec := &attempts{}
	app, err := burr.New(context.Background(),
		burr.WithActions(llm.ChatAction("chat", m, burr.Retry(burr.RetryPolicy{Attempts: tries}))),
		burr.WithTransitions(burr.From("chat").To("chat")),
		burr.WithEntrypoint("chat"), burr.WithHooks(rec))
	if err != nil {
		t.Fatal(err)
	}
	return app, h, rec
}

// TestChatRetriesAFlakyModel: the model's service fails twice, the third
// attempt answers; the history holds the exchange once.
func TestChatRetriesAFlakyModel(t *testing.T) {
	app, h, rec := flakyChat(t, 2, 3)
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{"prompt": "Hello"}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range st.All() {
		n++
	}
	if _, _, err := st.Get(); err != nil || n == 0 {
		t.Fatalf("%d items, error %v", n, err)
	}
	if got := len(h.Requests()); got != 3 {
		t.Fatalf("%d requests, want 3", got)
	}
	if len(rec.ends) != 1 || rec.ends[0].Attempt != 3 || rec.ends[0].Err != nil {
		t.Fatalf("step ends %+v: want one successful step after 3 attempts", rec.ends)
	}
	if h := llm.History.Or(app.State(), nil); len(h) != 2 {
		t.Fatalf("history %v: want the user's message and the answer once", h)
	}
}

// TestChatRetriesGiveUp: the service fails more often than the policy
// allows; the step fails with the service's error and the history is
// unchanged.
func TestChatRetriesGiveUp(t *testing.T) {
	app, h, rec := flakyChat(t, 5, 2)
	_, err := app.Step(t.Context(), burr.WithInputs(burr.Inputs{"prompt": "Hello"}))
	if err == nil || burr.Committed(err) {
		t.Fatalf("error %v: want the step to fail", err)
	}
	if got := len(h.Requests()); got != 2 {
		t.Fatalf("%d requests, want 2", got)
	}
	if len(rec.ends) != 1 || rec.ends[0].Attempt != 2 {
		t.Fatalf("step ends %+v", rec.ends)
	}
	if app.State().Has(llm.HistoryKey) {
		t.Fatal("a failed step changed the history")
	}
}
