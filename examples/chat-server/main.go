// Command chat-server is a chat web app that streams answers to the browser
// as Server-Sent Events, with every conversation persisted so that any number
// of instances can serve it.
//
//	go run ./examples/chat-server                     # SQLite in ~/.burr/chat-server.db, offline model
//	go run ./examples/chat-server --postgres "$DSN"   # PostgreSQL, shared by every instance
//
// Then open http://127.0.0.1:8080/. Set OPENAI_API_KEY (and OPENAI_BASE_URL,
// OPENAI_MODEL) to talk to a real model.
//
// Each request loads its conversation by app id from the persister
// (burr.WithInitializeFrom with burr.ResumeAtNextAction), runs one turn with
// burrhttp, and saves it: no conversation lives in a server's memory between
// requests, so a load balancer may send each request anywhere. Of two turns
// of one conversation sent at the same moment (to one instance or two), only
// one is answered: each step first claims its sequence id from the store
// (burr.WithClaims), and the turn that finds it claimed or saved gets
// burr.ErrConflict before its model is called, which the client gets as 409
// Conflict. A claim lasts claimTTL: if an instance dies while answering, the
// conversation takes new messages again after that. An answer that outlives
// its claim is still never overwritten: the turn saved second gets
// ErrConflict then, as an error event once its answer is streaming. Either
// way the client reloads the conversation and sends its message again.
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
// so it cannot post or stop messages in a user's name; a browser's
// cross-origin POST gets 403 (http.CrossOriginProtection). The server
// answers only requests addressed to localhost or a loopback address (else
// 421), so that a page whose DNS name was rebound to 127.0.0.1 cannot use it
// and the API key behind it, unless --allow-remote is given. A prompt that
// is empty or only white space gets 400, a body over 64 KiB 413, a body that
// is not one JSON object 400, a body not sent within the read timeout 408.
// Errors carry a JSON body {"error": "…"}, also
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
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/internal/hostcheck"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/sqlite"
	"github.com/burrgo/burr/tracking/pgtrack"
)

//go:embed index.html
var page embed.FS

