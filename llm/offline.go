package llm

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// OfflinePrefix starts every answer of the offline model, so that nobody
// mistakes it for a real model's.
const OfflinePrefix = "[offline model]"

// DefaultOfflineDelay is the offline model's default pause before each token:
// about the pace of a hosted model.
const DefaultOfflineDelay = 20 * time.Millisecond

// Offline is a deterministic Model that needs no network and no API key: it
// answers from the conversation alone, one word at a time, at a steady pace.
// The same conversation always gets the same answer. It is what the demo and
// the examples use when no API key is set, and what tests use with a zero
// delay. It is safe for concurrent use.
type Offline struct {
	// Delay is the pause before each token; zero streams as fast as the
	// consumer reads.
	Delay time.Duration
}

// NewOffline returns the offline model at DefaultOfflineDelay.
func NewOffline() *Offline { return &Offline{Delay: DefaultOfflineDelay} }

// Name returns "offline".
func (*Offline) Name() string { return "offline" }

// Chat streams the offline answer to the last user message. See Model.
func (m *Offline) Chat(ctx context.Context, messages []Message, emit func(string) bool) (Reply, error) {
	var timer *time.Timer
	if m.Delay > 0 {
		timer = time.NewTimer(m.Delay)
		defer timer.Stop()
	}
	var b strings.Builder
	out := 0 // the tokens emitted
	for _, tok := range Tokens(OfflineAnswer(messages)) {
		if timer != nil {
			select {
			case <-ctx.Done():
				return Reply{}, fmt.Errorf("llm: offline model: request aborted: %w", context.Cause(ctx))
			case <-timer.C:
				timer.Reset(m.Delay)
			}
		} else if err := ctx.Err(); err != nil {
			return Reply{}, fmt.Errorf("llm: offline model: request aborted: %w", context.Cause(ctx))
		}
		if !emit(tok) {
			return Reply{Content: b.String(), FinishReason: FinishStopped, Model: m.Name(), Usage: &Usage{InputTokens: inputTokens(messages), OutputTokens: out}}, nil
		}
		b.WriteString(tok)
		out++
	}
	return Reply{Content: b.String(), FinishReason: "stop", Model: m.Name(), Usage: &Usage{InputTokens: inputTokens(messages), OutputTokens: out}}, nil
}

// OfflineAnswer returns the whole answer the offline model gives to a
// conversation: it starts with OfflinePrefix, quotes the last user message
// and says a word about it. The answer to the first message also says how to
// talk to a real model; later answers do not repeat it.
func OfflineAnswer(messages []Message) string {
	var prompt string
	turn := 0
	for _, m := range messages {
		if m.Role == RoleUser {
			prompt = m.Content
			turn++
		}
	}
	prompt = strings.TrimSpace(prompt)
	words := len(strings.Fields(prompt))
	var b strings.Builder
	b.WriteString(OfflinePrefix)
	fmt.Fprintf(&b, " You said: %q.", prompt)
	switch {
	case words == 0:
		b.WriteString(" That was an empty message; type something and I will answer it.")
	case strings.HasSuffix(prompt, "?"):
		fmt.Fprintf(&b, " That is a question of %d %s. I cannot look anything up, but I can tell you that its longest word is %q.", words, plural(words, "word"), longestWord(prompt))
	default:
		fmt.Fprintf(&b, " That is %d %s, and its longest word is %q.", words, plural(words, "word"), longestWord(prompt))
	}
	if turn > 1 {
		fmt.Fprintf(&b, " This is message %d of our conversation, which I remember because Burr keeps it in the application's state.", turn)
		return b.String()
	}
	b.WriteString(" This is the first message of our conversation.")
	b.WriteString(" I am an offline stand-in that answers without a network; set OPENAI_API_KEY (and OPENAI_BASE_URL and OPENAI_MODEL for another server) to talk to a real model.")
	return b.String()
}

// Tokens splits text into the pieces the offline model streams: each word
// with the spaces that follow it, so that the pieces join back into text.
func Tokens(text string) []string {
	var toks []string
	start := 0
	inSpace := false
	for i, r := range text {
		sp := unicode.IsSpace(r)
		if inSpace && !sp {
			toks = append(toks, text[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(text) {
		toks = append(toks, text[start:])
	}
	return toks
}

func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '-' }) {
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	return best
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// inputTokens counts the tokens of a conversation as the offline model splits
// text ([Tokens]).
func inputTokens(messages []Message) int {
	n := 0
	for _, m := range messages {
		n += len(Tokens(m.Content))
	}
	return n
}
