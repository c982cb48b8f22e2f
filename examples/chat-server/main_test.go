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
	"path/filepath"
	"strings"
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
				stop, err := http.Post(srv.URL+"/api/chats/"+id+"/stop", "", nil)
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
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/", "", 200, "<title>Burr chat</title>"},
		{"GET", "/api/chats/bad%20id", "", 400, "conversation id"},
		{"POST", "/api/chats/x/messages", `{"prompt": ""}`, 400, "non-empty prompt"},
		{"POST", "/api/chats/x/messages", `not json`, 400, "non-empty prompt"},
		{"POST", "/api/chats/x/stop", "", 404, "no answer is being generated"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, b)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "c.db"), "--offline"}, &out, &errb)
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "chat-server on http://127.0.0.1:") {
		t.Errorf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-h"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--postgres DSN") {
		t.Errorf("-h: %d %s", code, out.String())
	}
}