const usage = `Usage: chat-server [--addr HOST:PORT] [--db FILE | --postgres DSN] [--offline] [--allow-remote]

A chat web app streaming answers as Server-Sent Events, conversations
persisted in SQLite (default) or PostgreSQL (shared by several instances).
The model is OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL is set,
the offline model otherwise.

Flags:
  --addr HOST:PORT   address to listen on (default 127.0.0.1:8080)
  --db FILE          SQLite database (default ~/.burr/chat-server.db)
  --postgres DSN     use PostgreSQL instead, e.g. postgres://user:pass@host/db;
                     the conversations are also tracked there (table
                     burr_tracking, project chat-server): "burr export"
                     writes them out for the tracking UI
  --offline          use the offline model even when an API key is set
  --allow-remote     allow listening on a non-loopback address, and answer
                     requests for any host name (otherwise only requests for
                     localhost or a loopback address are answered); the
                     server has no authentication and answers with your
                     API key
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
	dbPath := fs.String("db", defaultDB, "")
	dsn := fs.String("postgres", "", "")
	offline := fs.Bool("offline", false, "")
	allowRemote := fs.Bool("allow-remote", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "chat-server: %v\nrun 'chat-server -h' for usage\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chat-server: unexpected argument %q\nrun 'chat-server -h' for usage\n", fs.Arg(0))
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "chat-server: --addr %q: %v\n", *addr, err)
		return 2
	}
	if !hostcheck.Loopback(host) && !*allowRemote {
		fmt.Fprintf(stderr, "chat-server: refusing to listen on non-loopback address %q: the server has no authentication and answers with your API key; pass --allow-remote to do it anyway\n", *addr)
		return 2
	}
	var store burr.Persister
	var storeName string
	var tracker *pgtrack.Tracker
	if *dsn != "" {
		p, err := postgres.Open(ctx, *dsn)
		if err != nil {
			fmt.Fprintf(stderr, "chat-server: %v\n", err)
			return 1
		}
		defer p.Close()
		store, storeName = p, "PostgreSQL, tracked in table "+pgtrack.DefaultTable
		if tracker, err = openTracker(ctx, p); err != nil {
			fmt.Fprintf(stderr, "chat-server: %v\n", err)
			return 1
		}
		defer tracker.Close() // before the pool closes: writes what is queued
	} else {
		path, err := homedir.Expand(*dbPath)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err != nil {
			fmt.Fprintf(stderr, "chat-server: --db: %v\n", err)
			return 1
		}
		p, err := sqlite.Open(ctx, path)
		if err != nil {
			fmt.Fprintf(stderr, "chat-server: %v\n", err)
			return 1
		}
		defer p.Close()
		store, storeName = p, "SQLite "+path
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
	s.hosts.AllowAny = *allowRemote
	if tracker != nil {
		s.tracker = tracker
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "chat-server: %v\n", err)
		return 1
	}
	srv := newHTTPServer(s, readTimeout, idleTimeout)
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

// defaultDB is the SQLite database unless --db names another: with the
// demo's, out of the working tree.
const defaultDB = "~/.burr/chat-server.db"

// How long a client may take: to send a request's headers, to send the
// whole request (headers and body), and to send the next request on a
// kept-alive connection.
const (
	headerTimeout = 10 * time.Second
	readTimeout   = 30 * time.Second
	idleTimeout   = 2 * time.Minute
)

// newHTTPServer returns the HTTP server for h: a client that sends a
// request slowly, or keeps a connection open without sending one, is cut
// off: idleTimeout bounds the wait for the next request on a connection,
// readTimeout the time to read a whole request, headers and
// body; net/http lifts it once the body is read to its end (readPrompt
// reads to the end), so that it does not cut an answer short. There is no
// write timeout: an answer streams as Server-Sent Events for as long as the
// model takes.
func newHTTPServer(h http.Handler, readTimeout, idleTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(headerTimeout, readTimeout),
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// systemPrompt opens every conversation.
const systemPrompt = "You are a helpful assistant. Answer briefly."

// chatGraph is the chatbot: "system" starts a conversation, then "chat"
// answers one message per step.
func chatGraph(m llm.Model) (*burr.Graph, error) { return llm.Chatbot(m, systemPrompt) }

// server serves the page and the API. It keeps no conversation in memory.
type server struct {
	mux     *http.ServeMux
	handler http.Handler // mux behind the cross-origin protection
	hosts   hostcheck.Checker
	graph   *burr.Graph
	store   burr.Persister
	streams burrhttp.Streams
	sse     *burrhttp.SSE
	tracker any // a tracking hook for every conversation, or nil
}

func newServer(store burr.Persister, m llm.Model) (*server, error) {
	if _, ok := store.(burr.Claimer); !ok {
		return nil, fmt.Errorf("the store %T cannot claim steps (it is not a burr.Claimer)", store)
	}
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
	s.handler = http.NewCrossOriginProtection().Handler(s.mux)
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hosts.AllowedHost(r.Host) {
		hostcheck.Misdirected(w)
		return
	}
	s.handler.ServeHTTP(w, r)
}

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

// claimTTL is how long a turn's claim of its step lasts: longer than a model
// takes to answer, short enough that a conversation whose instance died in
// the middle of an answer is not blocked for long.
const claimTTL = 2 * time.Minute

// load builds the application of conversation id from the persister: a new
// conversation when nothing is saved, else the saved one at its next action.
// Its steps claim their sequence ids before they run, so that of two turns
// sent at once only one calls the model.
func (s *server) load(ctx context.Context, id string) (*burr.Application, error) {
	opts := []burr.Option{burr.WithGraph(s.graph), burr.WithAppID(id),
		burr.WithInitializeFrom(s.store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("system")),
		burr.WithPersister(s.store), burr.WithClaims(claimTTL)}
	if s.tracker != nil {
		opts = append(opts, burr.WithHooks(s.tracker))
	}
	return burr.New(ctx, opts...)
}

// trackingProject is the project the conversations are tracked under.
const trackingProject = "chat-server"

// openTracker returns the tracker writing into the persister's database,
// creating its table when missing: every instance of a fleet tracks into
// the one store.
func openTracker(ctx context.Context, p *postgres.Persister) (*pgtrack.Tracker, error) {
	if err := pgtrack.Initialize(ctx, p.Pool(), pgtrack.DefaultTable); err != nil {
		return nil, err
	}
	return pgtrack.New(p.Pool(), trackingProject)
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
	prompt, status, problem := readPrompt(w, r)
	if problem != "" {
		writeJSON(w, status, map[string]string{"error": problem})
		return
	}
	app, err := s.load(r.Context(), id)
	if err != nil {
		slog.Error("loading a conversation", "app_id", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": internalError})
		return
	}
	if err := s.sse.Stream(w, r, app, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: prompt})); err != nil {
		// A client that left or lost a conflict is no fault of the server's.
		level := slog.LevelError
		if clientMessage(err) != internalError || errors.Is(err, burr.ErrStreamClosed) || r.Context().Err() != nil {
			level = slog.LevelInfo
		}
		slog.Log(r.Context(), level, "turn did not complete", "app_id", id, "err", err)
	}
}

// maxBody is the largest message body, in bytes.
const maxBody = 64 << 10

// readPrompt reads a message's body, {"prompt": "…"}. When the body will
// not do, it returns the status and the problem to tell the client.
func readPrompt(w http.ResponseWriter, r *http.Request) (prompt string, status int, problem string) {
	const want = `send {"prompt": "…"}`
	var body struct {
		Prompt *string `json:"prompt"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return "", http.StatusBadRequest, "the body is empty: " + want
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return "", http.StatusBadRequest, fmt.Sprintf("the body is a JSON %s, not an object: %s", typeErr.Value, want)
		case errors.As(err, &typeErr):
			return "", http.StatusBadRequest, fmt.Sprintf("%q is a JSON %s, not a string: %s", typeErr.Field, typeErr.Value, want)
		}
		return bodyError(err, fmt.Sprintf("the body is not JSON (%v): %s", err, want))
	}
	if _, err := dec.Token(); err != io.EOF {
		return bodyError(err, "the body has data after its JSON object: "+want+" alone")
	}
	switch {
	case body.Prompt == nil:
		return "", http.StatusBadRequest, `the body has no "prompt": ` + want
	case strings.TrimSpace(*body.Prompt) == "":
		return "", http.StatusBadRequest, want + " with a non-empty prompt"
	}
	return *body.Prompt, 0, ""
}

// bodyError is the answer to an error reading a body: 413 when it is too
// large, 408 when it was not sent in time, else 400 with problem.
func bodyError(err error, problem string) (prompt string, status int, _ string) {
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		return "", http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d KiB", maxBody>>10)
	case errors.As(err, &netErr) && netErr.Timeout():
		return "", http.StatusRequestTimeout, "the body was not sent in time"
	}
	return "", http.StatusBadRequest, problem
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
const internalError = burrhttp.InternalErrorMessage

// clientMessage is the message a client gets for err (burrhttp.SSE.Error):
// burrhttp.DefaultMessage, worded for a conversation where the client can do
// something about it.
func clientMessage(err error) string {
	switch {
	case errors.Is(err, burr.ErrConflict):
		return "this conversation was changed by another message at the same time: reload it and send your message again"
	case errors.Is(err, burr.ErrBusy):
		return "this conversation is busy with another message: try again when it is answered"
	}
	return burrhttp.DefaultMessage(err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
