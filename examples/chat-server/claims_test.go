package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
	"github.com/burrgo/burr/persist/memory"
	"github.com/burrgo/burr/persist/postgres"
)

// heldModel is a fake OpenAI-compatible model that counts its requests and,
// while its gate is shut, holds every answer until the gate opens.
type heldModel struct {
	handler llmtest.Handler
	mu      sync.Mutex
	gate    chan struct{} // nil: answer at once
}

func newHeldModel(t *testing.T) (*heldModel, llm.Model) {
	g := &heldModel{}
	g.handler.Reply = func(messages []llm.Message) []string {
		g.mu.Lock()
		gate := g.gate
		g.mu.Unlock()
		if gate != nil {
			<-gate
		}
		return llm.Tokens(llm.OfflineAnswer(messages))
	}
	srv := llmtest.NewServer(&g.handler)
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // a failed test must not leave an answer held
	return g, llm.NewOpenAI(llm.WithBaseURL(srv.URL+"/v1"), llm.WithAPIKey("test-key"), llm.WithMaxRetries(0))
}

func (g *heldModel) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate == nil {
		g.gate = make(chan struct{})
	}
}

func (g *heldModel) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

// Messages sent at once to one conversation, through two instances sharing
// one SQLite file: one is answered, with one model call; every other gets
// 409 while that answer is still being generated, without calling the model.
// Both for a new conversation (whose opening step is claimed too) and for one
// with a turn already.
func TestConcurrentMessagesCallTheModelOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	oneModelCall(t, openSQLite(t, path), openSQLite(t, path))
}

// The same with two instances sharing one PostgreSQL database.
func TestConcurrentMessagesCallTheModelOncePostgres(t *testing.T) {
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	open := func() burr.Persister {
		p, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	oneModelCall(t, open(), open())
}

func oneModelCall(t *testing.T, storeA, storeB burr.Persister) {
	model, m := newHeldModel(t)
	_, a := instance(t, storeA, m)
	_, b := instance(t, storeB, m)
	const clients = 8
	for _, existing := range []bool{false, true} {
		id := newID()
		if existing {
			say(t, a.URL, id, "Hello")
		}
		calls := len(model.handler.Requests())
		model.shut()
		type answer struct {
			status int
			body   *http.Response
			err    string
		}
		answers := make(chan answer, clients)
		start := make(chan struct{})
		for i := range clients {
			base := a.URL
			if i%2 == 1 {
				base = b.URL
			}
			go func() {
				<-start
				body, _ := json.Marshal(map[string]string{"prompt": fmt.Sprint("Question ", i)})
				resp, err := http.Post(base+"/api/chats/"+id+"/messages", "application/json", bytes.NewReader(body))
				if err != nil {
					answers <- answer{status: -1, err: err.Error()}
					return
				}
				if resp.StatusCode == http.StatusOK {
					answers <- answer{status: resp.StatusCode, body: resp} // its answer is held by the model
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answers <- answer{status: resp.StatusCode, err: string(b)}
			}()
		}
		close(start)
		// Every client has its status while the one answer is held: the
		// losers cannot have waited for the winner to save.
		var winner *http.Response
		for range clients {
			ans := <-answers
			switch {
			case ans.status == http.StatusOK && winner == nil:
				winner = ans.body
				t.Cleanup(func() { ans.body.Body.Close() })
			case ans.status == http.StatusOK:
				t.Errorf("existing=%v: two messages are being answered at once", existing)
				ans.body.Body.Close()
			case ans.status != http.StatusConflict || !strings.Contains(ans.err, "another message"):
				t.Errorf("existing=%v: a loser got %d %s, want 409 saying another message came first", existing, ans.status, ans.err)
			}
		}
		model.open()
		if winner == nil {
			t.Fatalf("existing=%v: no message was answered", existing)
		}
		var last event
		for ev := range events(winner.Body) {
			last = ev
		}
		if last.name != "result" {
			t.Fatalf("existing=%v: the answered message ended with %v", existing, last)
		}
		if got := len(model.handler.Requests()) - calls; got != 1 {
			t.Errorf("existing=%v: %d model calls for %d concurrent messages, want 1", existing, got, clients)
		}
		want := 2
		if existing {
			want = 4
		}
		if got := messages(t, b.URL, id); len(got) != want {
			t.Errorf("existing=%v: the conversation has %d messages, want %d: %v", existing, len(got), want, got)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// The server refuses a store that cannot claim steps.
func TestStoreMustClaim(t *testing.T) {
	type plain struct{ burr.Persister }
	if _, err := newServer(plain{memory.New()}, &llm.Offline{}); err == nil || !strings.Contains(err.Error(), "cannot claim steps") {
		t.Fatalf("newServer with a store that cannot claim: error = %v", err)
	}
}
