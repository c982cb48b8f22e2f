package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/persist/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instance starts one chat-server on store.
func instance(t *testing.T, store burr.Persister, m llm.Model) (*server, *httptest.Server) {
	t.Helper()
	s, err := newServer(store, m)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func openSQLite(t *testing.T, path string) *sqlite.Persister {
	t.Helper()
	p, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type event struct{ name, data string }

// post sends a message and returns the response; the caller reads events.
func post(t *testing.T, ctx context.Context, base, id, prompt string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"prompt": prompt})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/chats/"+id+"/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); http.DefaultClient.CloseIdleConnections() })
	return resp
}

// events parses Server-Sent Events from body onto a channel.
func events(body io.Reader) <-chan event {
	ch := make(chan event, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && ev.name != "":
				ch <- ev
				ev = event{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:]
			}
		}
	}()
	return ch
}

// say runs one turn and returns the streamed answer and the result event.
func say(t *testing.T, base, id, prompt string) (answer string, result map[string]any) {
	t.Helper()
	resp := post(t, context.Background(), base, id, prompt)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST: %d %s", resp.StatusCode, b)
	}
	var sb strings.Builder
	for ev := range events(resp.Body) {
		switch ev.name {
		case "item":
			var s string
			json.Unmarshal([]byte(ev.data), &s)
			sb.WriteString(s)
		case "result":
			var r struct{ Result map[string]any }
			json.Unmarshal([]byte(ev.data), &r)
			result = r.Result
		case "error":
			t.Fatalf("error event: %s", ev.data)
		}
	}
	return sb.String(), result
}

