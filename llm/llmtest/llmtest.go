// Package llmtest provides a fake OpenAI-compatible chat-completions server
// for tests, in the spirit of net/http/httptest: it speaks the streaming
// protocol (Server-Sent Events "data: {chunk}" lines ending with
// "data: [DONE]") and records what it was asked.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/burrgo/burr/llm"
)

// Request is one chat-completions request the Handler received.
type Request struct {
	Model         string
	Messages      []llm.Message
	Stream        bool
	IncludeUsage  bool   // stream_options.include_usage: the client asked for token counts
	Authorization string // the Authorization header
}

// Handler answers POST …/chat/completions requests with a streamed reply. The
// zero Handler answers like the offline model, at once. Set its fields before
// serving; its methods are safe for concurrent use.
type Handler struct {
	// Reply returns the pieces of text to stream for a conversation; nil
	// streams llm.OfflineAnswer in llm.Tokens.
	Reply func(messages []llm.Message) []string
	// Delay is the pause before each piece.
	Delay time.Duration
	// FailFirst makes the first FailFirst requests fail at once with HTTP
	// FailStatus (503 Service Unavailable when zero) and an error body, as
	// an overloaded service does; the requests after them are answered.
	// Failed requests are recorded too.
	FailFirst  int
	FailStatus int
	// ResponseModel is the model name the chunks report; empty reports the
	// requested one.
	ResponseModel string

	mu       sync.Mutex
	requests []Request
}

// NewServer starts an httptest.Server serving h. Point a model at it with
// llm.WithBaseURL(srv.URL + "/v1"). The caller closes it.
func NewServer(h *Handler) *httptest.Server { return httptest.NewServer(h) }

// Requests returns the requests received so far.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// ServeHTTP implements http.Handler. Each piece counts as one completion
// token; the prompt counts the tokens of every message as llm.Tokens splits
// them (sent when the client asks for usage).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		WriteError(w, http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path)
		return
	}
	var body struct {
		Model    string        `json:"model"`
		Messages []llm.Message `json:"messages"`
		Stream   bool          `json:"stream"`
		Options  struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		WriteError(w, http.StatusBadRequest, "invalid_request_error", "cannot decode the request: "+err.Error())
		return
	}
	h.mu.Lock()
	h.requests = append(h.requests, Request{Model: body.Model, Messages: body.Messages, Stream: body.Stream, IncludeUsage: body.Options.IncludeUsage, Authorization: r.Header.Get("Authorization")})
	fail := len(h.requests) <= h.FailFirst
	h.mu.Unlock()
	if fail {
		status := h.FailStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		WriteError(w, status, "server_error", "the service is overloaded, try again")
		return
	}
	var pieces []string
	if h.Reply != nil {
		pieces = h.Reply(body.Messages)
	} else {
		pieces = llm.Tokens(llm.OfflineAnswer(body.Messages))
	}
	model := body.Model
	if h.ResponseModel != "" {
		model = h.ResponseModel
	}
	StartStream(w)
	WriteChunk(w, model, "", "assistant", "")
	for _, p := range pieces {
		if h.Delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(h.Delay):
			}
		}
		if WriteChunk(w, model, p, "", "") != nil {
			return
		}
	}
	WriteChunk(w, model, "", "", "stop")
	if body.Options.IncludeUsage {
		in := 0
		for _, m := range body.Messages {
			in += len(llm.Tokens(m.Content))
		}
		WriteUsage(w, model, in, len(pieces))
	}
	WriteDone(w)
}

// StartStream writes the headers of a streamed response.
func StartStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// WriteChunk writes one chat.completion.chunk event carrying content (and, for
// the first chunk, role; for the last, finishReason) and flushes it.
func WriteChunk(w io.Writer, model, content, role, finishReason string) error {
	delta := map[string]any{}
	if role != "" {
		delta["role"] = role
	}
	if content != "" || role == "" && finishReason == "" {
		delta["content"] = content
	}
	var finish any
	if finishReason != "" {
		finish = finishReason
	}
	chunk := map[string]any{
		"id": "chatcmpl-llmtest", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	}
	b, err := json.Marshal(chunk)
	if err != nil {
		return err
	}
	return WriteEvent(w, string(b))
}

// WriteUsage writes the last chunk of a stream whose client asked for token
// counts (stream_options.include_usage): no choices, and the usage.
func WriteUsage(w io.Writer, model string, promptTokens, completionTokens int) error {
	chunk := map[string]any{
		"id": "chatcmpl-llmtest", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
		"choices": []any{},
		"usage":   map[string]any{"prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens},
	}
	b, err := json.Marshal(chunk)
	if err != nil {
		return err
	}
	return WriteEvent(w, string(b))
}

// WriteDone writes the "data: [DONE]" event that ends a stream.
func WriteDone(w io.Writer) error { return WriteEvent(w, "[DONE]") }

// WriteEvent writes "data: <data>" and a blank line, and flushes.
func WriteEvent(w io.Writer, data string) error {
	if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
		return err
	}
	if rw, ok := w.(http.ResponseWriter); ok {
		return http.NewResponseController(rw).Flush()
	}
	return nil
}

// WriteError writes an error response in the API's format:
// {"error": {"message": …, "type": …}}.
func WriteError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": nil}})
}
