package llm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newModel returns an OpenAI model pointed at srv, without retries.
func newModel(srv *httptest.Server) *llm.OpenAI {
	return llm.NewOpenAI(llm.WithBaseURL(srv.URL+"/v1"), llm.WithAPIKey("sk-test"), llm.WithModel("test-model"),
		llm.WithHTTPClient(srv.Client()), llm.WithMaxRetries(0))
}

func TestOpenAIStreamsTokens(t *testing.T) {
	h := &llmtest.Handler{Reply: func([]llm.Message) []string { return []string{"Hel", "lo", ", world"} }, ResponseModel: "test-model-2026-01-01"}
	srv := llmtest.NewServer(h)
	defer srv.Close()
	m := newModel(srv)
	var got []string
	msgs := []llm.Message{{Role: llm.RoleSystem, Content: "Be brief."}, {Role: llm.RoleUser, Content: "Hi"}}
	reply, err := m.Chat(context.Background(), msgs, func(s string) bool { got = append(got, s); return true })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Hel", "lo", ", world"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
	if reply.Content != "Hello, world" || reply.FinishReason != "stop" || reply.Model != "test-model-2026-01-01" {
		t.Errorf("reply = %+v", reply)
	}
	// "Be brief." and "Hi" are 3 tokens; the reply 3 pieces.
	if reply.Usage == nil || *reply.Usage != (llm.Usage{InputTokens: 3, OutputTokens: 3}) {
		t.Errorf("usage = %+v", reply.Usage)
	}
	reqs := h.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Model != "test-model" || !r.Stream || !r.IncludeUsage || r.Authorization != "Bearer sk-test" || fmt.Sprint(r.Messages) != fmt.Sprint(msgs) {
		t.Errorf("request = %+v", r)
	}
}

func TestOpenAIFromEnvironment(t *testing.T) {
	h := &llmtest.Handler{}
	srv := llmtest.NewServer(h)
	defer srv.Close()
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "sk-env")
	t.Setenv("OPENAI_MODEL", "env-model")
	m, ok := llm.FromEnv().(*llm.OpenAI)
	if !ok {
		t.Fatalf("FromEnv with OPENAI_API_KEY set is not an OpenAI model")
	}
	if m.Name() != "env-model" || m.BaseURL() != srv.URL+"/v1/" {
		t.Errorf("model %q at %q", m.Name(), m.BaseURL())
	}
	reply, err := m.Chat(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "ping"}}, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reply.Content, llm.OfflinePrefix) {
		t.Errorf("reply %q", reply.Content)
	}
	if a := h.Requests()[0].Authorization; a != "Bearer sk-env" {
		t.Errorf("Authorization %q", a)
	}
	srv.Client().CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
}

func TestFromEnvOffline(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	if _, ok := llm.FromEnv().(*llm.Offline); !ok {
		t.Errorf("FromEnv without a key or base URL is not the offline model")
	}
}

// failures are servers that break in the ways a real one does; each must give
// a clear error (wantErr is a substring of it).
var failures = []struct {
	name    string
	handler http.HandlerFunc
	timeout time.Duration
	wantErr string
	is      error
}{
	{
		name: "malformed chunk",
		handler: func(w http.ResponseWriter, r *http.Request) {
			llmtest.StartStream(w)
			llmtest.WriteChunk(w, "m", "Hello", "", "")
			llmtest.WriteEvent(w, `{"id": "x", "choices": [{"index": 0, "delta": {"content": "oops"`)
			llmtest.WriteDone(w)
		},
		wantErr: "reading the stream",
	},
	{
		name: "error event inside the stream",
		handler: func(w http.ResponseWriter, r *http.Request) {
			llmtest.StartStream(w)
			llmtest.WriteChunk(w, "m", "Hello", "", "")
			llmtest.WriteEvent(w, `{"error": {"message": "the model is overloaded", "type": "server_error"}}`)
		},
		wantErr: "the model is overloaded",
	},
	{
		name: "HTTP 401",
		handler: func(w http.ResponseWriter, r *http.Request) {
			llmtest.WriteError(w, http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided: sk-test.")
		},
		wantErr: "HTTP 401 Unauthorized: Incorrect API key provided",
	},
	{
		name: "HTTP 500",
		handler: func(w http.ResponseWriter, r *http.Request) {
			llmtest.WriteError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
		},
		wantErr: "HTTP 500 Internal Server Error: The server had an error",
	},
	{
		name: "HTTP 502 without a JSON body",
		handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		},
		wantErr: "HTTP 502 Bad Gateway",
	},
	{
		name: "stream cut before the end",
		handler: func(w http.ResponseWriter, r *http.Request) {
			llmtest.StartStream(w)
			llmtest.WriteChunk(w, "m", "Hello", "", "")
		},
		wantErr: "the stream ended before the model finished",
	},
	{
		name: "server stalls",
		handler: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // the server notices a disconnect once the body is read
			llmtest.StartStream(w)
			llmtest.WriteChunk(w, "m", "Hello", "", "")
			<-r.Context().Done()
		},
		timeout: 200 * time.Millisecond,
		wantErr: "request aborted",
		is:      context.DeadlineExceeded,
	},
	{
		name: "server stalls before answering",
		handler: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		},
		timeout: 200 * time.Millisecond,
		wantErr: "request aborted",
		is:      context.DeadlineExceeded,
	},
}

func TestOpenAIFailures(t *testing.T) {
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := newModel(srv).Chat(ctx, []llm.Message{{Role: llm.RoleUser, Content: "Hi"}}, func(string) bool { return true })
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "test-model") {
				t.Errorf("error %q does not say %q and name the model", err, tc.wantErr)
			}
			t.Log(err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

// TestOpenAIServerNotListening: a server that cannot be reached is named as
// such, not as a failure reading the stream.
func TestOpenAIServerNotListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m := llm.NewOpenAI(llm.WithBaseURL("http://"+addr+"/v1"), llm.WithAPIKey("sk-test"), llm.WithModel("test-model"), llm.WithMaxRetries(0))
	_, err = m.Chat(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "Hi"}}, func(string) bool { return true })
	var opErr *net.OpError
	want := "llm: model test-model at http://" + addr + "/v1/: cannot connect to the server: dial tcp " + addr
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "reading the stream") || !errors.As(err, &opErr) {
		t.Errorf("error %q, want it to start with %q and unwrap to a *net.OpError", err, want)
	}
}

func TestOpenAIStopKeepsPartialAndReleasesTheRequest(t *testing.T) {
	released := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(released)
		io.Copy(io.Discard, r.Body)
		llmtest.StartStream(w)
		for i := 0; ; i++ {
			if llmtest.WriteChunk(w, "m", fmt.Sprintf("t%d ", i), "", "") != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	n := 0
	reply, err := newModel(srv).Chat(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "Hi"}}, func(string) bool {
		n++
		return n < 3
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Content != "t0 t1 " || reply.FinishReason != llm.FinishStopped {
		t.Errorf("reply = %+v", reply)
	}
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("the server is still streaming after the consumer stopped")
	}
}
