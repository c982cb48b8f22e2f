package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

const testToken = "s3cret-token-0123456789"

// With WithToken, every page, the live stream and the static files need the
// token; without it the answer is a bare 401 that names nothing of the runs.
func TestTokenRequired(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "secretproject", "run-1", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	s := NewServer(dir, WithToken(testToken), WithAllowRemote())
	defer s.Close()
	paths := []string{"/", "/projects/secretproject", "/projects/secretproject/apps/run-1",
		"/projects/secretproject/apps/run-1/events", "/static/app.js", "/static/style.css", "/nonexistent"}
	bad := map[string]func(*http.Request){
		"no token":      func(*http.Request) {},
		"wrong bearer":  func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong-token-0123456789") },
		"bearer prefix": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken[:10]) },
		"basic scheme":  func(r *http.Request) { r.Header.Set("Authorization", "Basic "+testToken) },
		"wrong cookie":  func(r *http.Request) { r.AddCookie(&http.Cookie{Name: TokenCookie, Value: "x"}) },
		"token cookie":  func(r *http.Request) { r.AddCookie(&http.Cookie{Name: TokenCookie, Value: testToken}) },
		"wrong query":   func(r *http.Request) { r.URL.RawQuery = "token=nope" },
		"bearer+good qs": func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer nope")
			r.URL.RawQuery = "token=" + testToken
		},
	}
	for name, prep := range bad {
		for _, p := range paths {
			req := httptest.NewRequest("GET", p, nil)
			req.Host = "ui.example:7241"
			prep(req)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s = %d, want 401", name, p, rec.Code)
			}
			if strings.Contains(body, "secretproject") || strings.Contains(body, "run-1") || strings.Contains(body, "/static/") {
				t.Errorf("%s %s: the 401 page leaks: %q", name, p, body)
			}
			if rec.Header().Get("WWW-Authenticate") == "" || len(rec.Result().Cookies()) != 0 {
				t.Errorf("%s %s: headers %v", name, p, rec.Header())
			}
		}
	}
	for _, p := range paths[:3] {
		req := httptest.NewRequest("GET", p, nil)
		req.Host = "ui.example:7241"
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "secretproject") {
			t.Errorf("bearer %s = %d", p, rec.Code)
		}
	}
	// The Host check still comes first when it is not widened.
	local := NewServer(dir, WithToken(testToken))
	defer local.Close()
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "evil.example"
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	local.ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("token but foreign Host = %d, want 421", rec.Code)
	}
}

// A browser visits /?token=… once: it gets the session cookie and is sent
// to the same page without the token in the URL; from then on the cookie
// is enough, live stream included.
func TestTokenCookieFlow(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "proj", "run-1", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	s := NewServer(dir, WithToken(testToken))
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(srv.URL + "/projects/proj?token=" + url.QueryEscape(testToken) + "&x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/projects/proj?x=1" {
		t.Fatalf("visit with token = %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != TokenCookie || !cookies[0].HttpOnly || strings.Contains(cookies[0].Value, testToken) {
		t.Fatalf("cookies %v", cookies)
	}

	for _, p := range []string{"/", "/projects/proj", "/projects/proj/apps/run-1", "/static/app.js"} {
		req, _ := http.NewRequest("GET", srv.URL+p, nil)
		req.AddCookie(cookies[0])
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("with the cookie, %s = %d", p, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/projects/proj/apps/run-1/events", nil)
	req.AddCookie(cookies[0])
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("events with the cookie = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp.Body.Close()

	// A path that would make the redirect leave the host goes to "/".
	resp, err = noFollow.Get(srv.URL + "/%2F%2Fevil.example?token=" + url.QueryEscape(testToken))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
		t.Errorf("redirect to %q", loc)
	}
}

func TestWithTokenTooShort(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a 5-character token was accepted")
		}
	}()
	NewServer(t.TempDir(), WithToken("short"))
}
