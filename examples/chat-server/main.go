// Command chat-server is a chat web app that streams answers to the browser
// as Server-Sent Events, with every conversation persisted so that any number
// of instances can serve it.
//
//	go run ./examples/chat-server                     # SQLite in chat.db, offline model
//	go run ./examples/chat-server --postgres "$DSN"   # PostgreSQL, shared by every instance
//
// Then open http://127.0.0.1:8080/. Set OPENAI_API_KEY (and OPENAI_BASE_URL,
// OPENAI_MODEL) to talk to a real model.
//
// Each request loads its conversation by app id from the persister
// (burr.WithInitializeFrom with burr.ResumeAtNextAction), runs one turn with
// burrhttp, and saves it: no conversation lives in a server's memory between
// requests, so a load balancer may send each request anywhere. Two turns of
// one conversation sent at the same moment (to one instance or two) cannot
// both be saved: the one saved second gets burr.ErrConflict. When that
// happens before its answer starts (two first messages of a new conversation
// both saving its opening step), the client gets 409 Conflict; once the answer
// is streaming, an error event. Either way the client reloads the conversation
// and sends its message again.
//
// The API:
//
//	GET  /api/chats/{id}           the conversation: {"app_id": …, "messages": [{"role", "content"}…]}
//	POST /api/chats/{id}/messages  {"prompt": "…"}: one turn, answered as Server-Sent Events (see package burrhttp)
//	POST /api/chats/{id}/stop      stop the answers being streamed (on this instance): 204, or 404
//
// Both POSTs must be sent with Content-Type: application/json (the stop
// request may have an empty body), else they get 415: a page on another site
// can send a plain form or a text/plain fetch without asking, but not this,
// so it cannot post or stop messages in a user's name. A prompt that is empty
// or only white space gets 400. Errors carry a JSON body {"error": "…"}, also
// in error events: a clear message for what the client can fix (a missing
// input, a conflict), a generic one for internal errors, whose details go to
// the server's log.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/sqlite"
)

//go:embed index.html
var page embed.FS