func messages(t *testing.T, base, id string) []llm.Message {
	t.Helper()
	resp, err := http.Get(base + "/api/chats/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AppID    string        `json:"app_id"`
		Messages []llm.Message `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.AppID != id {
		t.Fatalf("GET conversation: %d %v %+v", resp.StatusCode, err, body)
	}
	return body.Messages
}

var ids atomic.Int64

func newID() string { return fmt.Sprintf("test-%d-%d", time.Now().UnixNano(), ids.Add(1)) }

// sharedConversation runs turns of one conversation alternately on two
// instances sharing a store.
func sharedConversation(t *testing.T, a, b burr.Persister) {
	_, srvA := instance(t, a, &llm.Offline{})
	_, srvB := instance(t, b, &llm.Offline{})
	id := newID()
	if got := messages(t, srvB.URL, id); len(got) != 0 {
		t.Fatalf("new conversation has messages %v", got)
	}
	first, res := say(t, srvA.URL, id, "Hello from A")
	if !strings.HasPrefix(first, llm.OfflinePrefix) || res["content"] != first || res["finish_reason"] != "stop" {
		t.Fatalf("answer %q, result %v", first, res)
	}
	second, _ := say(t, srvB.URL, id, "Hello from B")
	if !strings.Contains(second, "message 2 of our conversation") {
		t.Errorf("instance B did not continue the conversation: %q", second)
	}
	got := messages(t, srvA.URL, id)
	want := []llm.Message{{Role: "user", Content: "Hello from A"}, {Role: "assistant", Content: first},
		{Role: "user", Content: "Hello from B"}, {Role: "assistant", Content: second}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("conversation on A:\n%v\nwant\n%v", got, want)
	}
}

func TestInstancesShareConversationsSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	sharedConversation(t, openSQLite(t, path), openSQLite(t, path))
}

func TestInstancesShareConversationsPostgres(t *testing.T) {
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	open := func() burr.Persister {
		p, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	sharedConversation(t, open(), open())
}

func TestDisconnectKeepsNothingAndTheNextTurnWorks(t *testing.T) {
	s, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{Delay: 2 * time.Millisecond})
	id := newID()
	ctx, cancel := context.WithCancel(context.Background())
	resp := post(t, ctx, srv.URL, id, "Tell me a long story")
	items := 0
	for ev := range events(resp.Body) {
		if ev.name == "item" {
			if items++; items == 3 {
				break
			}
		}
	}
	cancel() // the browser tab is closed
	deadline := time.Now().Add(5 * time.Second)
	for s.streams.Running(id) {
		if time.Now().After(deadline) {
			t.Fatal("the turn is still running after the client left")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if got := messages(t, srv.URL, id); len(got) != 0 {
		t.Errorf("abandoned turn left messages %v", got)
	}
	answer, _ := say(t, srv.URL, id, "Short one")
	got := messages(t, srv.URL, id)
	if len(got) != 2 || got[0].Content != "Short one" || got[1].Content != answer {
		t.Errorf("after a new turn: %v", got)
	}
}

func TestStopKeepsThePartialAnswer(t *testing.T) {
	_, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{Delay: 2 * time.Millisecond})
	id := newID()
	resp := post(t, context.Background(), srv.URL, id, "Tell me a long story")
	var shown strings.Builder
	var result map[string]any
	for ev := range events(resp.Body) {
		switch ev.name {
		case "item":
			var s string
			json.Unmarshal([]byte(ev.data), &s)
			shown.WriteString(s)
			if shown.Len() > 20 && shown.Len()-len(s) <= 20 {
				stop, err := http.Post(srv.URL+"/api/chats/"+id+"/stop", "application/json", nil)
				if err != nil || stop.StatusCode != http.StatusNoContent {
					t.Fatalf("stop: %v %v", err, stop.Status)
				}
				stop.Body.Close()
			}
		case "result":
			var r struct{ Result map[string]any }
			json.Unmarshal([]byte(ev.data), &r)
			result = r.Result
		}
	}
	if result["finish_reason"] != llm.FinishStopped || result["content"] != shown.String() {
		t.Errorf("result %v, shown %q", result, shown.String())
	}
	if got := messages(t, srv.URL, id); len(got) != 2 || got[1].Content != shown.String() {
		t.Errorf("conversation %v", got)
	}
}

func TestPageAndBadRequests(t *testing.T) {
	_, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{})
	const jsonType = "application/json"
	for _, tc := range []struct {
		method, path, ctype, body string
		status                    int
		want                      string
	}{
		{"GET", "/", "", "", 200, "<title>Burr chat</title>"},
		{"GET", "/api/chats/bad%20id", "", "", 400, "conversation id"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": ""}`, 400, "non-empty prompt"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": " \n\t "}`, 400, "non-empty prompt"},
		{"POST", "/api/chats/x/messages", jsonType, `not json`, 400, "the body is not JSON (invalid character 'o' in literal null"},
		{"POST", "/api/chats/x/messages", jsonType, ``, 400, "the body is empty"},
		{"POST", "/api/chats/x/messages", jsonType, `{}`, 400, `the body has no \"prompt\"`},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": 5}`, 400, `\"prompt\" is a JSON number, not a string`},
		{"POST", "/api/chats/x/messages", jsonType, `["Hi"]`, 400, "the body is a JSON array, not an object"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": "Hi"} trailing`, 400, "data after its JSON object"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": "Hi"}{"prompt": "again"}`, 400, "data after its JSON object"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": "` + strings.Repeat("a", maxBody) + `"}`, 413, "larger than 64 KiB"},
		{"POST", "/api/chats/x/messages", jsonType, `{"prompt": "Hi"}` + strings.Repeat(" ", maxBody), 413, "larger than 64 KiB"},
		{"POST", "/api/chats/x/messages", "application/json; charset=utf-8", `{"prompt": " "}`, 400, "non-empty prompt"},
		{"POST", "/api/chats/x/messages", "text/plain", `{"prompt": "Hi"}`, 415, "Content-Type: application/json"},
		{"POST", "/api/chats/x/messages", "application/x-www-form-urlencoded", `prompt=Hi`, 415, "Content-Type: application/json"},
		{"POST", "/api/chats/x/messages", "", `{"prompt": "Hi"}`, 415, "Content-Type: application/json"},
		{"POST", "/api/chats/x/stop", jsonType, "", 404, "no answer is being generated"},
		{"POST", "/api/chats/x/stop", "text/plain", "", 415, "Content-Type: application/json"},
		{"POST", "/api/chats/x/stop", "", "", 415, "Content-Type: application/json"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s (%s) %.100s: %d %s", tc.method, tc.path, tc.ctype, tc.body, resp.StatusCode, b)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	if got := messages(t, srv.URL, "x"); len(got) != 0 {
		t.Errorf("rejected requests left messages %v", got)
	}
}

