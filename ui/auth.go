package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// TokenCookie is the name of the cookie in which the browser keeps the
// access of a Server given WithToken, after one visit with ?token=.
const TokenCookie = "burr_ui_session"

// MinTokenLength is the shortest access token WithToken accepts.
const MinTokenLength = 16

// WithToken makes every request need the access token: in an
// "Authorization: Bearer TOKEN" header, or in the session cookie
// ([TokenCookie]) that a visit to any page with "?token=TOKEN" sets, after
// which the browser is redirected to the same page without the token in
// its URL. A request without the token, or with a wrong one, gets 401 and
// a minimal page that names nothing of the runs (no projects, no
// scripts, no style sheets). Tokens are compared in constant time; the
// cookie holds a value derived from the token, not the token itself.
//
// NewServer panics if token is shorter than [MinTokenLength]: callers
// check it first (burr ui does).
func WithToken(token string) Option {
	return func(s *Server) {
		if len(token) < MinTokenLength {
			panic("ui.WithToken: the access token is shorter than ui.MinTokenLength")
		}
		sum := sha256.Sum256([]byte(token))
		s.tokenHash = sum[:]
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write([]byte("burr ui session v1"))
		s.session = hex.EncodeToString(mac.Sum(nil))
	}
}

// sameToken reports, in constant time, whether given is the server's
// token. Both are hashed first so that the comparison does not reveal the
// token's length either.
func (s *Server) sameToken(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash) == 1
}

// authorize checks the token of r when the server has one. It answers the
// request itself (401, or the redirect that drops ?token= from the URL)
// and returns false when the handler must not run.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if s.tokenHash == nil {
		return true
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && s.sameToken(strings.TrimSpace(tok)) {
			return true
		}
		unauthorized(w)
		return false
	}
	q := r.URL.Query()
	if q.Has("token") {
		if !s.sameToken(q.Get("token")) {
			unauthorized(w)
			return false
		}
		http.SetCookie(w, &http.Cookie{
			Name:     TokenCookie,
			Value:    s.session,
			Path:     "/",
			HttpOnly: true,
			Secure:   r.TLS != nil,
			SameSite: http.SameSiteLaxMode,
		})
		q.Del("token")
		target := r.URL.EscapedPath()
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.HasPrefix(target, "/\\") {
			target = "/" // never a redirect to another host
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusSeeOther)
		return false
	}
	if c, err := r.Cookie(TokenCookie); err == nil &&
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.session)) == 1 {
		return true
	}
	unauthorized(w)
	return false
}

const unauthorizedPage = `<!doctype html>
<meta charset="utf-8">
<title>401 Unauthorized</title>
<p>This Burr UI needs an access token: open it once as <code>/?token=…</code>,
or send <code>Authorization: Bearer …</code>.</p>
`

// unauthorized writes the 401 answer, which reveals nothing of the runs.
func unauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("WWW-Authenticate", `Bearer realm="burr ui"`)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedPage))
}
