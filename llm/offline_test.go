package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/llm"
)

func TestOfflineIsDeterministicAndLabelled(t *testing.T) {
	msgs := []llm.Message{{Role: llm.RoleUser, Content: "What is a state machine?"}}
	var a, b []string
	ra, err := (&llm.Offline{}).Chat(context.Background(), msgs, func(s string) bool { a = append(a, s); return true })
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := (&llm.Offline{}).Chat(context.Background(), msgs, func(s string) bool { b = append(b, s); return true })
	if ra.Usage == nil || rb.Usage == nil || *ra.Usage != *rb.Usage || ra.Usage.OutputTokens != len(a) || ra.Usage.InputTokens != len(llm.Tokens(msgs[0].Content)) || ra.Model != "offline" {
		t.Errorf("usage %+v / %+v, model %q, for %d tokens", ra.Usage, rb.Usage, ra.Model, len(a))
	}
	if ra.Content != rb.Content || strings.Join(a, "") != ra.Content || strings.Join(b, "") != rb.Content || len(a) < 10 {
		t.Errorf("not deterministic or not joined: %q / %q (%d tokens)", ra.Content, rb.Content, len(a))
	}
	for _, want := range []string{llm.OfflinePrefix, `"What is a state machine?"`, "question", "OPENAI_API_KEY"} {
		if !strings.Contains(ra.Content, want) {
			t.Errorf("answer %q does not contain %q", ra.Content, want)
		}
	}
	if !strings.HasPrefix(ra.Content, llm.OfflinePrefix) || ra.FinishReason != "stop" {
		t.Errorf("reply %+v", ra)
	}
}

func TestOfflineRemembersTheConversation(t *testing.T) {
	msgs := []llm.Message{{Role: "user", Content: "one"}, {Role: "assistant", Content: "…"}, {Role: "user", Content: "two"}}
	got := llm.OfflineAnswer(msgs)
	if !strings.Contains(got, "message 2 of our conversation") || !strings.Contains(got, `"two"`) {
		t.Errorf("answer %q", got)
	}
	// The advice to set an API key comes with the first answer only.
	if strings.Contains(got, "OPENAI_API_KEY") || !strings.Contains(llm.OfflineAnswer(msgs[:1]), "OPENAI_API_KEY") {
		t.Errorf("the first answer must say how to use a real model, the later ones not: %q", got)
	}
}

func TestOfflinePaceAndCancel(t *testing.T) {
	m := &llm.Offline{Delay: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	n := 0
	_, err := m.Chat(ctx, []llm.Message{{Role: "user", Content: "hello"}}, func(string) bool {
		if n++; n == 4 {
			cancel()
		}
		return true
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if n != 4 {
		t.Errorf("%d tokens after cancel, want 4", n)
	}
	if el := time.Since(start); el < 4*5*time.Millisecond {
		t.Errorf("4 tokens in %v: faster than the pace", el)
	}
}

func TestTokensJoinBack(t *testing.T) {
	for _, s := range []string{"", "a", "  lead", "a b  c\nd ", "héllo wörld"} {
		if got := strings.Join(llm.Tokens(s), ""); got != s {
			t.Errorf("Tokens(%q) joins to %q", s, got)
		}
	}
	if got := llm.Tokens("a b  c"); len(got) != 3 || got[1] != "b  " {
		t.Errorf("Tokens = %q", got)
	}
}