// TestCrossSiteRequestsCannotSendOrStop: what a page on another site can send
// without a CORS preflight (a text/plain fetch, a form) neither sends a
// message nor stops one.
func TestCrossSiteRequestsCannotSendOrStop(t *testing.T) {
	s, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{Delay: 2 * time.Millisecond})
	id := newID()
	crossSite := func(path, ctype, body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/chats/"+id+path, ctype, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := crossSite("/messages", "text/plain", `{"prompt": "Hi from elsewhere"}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain message: %d", code)
	}
	if got := messages(t, srv.URL, id); len(got) != 0 {
		t.Fatalf("a cross-site message was answered: %v", got)
	}

	resp := post(t, context.Background(), srv.URL, id, "Tell me a long story")
	var shown strings.Builder
	var last event
	stopped := false
	for ev := range events(resp.Body) {
		last = ev
		if ev.name != "item" {
			continue
		}
		var tok string
		json.Unmarshal([]byte(ev.data), &tok)
		shown.WriteString(tok)
		if !stopped && shown.Len() > 20 {
			stopped = true
			for _, ctype := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
				if code := crossSite("/stop", ctype, ""); code != http.StatusUnsupportedMediaType {
					t.Errorf("stop as %q: %d", ctype, code)
				}
			}
			if !s.streams.Running(id) {
				t.Error("a cross-site stop stopped the answer")
			}
		}
	}
	var r struct{ Result map[string]any }
	json.Unmarshal([]byte(last.data), &r)
	if last.name != "result" || r.Result["finish_reason"] != "stop" || r.Result["content"] != shown.String() {
		t.Errorf("the answer did not run to its end: last event %v", last)
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestConcurrentFirstMessages: first messages of a new conversation sent at
// the same moment race to save its opening step and then their turn; the
// losers get 409 Conflict (or, when they lose once answering, a conflict
// error event), never 500, and the conversation keeps the turns of the
// winners.
func TestConcurrentFirstMessages(t *testing.T) {
	_, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{})
	const rounds, clients = 20, 6
	statuses := map[int]int{}
	conflicts := 0
	for range rounds {
		id := newID()
		type outcome struct {
			prompt string
			status int
			body   string
			events []event
		}
		outcomes := make(chan outcome, clients)
		start := make(chan struct{})
		for i := range clients {
			go func() {
				<-start
				prompt := fmt.Sprintf("Hello %d", i)
				body, _ := json.Marshal(map[string]string{"prompt": prompt})
				resp, err := http.Post(srv.URL+"/api/chats/"+id+"/messages", "application/json", bytes.NewReader(body))
				if err != nil {
					outcomes <- outcome{prompt: prompt, status: -1, body: err.Error()}
					return
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b, _ := io.ReadAll(resp.Body)
					outcomes <- outcome{prompt: prompt, status: resp.StatusCode, body: string(b)}
					return
				}
				var evs []event
				for ev := range events(resp.Body) {
					evs = append(evs, ev)
				}
				outcomes <- outcome{prompt: prompt, status: resp.StatusCode, events: evs}
			}()
		}
		close(start)
		answered := map[string]bool{}
		for range clients {
			o := <-outcomes
			statuses[o.status]++
			switch o.status {
			case http.StatusOK:
				last := o.events[len(o.events)-1]
				switch {
				case last.name == "result":
					answered[o.prompt] = true
				case last.name == "error" && strings.Contains(last.data, "changed by another message"):
					conflicts++
				default:
					t.Errorf("last event %v", last)
				}
			case http.StatusConflict:
				conflicts++
				if !strings.Contains(o.body, "changed by another message") {
					t.Errorf("409 body %s", o.body)
				}
			default:
				t.Errorf("status %d: %s", o.status, o.body)
			}
		}
		got := messages(t, srv.URL, id)
		saved := map[string]bool{}
		for _, m := range got {
			if m.Role == llm.RoleUser {
				saved[m.Content] = true
			}
		}
		if len(answered) == 0 || len(got) != 2*len(answered) || fmt.Sprint(saved) != fmt.Sprint(answered) {
			t.Errorf("answered %v, saved conversation %v", answered, got)
		}
	}
	t.Logf("statuses %v, %d conflicts", statuses, conflicts)
	if statuses[http.StatusConflict] == 0 {
		t.Log("no conflict happened before an answer started")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestInternalErrorsAreNotShownToClients(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error": {"message": "Incorrect API key provided: sk-secret", "type": "invalid_request_error"}}`)
	}))
	defer api.Close()
	_, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")),
		llm.NewOpenAI(llm.WithBaseURL(api.URL+"/v1"), llm.WithAPIKey("sk-secret"), llm.WithMaxRetries(0)))
	resp := post(t, context.Background(), srv.URL, newID(), "Hi")
	var last event
	for ev := range events(resp.Body) {
		last = ev
	}
	if last.name != "error" || strings.Contains(last.data, "sk-secret") || !strings.Contains(last.data, internalError) {
		t.Errorf("last event %v", last)
	}
	http.DefaultClient.CloseIdleConnections()
}

// lockedBuffer is a bytes.Buffer that run writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunServesUntilCancelled also checks that the default database is
// kept under ~/.burr, not in the working directory.
func TestRunServesUntilCancelled(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--offline"}, &out, &errb) }()
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	for deadline := time.Now().Add(time.Minute); url.FindString(out.String()) == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed\n%s\n%s", out.String(), errb.String())
		}
	}
	say(t, strings.TrimSuffix(url.FindString(out.String()), "/"), newID(), "Hi")
	cancel()
	db := filepath.Join(home, ".burr", "chat-server.db")
	if code := <-done; code != 0 || !strings.Contains(out.String(), "SQLite "+db) {
		t.Errorf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the default database: %v", err)
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"-h"}, 0, "--postgres DSN", ""},
		{[]string{"-h"}, 0, "--allow-remote", ""},
		{[]string{"--nope"}, 2, "", "chat-server: flag provided but not defined: -nope\nrun 'chat-server -h' for usage\n"},
		{[]string{"extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"--addr", "0.0.0.0:0"}, 2, "", "pass --allow-remote"},
		{[]string{"--addr", ":8080"}, 2, "", "non-loopback"},
		{[]string{"--addr", "nonsense"}, 2, "", "--addr"},
	} {
		var out, errb lockedBuffer
		if code := run(context.Background(), tc.args, &out, &errb); code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("chat-server %v: exit %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, out.String(), errb.String())
		}
	}
}
