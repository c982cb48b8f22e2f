package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// DefaultOpenAIModel is the model OpenAI uses when neither WithModel nor
// OPENAI_MODEL names one.
const DefaultOpenAIModel = "gpt-4o-mini"

// DefaultBaseURL is OpenAI's API, used when neither WithBaseURL nor
// OPENAI_BASE_URL names another server.
const DefaultBaseURL = "https://api.openai.com/v1/"

// OpenAI is a Model served by an OpenAI-compatible chat-completions API,
// streamed over Server-Sent Events. It is safe for concurrent use.
type OpenAI struct {
	client  openai.Client
	model   string
	baseURL string
}

// OpenAIOption configures NewOpenAI.
type OpenAIOption func(*openAIConfig)

type openAIConfig struct {
	baseURL, apiKey, model string
	httpClient             *http.Client
	retries                int
	retriesSet             bool
}

// WithBaseURL sets the API's base URL, for example
// "http://localhost:11434/v1" for a local server. The default is
// OPENAI_BASE_URL, or OpenAI's API.
func WithBaseURL(url string) OpenAIOption { return func(c *openAIConfig) { c.baseURL = url } }

// WithAPIKey sets the API key sent as a bearer token. The default is
// OPENAI_API_KEY.
func WithAPIKey(key string) OpenAIOption { return func(c *openAIConfig) { c.apiKey = key } }

// WithModel names the model. The default is OPENAI_MODEL, or
// DefaultOpenAIModel.
func WithModel(name string) OpenAIOption { return func(c *openAIConfig) { c.model = name } }

// WithHTTPClient sets the HTTP client requests go through.
func WithHTTPClient(hc *http.Client) OpenAIOption {
	return func(c *openAIConfig) { c.httpClient = hc }
}

// WithMaxRetries sets how many times a request that failed before the answer
// started (a connection error, HTTP 429 or 5xx) is retried, with backoff.
// The default is 2. A stream that has started is never retried.
func WithMaxRetries(n int) OpenAIOption {
	return func(c *openAIConfig) { c.retries, c.retriesSet = n, true }
}

// NewOpenAI returns a Model that calls an OpenAI-compatible chat-completions
// API. Options override the environment (OPENAI_BASE_URL, OPENAI_API_KEY,
// OPENAI_MODEL).
func NewOpenAI(opts ...OpenAIOption) *OpenAI {
	c := openAIConfig{
		baseURL: os.Getenv("OPENAI_BASE_URL"),
		apiKey:  os.Getenv("OPENAI_API_KEY"),
		model:   os.Getenv("OPENAI_MODEL"),
	}
	for _, o := range opts {
		o(&c)
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(c.baseURL, "/") {
		c.baseURL += "/"
	}
	if c.model == "" {
		c.model = DefaultOpenAIModel
	}
	ropts := []option.RequestOption{option.WithBaseURL(c.baseURL), option.WithAPIKey(c.apiKey)}
	if c.httpClient != nil {
		ropts = append(ropts, option.WithHTTPClient(c.httpClient))
	}
	if c.retriesSet {
		ropts = append(ropts, option.WithMaxRetries(c.retries))
	}
	return &OpenAI{client: openai.NewClient(ropts...), model: c.model, baseURL: c.baseURL}
}

// Name returns the model's name.
func (m *OpenAI) Name() string { return m.model }

// BaseURL returns the URL of the API the model calls.
func (m *OpenAI) BaseURL() string { return m.baseURL }

// Chat streams a chat completion. See Model.
func (m *OpenAI) Chat(ctx context.Context, messages []Message, emit func(string) bool) (Reply, error) {
	params := openai.ChatCompletionNewParams{Model: m.model, Messages: make([]openai.ChatCompletionMessageParamUnion, 0, len(messages))}
	for _, msg := range messages {
		switch msg.Role {
		case RoleSystem:
			params.Messages = append(params.Messages, openai.SystemMessage(msg.Content))
		case RoleUser:
			params.Messages = append(params.Messages, openai.UserMessage(msg.Content))
		case RoleAssistant:
			params.Messages = append(params.Messages, openai.AssistantMessage(msg.Content))
		default:
			return Reply{}, fmt.Errorf("llm: message with unknown role %q", msg.Role)
		}
	}
	// The usage comes in a last chunk of its own, when asked for.
	params.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := m.client.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var b strings.Builder
	var finish, model string
	var usage *Usage
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Model != "" {
			model = chunk.Model
		}
		if chunk.JSON.Usage.Valid() {
			usage = &Usage{InputTokens: int(chunk.Usage.PromptTokens), OutputTokens: int(chunk.Usage.CompletionTokens)}
		}
		for _, choice := range chunk.Choices {
			if choice.Index != 0 {
				continue
			}
			if choice.FinishReason != "" {
				finish = choice.FinishReason
			}
			if text := choice.Delta.Content; text != "" {
				if !emit(text) {
					return Reply{Content: b.String(), FinishReason: FinishStopped, Model: model}, nil
				}
				b.WriteString(text)
			}
		}
	}
	if err := stream.Err(); err != nil {
		return Reply{}, m.explain(ctx, err)
	}
	if finish == "" {
		// The SDK ends a stream the same way on "data: [DONE]" and on a
		// connection closed midway; only a finish reason tells them apart.
		return Reply{}, fmt.Errorf("llm: model %s at %s: the stream ended before the model finished (no finish_reason received)", m.model, m.baseURL)
	}
	return Reply{Content: b.String(), FinishReason: finish, Model: model, Usage: usage}, nil
}

// explain turns an SDK error into one that says what went wrong, keeping the
// original in the chain (errors.As to *openai.Error, errors.Is to
// context.DeadlineExceeded…).
func (m *OpenAI) explain(ctx context.Context, err error) error {
	where := fmt.Sprintf("model %s at %s", m.model, m.baseURL)
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); !errors.Is(err, cause) {
			return fmt.Errorf("llm: %s: request aborted: %w (%w)", where, cause, err)
		}
		return fmt.Errorf("llm: %s: request aborted: %w", where, err)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		msg := fmt.Sprintf("llm: %s: HTTP %d %s", where, apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
		if apiErr.Message != "" {
			msg += ": " + apiErr.Message
		}
		return &wrapped{msg: msg, err: err}
	}
	var urlErr *url.Error // the request got no response
	if errors.As(err, &urlErr) {
		phase := "the request failed"
		if opErr := (*net.OpError)(nil); errors.As(err, &opErr) && opErr.Op == "dial" {
			phase = "cannot connect to the server"
		}
		return &wrapped{msg: fmt.Sprintf("llm: %s: %s: %v", where, phase, urlErr.Err), err: err}
	}
	return fmt.Errorf("llm: %s: reading the stream: %w", where, err)
}

// wrapped is an error with its own message that still unwraps to the SDK's.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
