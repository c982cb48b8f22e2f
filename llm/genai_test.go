package llm_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
)

type attrRecorder struct {
	mu    sync.Mutex
	attrs map[string]any
}

func (r *attrRecorder) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, kv := range a.Attributes {
		r.attrs[kv.Key] = kv.Value
	}
	return nil
}

func TestChatActionLogsGenAIAttributes(t *testing.T) {
	h := &llmtest.Handler{Reply: func([]llm.Message) []string { return []string{"Fine", ", thanks."} }, ResponseModel: "test-model-v2"}
	srv := llmtest.NewServer(h)
	defer srv.Close()
	for _, m := range []llm.Model{newModel(srv), &llm.Offline{}} {
		rec := &attrRecorder{attrs: map[string]any{}}
		app, err := burr.New(context.Background(), burr.WithActions(llm.ChatAction("chat", m)),
			burr.WithEntrypoint("chat"), burr.WithHooks(rec))
		if err != nil {
			t.Fatal(err)
		}
		stream, err := turn(context.Background(), app, "How are you?")
		if err != nil {
			t.Fatal(err)
		}
		var items int
		for range stream.All() {
			items++
		}
		if _, _, err := stream.Get(); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			llm.AttrOperation:     "chat",
			llm.AttrRequestModel:  m.Name(),
			llm.AttrResponseModel: "offline",
			llm.AttrFinishReasons: []string{"stop"},
			llm.AttrInputTokens:   3, // "How are you?"
			llm.AttrOutputTokens:  items,
		}
		if m.Name() != "offline" {
			want[llm.AttrResponseModel] = "test-model-v2"
		}
		if fmt.Sprint(rec.attrs) != fmt.Sprint(want) {
			t.Errorf("%s: attributes\n%v\nwant\n%v", m.Name(), rec.attrs, want)
		}
	}
}