const usage = `Usage: chat-server [--addr HOST:PORT] [--db FILE | --postgres DSN] [--offline]

A chat web app streaming answers as Server-Sent Events, conversations
persisted in SQLite (default) or PostgreSQL (shared by several instances).
The model is OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL is set,
the offline model otherwise.

Flags:
  --addr HOST:PORT   address to listen on (default 127.0.0.1:8080)
  --db FILE          SQLite database (default chat.db)
  --postgres DSN     use PostgreSQL instead, e.g. postgres://user:pass@host/db
  --offline          use the offline model even when an API key is set
  -h, --help         show this help
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chat-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	dbPath := fs.String("db", "chat.db", "")
	dsn := fs.String("postgres", "", "")
	offline := fs.Bool("offline", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "chat-server: %v\n\n%s", err, usage)
		return 2
	}
	var store burr.Persister
	var storeName string
	if *dsn != "" {
		p, err := postgres.Open(ctx, *dsn)
		if err != nil {
			fmt.Fprintf(stderr, "chat-server: %v\n", err)
			return 1
		}
		defer p.Close()
		store, storeName = p, "PostgreSQL"
	} else {
		p, err := sqlite.Open(ctx, *dbPath)
		if err != nil {
			fmt.Fprintf(stderr, "chat-server: %v\n", err)
			return 1
		}
		defer p.Close()
		store, storeName = p, "SQLite "+*dbPath
	}
	model := llm.FromEnv()
	if *offline {
		model = llm.NewOffline()
	}
	s, err := newServer(store, model)
	if err != nil {
		fmt.Fprintf(stderr, "chat-server: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "chat-server: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "chat-server on http://%s/ (model %s, %s)\n", ln.Addr(), model.Name(), storeName)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "chat-server: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
	}
	return 0
}

// systemPrompt opens every conversation.
const systemPrompt = "You are a helpful assistant. Answer briefly."

// chatGraph is the chatbot: "system" starts a conversation, then "chat"
// answers one message per step.
func chatGraph(m llm.Model) (*burr.Graph, error) { return llm.Chatbot(m, systemPrompt) }

// server serves the page and the API. It keeps no conversation in memory.
type server struct {
	mux     *http.ServeMux
	graph   *burr.Graph
	store   burr.Persister
	streams burrhttp.Streams
	sse     *burrhttp.SSE
}

func newServer(store burr.Persister, m llm.Model) (*server, error) {
	g, err := chatGraph(m)
	if err != nil {
		return nil, err
	}
	s := &server{mux: http.NewServeMux(), graph: g, store: store}
	s.sse = &burrhttp.SSE{
		Streams: &s.streams,
		State:   func(burr.State) any { return nil }, // the page has the conversation already
		Error:   clientMessage,
	}
	s.mux.Handle("GET /{$}", http.FileServerFS(page))
	s.mux.HandleFunc("GET /api/chats/{id}", s.conversation)
	s.mux.HandleFunc("POST /api/chats/{id}/messages", s.message)
	s.mux.HandleFunc("POST /api/chats/{id}/stop", s.stop)
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// appID returns the request's conversation id, or writes a 400.
func appID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !validID.MatchString(id) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a conversation id is 1 to 64 letters, digits, '-' or '_'"})
		return "", false
	}
	return id, true
}

// load builds the application of conversation id from the persister: a new
// conversation when nothing is saved, else the saved one at its next action.
func (s *server) load(ctx context.Context, id string) (*burr.Application, error) {
	return burr.New(ctx, burr.WithGraph(s.graph), burr.WithAppID(id),
		burr.WithInitializeFrom(s.store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("system")),
		burr.WithPersister(s.store))
}

func (s *server) conversation(w http.ResponseWriter, r *http.Request) {
	id, ok := appID(w, r)
	if !ok {
		return
	}
	app, err := s.load(r.Context(), id)
	if err != nil {
		slog.Error("loading a conversation", "app_id", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": internalError})
		return
	}
	messages := []llm.Message{}
	history, _ := llm.History.Get(app.State())
	for _, m := range history {
		if m.Role != llm.RoleSystem {
			messages = append(messages, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"app_id": id, "messages": messages})
}

func (s *server) message(w http.ResponseWriter, r *http.Request) {
	id, ok := appID(w, r)
	if !ok {
		return
	}
	if !isJSON(w, r) {
		return
	}
	var body struct {
		Prompt string `json:"prompt"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil || strings.TrimSpace(body.Prompt) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send {"prompt": "…"} with a non-empty prompt`})
		return
	}
	app, err := s.load(r.Context(), id)
	if err != nil {
		slog.Error("loading a conversation", "app_id", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": internalError})
		return
	}
	if err := s.sse.Stream(w, r, app, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: body.Prompt})); err != nil {
		// A client that left or lost a conflict is no fault of the server's.
		level := slog.LevelError
		if clientMessage(err) != internalError || errors.Is(err, burr.ErrStreamClosed) || r.Context().Err() != nil {
			level = slog.LevelInfo
		}
		slog.Log(r.Context(), level, "turn did not complete", "app_id", id, "err", err)
	}
}

func (s *server) stop(w http.ResponseWriter, r *http.Request) {
	id, ok := appID(w, r)
	if !ok || !isJSON(w, r) {
		return
	}
	if !s.streams.Stop(id) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no answer is being generated for this conversation on this server"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isJSON reports whether the request is sent as application/json, or writes a
// 415. Browsers send other sites' forms and text/plain fetches without asking
// (no CORS preflight), but not application/json: requiring it keeps other
// sites from posting or stopping messages with a user's cookies.
func isJSON(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send the request with Content-Type: application/json"})
		return false
	}
	return true
}

// internalError is what clients are told of an internal error; the server
// logs the error itself.
const internalError = "internal error: the answer failed, try again later"

// clientMessage is the message a client gets for err (burrhttp.SSE.Error):
// the error itself when the client can do something about it, a generic one
// otherwise, since an internal error (a model's or a database's) may tell
// more than a client should know.
func clientMessage(err error) string {
	var inErr *burr.InputError
	switch {
	case errors.As(err, &inErr):
		return inErr.Error()
	case errors.Is(err, burr.ErrConflict):
		return "this conversation was changed by another message at the same time: reload it and send your message again"
	case errors.Is(err, burr.ErrBusy):
		return "this conversation is busy with another message: try again when it is answered"
	}
	return internalError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
