package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
)

func TestChatbot(t *testing.T) {
	ctx := context.Background()
	g, err := llm.Chatbot(&llm.Offline{}, "be brief")
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(ctx, burr.WithGraph(g), burr.WithEntrypoint("system"))
	if err != nil {
		t.Fatal(err)
	}
	for _, prompt := range []string{"hello", "again"} {
		s, err := app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: prompt}))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for tok := range s.All() {
			b.WriteString(tok.(string))
		}
		r, _, err := s.Get()
		if err != nil || r["content"] != b.String() || !strings.HasPrefix(b.String(), "[offline model]") {
			t.Fatalf("%q %v %v", b.String(), r, err)
		}
	}
	h, err := llm.History.Get(app.State())
	if err != nil || len(h) != 5 || h[0].Role != llm.RoleSystem || h[0].Content != "be brief" || h[3].Content != "again" {
		t.Fatalf("history %+v %v", h, err)
	}
}
