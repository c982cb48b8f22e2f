package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/llm"
)

// hardened starts the server as run does, with the read and idle timeouts
// given.
func hardened(t *testing.T, m llm.Model, readTimeout, idleTimeout time.Duration) *httptest.Server {
	t.Helper()
	s, err := newServer(openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), m)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = newHTTPServer(s, readTimeout, idleTimeout)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// A client that sends its body a little at a time, and never all of it,
// is cut off once the read timeout has passed.
func TestTricklingBodyIsCutOff(t *testing.T) {
	srv := hardened(t, &llm.Offline{}, 50*time.Millisecond, time.Minute)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute)) // the test's own guard, far beyond the server's timeout
	_, err = io.WriteString(conn, "POST /api/chats/c1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"prompt\": \"")
	if err != nil {
		t.Fatal(err)
	}
	// Keep trickling until the server gives up on the body; it answers 408
	// and closes the connection.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				if _, err := io.WriteString(conn, "a"); err != nil {
					return
				}
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a trickling body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body) // ends when the server closes the connection
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "not sent in time") || !resp.Close {
		t.Errorf("%s %s (close %v)", resp.Status, body, resp.Close)
	}
}

// A kept-alive connection on which no request comes is closed once the idle
// timeout has passed.
func TestIdleConnectionIsClosed(t *testing.T) {
	srv := hardened(t, &llm.Offline{}, time.Minute, 50*time.Millisecond)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute)) // the test's own guard, far beyond the server's timeout
	if _, err := io.WriteString(conn, "GET /api/chats/c1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("%s, close %v: want a kept-alive 200", resp.Status, resp.Close)
	}
	if n, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: read %d bytes, %v; want the server to close it", n, err)
	}
}

// gatedModel answers "Hello", then waits for the gate to open before it
// ends its answer.
type gatedModel struct{ started, gate chan struct{} }

func (gatedModel) Name() string { return "gated" }

func (m gatedModel) Chat(ctx context.Context, _ []llm.Message, emit func(string) bool) (llm.Reply, error) {
	emit("Hello")
	m.started <- struct{}{}
	select {
	case <-m.gate:
	case <-ctx.Done():
		return llm.Reply{}, ctx.Err()
	}
	emit(" again")
	return llm.Reply{Content: "Hello again", FinishReason: "stop"}, nil
}

// cutOff sends a request that never finishes its body, and returns once the
// server has answered it 408: the read timeout has passed since then.
func cutOff(t *testing.T, srv *httptest.Server) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute)) // the test's own guard, far beyond the server's timeout
	_, err = io.WriteString(conn, "POST /api/chats/c2/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("unfinished body: %v %v", resp, err)
	}
	resp.Body.Close()
}

// The read timeout bounds reading a request, not the answer: an answer that
// is still streaming when the timeout has passed arrives whole.
func TestAnswerOutlastsTheReadTimeout(t *testing.T) {
	m := gatedModel{started: make(chan struct{}, 1), gate: make(chan struct{})}
	srv := hardened(t, m, 100*time.Millisecond, time.Minute)
	resp := post(t, context.Background(), srv.URL, newID(), "Hi")
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	<-m.started
	cutOff(t, srv) // a request sent after ours timed out: so did ours, had it still been read
	close(m.gate)
	var last event
	for ev := range events(resp.Body) {
		last = ev
	}
	if last.name != "result" || !strings.Contains(last.data, `"content":"Hello again"`) {
		t.Errorf("last event %v", last)
	}
}

// The server answers only requests for localhost or a loopback address,
// unless remote access is allowed; a browser's cross-origin POST gets 403.
func TestHostAndOriginChecks(t *testing.T) {
	s, srv := instance(t, openSQLite(t, filepath.Join(t.TempDir(), "chat.db")), &llm.Offline{})
	send := func(method, host string, header map[string]string) (int, string) {
		t.Helper()
		var body io.Reader
		if method == http.MethodPost {
			b, _ := json.Marshal(map[string]string{"prompt": "Hi"})
			body = strings.NewReader(string(b))
		}
		req, err := http.NewRequest(method, srv.URL+"/api/chats/"+newID()+"/messages", body)
		if err != nil {
			t.Fatal(err)
		}
		if method == http.MethodGet {
			req.URL.Path = "/"
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	defer http.DefaultClient.CloseIdleConnections()
	for _, tc := range []struct {
		method, host string
		header       map[string]string
		want         int
	}{
		{"GET", "", nil, 200},
		{"GET", "localhost:8080", nil, 200},
		{"GET", "evil.example", nil, 421},
		{"GET", "evil.example:8080", nil, 421},
		{"POST", "evil.example:8080", nil, 421}, // DNS rebinding: the page's own origin, rebound to 127.0.0.1
		{"POST", "", map[string]string{"Origin": "http://evil.example"}, 403},
		{"POST", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", "", map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}, 200},
		{"POST", "", nil, 200},
	} {
		if got, body := send(tc.method, tc.host, tc.header); got != tc.want {
			t.Errorf("%s Host %q %v: %d %.200s, want %d", tc.method, tc.host, tc.header, got, body, tc.want)
		}
	}
	s.hosts.AllowAny = true // --allow-remote
	if got, body := send("POST", "chat.example:443", nil); got != 200 {
		t.Errorf("allowing any host, Host chat.example: %d %s", got, body)
	}
}
