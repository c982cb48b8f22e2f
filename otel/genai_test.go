package burrotel_test

import (
	"context"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	burrotel "github.com/burrgo/burr/otel"
)

// The llm package's chat action reports the GenAI semantic conventions on
// its step's span.
func TestChatStepFollowsGenAIConventions(t *testing.T) {
	tp, exp := newProvider(t)
	app := mustNew(t, burr.WithActions(llm.ChatAction("chat", &llm.Offline{})), burr.WithEntrypoint("chat"),
		burr.WithHooks(burrotel.New(tp)))
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: "How are you?"}))
	if err != nil {
		t.Fatal(err)
	}
	items := 0
	for range s.All() {
		items++
	}
	if _, _, err := s.Get(); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	step := find(t, spans, "chat")
	wantAttr(t, step, "gen_ai.operation.name", "chat")
	wantAttr(t, step, "gen_ai.request.model", "offline")
	wantAttr(t, step, "gen_ai.response.model", "offline")
	wantAttr(t, step, "gen_ai.response.finish_reasons", []string{"stop"})
	wantAttr(t, step, "gen_ai.usage.input_tokens", 3)
	wantAttr(t, step, "gen_ai.usage.output_tokens", items)
	wantAttr(t, find(t, spans, "burr.stream"), "burr.stream.items", items)
}
