package burrhttp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
)

// TestInterruptEvent: a streaming action asks for approval after its first
// item; the client gets the item, then an interrupt event with the payload.
// A request without the answer is refused with 409; one with it resumes.
func TestInterruptEvent(t *testing.T) {
	ask := burr.NewStreamingAction("approve", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		yield("checking")
		// NaN in the payload is sent as null, as everywhere (not refused).
		ans, err := burr.Ask(ctx, map[string]any{"tool": "delete_files", "question": "allow?", "score": math.NaN()})
		if err != nil {
			return nil, s, err
		}
		return burr.Result{"approved": ans}, s.Set("approved", ans), nil
	}, burr.Writes("approved"))
	app, err := burr.New(context.Background(), burr.WithActions(ask), burr.WithEntrypoint("approve"))
	if err != nil {
		t.Fatal(err)
	}
	sse := &burrhttp.SSE{Heartbeat: -1}
	errs := make(chan error, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var opts []burr.RunOption
		if a := r.URL.Query().Get("answer"); a != "" {
			opts = append(opts, burr.WithAnswer(a))
		}
		errs <- sse.Stream(w, r, app, append(opts, burr.HaltAfter("approve"))...)
	}))
	t.Cleanup(srv.Close)

	evs := collect(readEvents(get(t, context.Background(), srv.URL).Body))
	if err := <-errs; !errors.As(err, new(*burr.Interrupt)) {
		t.Fatalf("Stream returned %v", err)
	}
	want := []event{
		{"start", fmt.Sprintf(`{"app_id":%q,"action":"approve"}`, app.Ref().AppID)},
		{"item", `"checking"`},
		{"interrupt", fmt.Sprintf(`{"app_id":%q,"action":"approve","sequence_id":0,"payload":{"question":"allow?","score":null,"tool":"delete_files"}}`, app.Ref().AppID)},
	}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Fatalf("events:\n%v\nwant:\n%v", evs, want)
	}

	resp := get(t, context.Background(), srv.URL)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("resume without an answer: HTTP %d", resp.StatusCode)
	}
	<-errs

	evs = collect(readEvents(get(t, context.Background(), srv.URL+"?answer=yes").Body))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[2].name != "result" || app.State().Value("approved") != "yes" {
		t.Fatalf("resumed: %v", evs)
	}
}
