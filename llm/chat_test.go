package llm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
)

var earlier = []llm.Message{
	{Role: llm.RoleUser, Content: "Hi"},
	{Role: llm.RoleAssistant, Content: "Hello!"},
}

// newChatApp returns an application whose only action is a ChatAction on m,
// looping to itself, with history in its state.
func newChatApp(t *testing.T, m llm.Model, history any) *burr.Application {
	t.Helper()
	s := burr.State{}
	if history != nil {
		s = s.Set(llm.HistoryKey, history)
	}
	app, err := burr.New(context.Background(),
		burr.WithActions(llm.ChatAction("chat", m)),
		burr.WithTransitions(burr.From("chat").To("chat")),
		burr.WithEntrypoint("chat"),
		burr.WithState(s))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func turn(ctx context.Context, app *burr.Application, prompt string) (*burr.Stream, error) {
	return app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: prompt}))
}

func history(t *testing.T, app *burr.Application) []llm.Message {
	t.Helper()
	h, err := llm.History.Get(app.State())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestChatActionStreamsAndAppends(t *testing.T) {
	h := &llmtest.Handler{Reply: func([]llm.Message) []string { return []string{"Fine", ", thanks."} }}
	srv := llmtest.NewServer(h)
	defer srv.Close()
	// A history as it comes back from a persister: JSON maps, not Messages.
	loaded := []any{map[string]any{"role": "user", "content": "Hi"}, map[string]any{"role": "assistant", "content": "Hello!"}}
	app := newChatApp(t, newModel(srv), loaded)
	stream, err := turn(context.Background(), app, "How are you?")
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for item := range stream.All() {
		items = append(items, item.(string))
	}
	res, state, err := stream.Get()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(items) != "[Fine , thanks.]" {
		t.Errorf("items %q", items)
	}
	if res["content"] != "Fine, thanks." || res["finish_reason"] != "stop" || res["model"] != "test-model" {
		t.Errorf("result %v", res)
	}
	want := append(append([]llm.Message{}, earlier...), llm.Message{Role: "user", Content: "How are you?"}, llm.Message{Role: "assistant", Content: "Fine, thanks."})
	got, _ := llm.History.Get(state)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if sent := h.Requests()[0].Messages; fmt.Sprint(sent) != fmt.Sprint(want[:3]) {
		t.Errorf("sent %v, want %v", sent, want[:3])
	}
}

func TestChatActionFailureKeepsHistory(t *testing.T) {
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			app := newChatApp(t, newModel(srv), earlier)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			stream, err := turn(ctx, app, "How are you?")
			if err != nil {
				t.Fatal(err)
			}
			for range stream.All() {
			}
			_, _, err = stream.Get()
			var ae *burr.ActionError
			if !errors.As(err, &ae) || ae.Action != "chat" || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v: want an ActionError from chat saying %q", err, tc.wantErr)
			}
			if got := history(t, app); fmt.Sprint(got) != fmt.Sprint(earlier) {
				t.Errorf("history after a failed turn = %v, want it unchanged", got)
			}
		})
	}
}

func TestChatActionStopKeepsPartialAnswer(t *testing.T) {
	app := newChatApp(t, &llm.Offline{Delay: time.Millisecond}, nil)
	stream, err := turn(context.Background(), app, "Tell me a story")
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for item := range stream.All() {
		got.WriteString(item.(string))
		if got.Len() > 20 {
			if err := stream.Stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, _, err := stream.Get()
	if err != nil {
		t.Fatal(err)
	}
	if res["finish_reason"] != llm.FinishStopped || res["content"] != got.String() {
		t.Errorf("result %v, streamed %q", res, got.String())
	}
	h := history(t, app)
	if len(h) != 2 || h[1].Content != got.String() || !strings.HasPrefix(h[1].Content, llm.OfflinePrefix) {
		t.Errorf("history %v", h)
	}
}

func TestChatActionCloseKeepsNothing(t *testing.T) {
	app := newChatApp(t, &llm.Offline{}, earlier)
	stream, err := turn(context.Background(), app, "Tell me a story")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range stream.All() {
		if n++; n == 3 {
			break
		}
	}
	if _, _, err := stream.Get(); !errors.Is(err, burr.ErrStreamClosed) {
		t.Errorf("Get after break: %v, want ErrStreamClosed", err)
	}
	if got := history(t, app); fmt.Sprint(got) != fmt.Sprint(earlier) {
		t.Errorf("history %v, want it unchanged", got)
	}
}

func TestChatActionRejectsNonStringPrompt(t *testing.T) {
	app := newChatApp(t, &llm.Offline{}, nil)
	stream, err := app.StreamResult(context.Background(), burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{"prompt": 42}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := stream.Get(); err == nil || !strings.Contains(err.Error(), `input "prompt" must be a string, not int`) {
		t.Errorf("error %v", err)
	}
}

// TestChatActionStopAbortsASilentModel: Stop arrives while the model has gone
// quiet after its first token; the request is aborted at once and the token
// the consumer saw is kept.
func TestChatActionStopAbortsASilentModel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		llmtest.StartStream(w)
		llmtest.WriteChunk(w, "m", "Hello", "", "")
		<-r.Context().Done()
	}))
	defer srv.Close()
	app := newChatApp(t, newModel(srv), nil)
	stream, err := turn(context.Background(), app, "Hi")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		var b strings.Builder
		for item := range stream.All() {
			b.WriteString(item.(string))
		}
		done <- b.String()
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := stream.Stop(); err != nil {
		t.Fatal(err)
	}
	var got string
	select {
	case got = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not abort the silent model")
	}
	res, _, err := stream.Get()
	if err != nil || got != "Hello" || res["content"] != "Hello" || res["finish_reason"] != llm.FinishStopped {
		t.Fatalf("streamed %q, result %v, err %v (after %v)", got, res, err, time.Since(start))
	}
	if h := history(t, app); len(h) != 2 || h[1].Content != "Hello" {
		t.Fatalf("history %v", h)
	}
}
