// Package hostcheck holds the rule by which the module's local web servers
// (burr ui, the chat server example) refuse requests that a web page could
// send them through DNS rebinding: a name of the attacker's, rebound to
// 127.0.0.1, reaches a server listening on a loopback address, but the
// request still names the attacker's host in its Host header. Such a server
// answers only requests for "localhost" or a loopback address, unless told
// otherwise.
package hostcheck

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Loopback reports whether host (a name or an IP address, without a port;
// brackets and a trailing dot are allowed) is "localhost" or a loopback
// address. An empty host, which means every interface when listening, is
// not.
func Loopback(host string) bool {
	host = normalize(host)
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Checker decides whether a request is addressed to a server on this
// machine. The zero value allows "localhost" and loopback addresses only.
type Checker struct {
	// AllowAny answers every host (a server deliberately exposed).
	AllowAny bool
	hosts    map[string]bool // other names allowed, normalized; see Allow
}

// Allow adds host names (for example a reverse proxy's) to the allowed ones.
func (c *Checker) Allow(hosts ...string) {
	if c.hosts == nil {
		c.hosts = map[string]bool{}
	}
	for _, h := range hosts {
		c.hosts[normalize(h)] = true
	}
}

// AllowedHost reports whether hostport (a Host header: a name or address,
// with or without a port) is loopback, "localhost" or an allowed host.
func (c *Checker) AllowedHost(hostport string) bool {
	if c.AllowAny {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if normalize(host) == "" {
		return false
	}
	return Loopback(host) || c.hosts[normalize(host)]
}

// Misdirected is the 421 answer to a request whose Host AllowedHost refuses.
func Misdirected(w http.ResponseWriter) {
	http.Error(w, "misdirected request: this server answers only requests for localhost", http.StatusMisdirectedRequest)
}

func normalize(host string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}
