package llm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/burrgo/burr"
)

// PromptInput is the input that carries the user's message to ChatAction.
const PromptInput = "prompt"

// ChatAction returns a streaming action that answers the user's message with
// model m. The action:
//
//   - requires the input "prompt" (a string, the user's message);
//   - reads and writes "chat_history" ([]Message; a missing key is an empty
//     conversation);
//   - streams the answer as items of type string, each a piece of text as
//     the model produced it;
//   - returns burr.Result{"content": answer, "finish_reason": reason,
//     "model": m.Name()} and the history with the user's message and the
//     answer appended.
//
// If the model fails, the step fails and the history is unchanged. If the
// stream is stopped ([burr.Stream.Stop]), the partial answer — exactly what the
// consumer was shown — is the result and is appended, with finish_reason
// "stopped"; a Stop that arrives while the model is silent aborts the request
// at once (through [burr.Stopping]) rather than waiting for the next token.
// The action logs what it asked and what the model answered with
// [burr.LogAttributes], under the names of the OpenTelemetry GenAI semantic
// conventions and Burr's UI (see [AttrOperation]): a tracker writes them into
// the step's log, the OpenTelemetry hooks onto the step's span.
//
// opts add to the action's declarations (tags, more inputs…).
func ChatAction(name string, m Model, opts ...burr.ActionOption) *burr.Action {
	run := func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		prompt, ok := in[PromptInput].(string)
		if !ok {
			return nil, s, fmt.Errorf("llm: input %q must be a string, not %T", PromptInput, in[PromptInput])
		}
		var history []Message
		if s.Has(HistoryKey) {
			var err error
			if history, err = History.Get(s); err != nil {
				return nil, s, err
			}
		}
		history = append(slices.Clip(history), Message{Role: RoleUser, Content: prompt})
		// A Stop must not wait for the model's next token: it cancels the
		// request, and what the consumer was shown becomes the answer.
		reqCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		var stopped atomic.Bool
		if ch := burr.Stopping(ctx); ch != nil {
			go func() {
				select {
				case <-ch:
					stopped.Store(true)
					cancel()
				case <-reqCtx.Done():
				}
			}()
		}
		var shown strings.Builder
		burr.LogAttributes(ctx, AttrOperation, "chat", AttrRequestModel, m.Name())
		reply, err := m.Chat(reqCtx, history, func(text string) bool {
			if stopped.Load() || !yield(text) {
				return false
			}
			shown.WriteString(text)
			return true
		})
		if err != nil && stopped.Load() && ctx.Err() == nil {
			reply, err = Reply{Content: shown.String(), FinishReason: FinishStopped}, nil
		}
		if err != nil {
			return nil, s, err
		}
		if reply.FinishReason == "" {
			reply.FinishReason = "stop"
		}
		logReply(ctx, m, reply)
		history = append(history, Message{Role: RoleAssistant, Content: reply.Content})
		res := burr.Result{"content": reply.Content, "finish_reason": reply.FinishReason, "model": m.Name()}
		return res, History.Set(s, history), nil
	}
	base := []burr.ActionOption{burr.Reads(HistoryKey), burr.Writes(HistoryKey), burr.RequiredInputs(PromptInput)}
	return burr.NewStreamingAction(name, run, append(base, opts...)...)
}

// Chatbot returns the graph of a chatbot: "system" starts the conversation
// with systemPrompt as its system message, then "chat" (ChatAction) answers
// one user message per step, forever. Stream each turn with
//
//	app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: text}))
func Chatbot(m Model, systemPrompt string) (*burr.Graph, error) {
	system := burr.NewAction("system", func(ctx context.Context, s burr.State) (burr.State, error) {
		return History.Set(s, []Message{{Role: RoleSystem, Content: systemPrompt}}), nil
	}, burr.Writes(HistoryKey))
	return burr.NewGraph([]*burr.Action{system, ChatAction("chat", m)},
		burr.From("system").To("chat"),
		burr.From("chat").To("chat"))
}
