package llm

import (
	"context"
	"os"
)

// A Model produces the assistant's next message of a conversation, piece by
// piece. Implementations must be safe for concurrent use: one Model serves
// every application of a process.
type Model interface {
	// Name identifies the model in results and error messages, for example
	// "gpt-4o-mini" or "offline".
	Name() string
	// Chat streams the reply to messages. It calls emit with each piece of
	// text, in order, as soon as it is known. When emit returns false the
	// consumer has gone: Chat stops reading, releases the request and returns
	// the reply so far (the pieces emit accepted, without the refused one)
	// with FinishReason "stopped" and a nil error. Cancelling
	// ctx aborts the request and Chat returns an error wrapping the context's
	// cause. Any other failure is an error, and the partial reply is dropped.
	Chat(ctx context.Context, messages []Message, emit func(text string) bool) (Reply, error)
}

// Reply is the complete message a Model produced.
type Reply struct {
	// Content is the text of the assistant's message.
	Content string
	// FinishReason says why the model stopped: "stop" (it was done),
	// "length" (it hit a token limit), "stopped" (the consumer stopped the
	// stream), or whatever reason the server gave.
	FinishReason string
	// Model names the model that answered as the server reports it (it may
	// be more precise than the one asked for, a dated version for example);
	// empty when the server did not say.
	Model string
	// Usage counts the tokens of the request and the reply, or is nil when
	// the model reported no counts (a stream stopped before its end, a
	// server that does not count).
	Usage *Usage
}

// Usage is the number of tokens a request and its reply took.
type Usage struct {
	InputTokens  int // the prompt: every message sent
	OutputTokens int // the reply
}

// FinishStopped is the FinishReason of a reply cut short because the consumer
// stopped the stream.
const FinishStopped = "stopped"

// FromEnv returns the model the environment asks for: an OpenAI model when
// OPENAI_API_KEY or OPENAI_BASE_URL is set (a local OpenAI-compatible server
// may need no key), configured from OPENAI_API_KEY, OPENAI_BASE_URL and
// OPENAI_MODEL; otherwise the offline model at its default pace.
func FromEnv() Model {
	if os.Getenv("OPENAI_API_KEY") == "" && os.Getenv("OPENAI_BASE_URL") == "" {
		return NewOffline()
	}
	return NewOpenAI()
}
