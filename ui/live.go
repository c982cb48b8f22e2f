package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/burrgo/burr/ui/internal/store"
)

// liveUpdate is the data of one "update" event. Lines are the raw log
// lines added since the previous event; the other fields are fragments of
// the application page rendered again, which the page swaps in.
type liveUpdate struct {
	Offset   int64        `json:"offset"`
	Lines    []string     `json:"lines"`
	Status   store.Status `json:"status"`
	Summary  string       `json:"summary"`
	Steps    string       `json:"steps"`
	Graph    string       `json:"graph"`
	Problems string       `json:"problems"`
}

// heartbeat is how often an idle event stream sends a comment, so that a
// client that went away is noticed.
const heartbeat = 15 * time.Second

// handleEvents tails log.jsonl of one application and pushes each batch
// of new complete lines as a Server-Sent Event. The client says where its
// page stopped (query "offset", or Last-Event-ID when EventSource
// reconnects); the stream starts with an update when the file has grown
// since. The file is polled: its size is checked every s.poll, which
// needs no platform file-watching.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	project, id := r.PathValue("project"), r.PathValue("app")
	app, err := s.store.App(project, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	s.streams.Add(1)
	s.mu.Unlock()
	defer s.streams.Done()

	since := int64(-1)
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("offset")} {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			since = n
			break
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}

	// The log as the page knows it: complete lines up to app.Offset.
	lg, offset := app.Log, app.Offset
	if since >= 0 && since != offset {
		// The page is older (or from another file): send what it lacks,
		// or everything when its offset makes no sense any more.
		var fresh []byte
		if since < offset {
			if data, _, err := s.store.ReadFrom(project, id, since); err == nil {
				fresh = data[:min(int64(len(data)), offset-since)]
			}
		}
		if !s.send(w, rc, app, lg, offset, fresh) {
			return
		}
	}

	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-tick.C:
			data, size, err := s.store.ReadFrom(project, id, offset)
			if err != nil {
				continue // not there yet, or briefly unreadable: try again
			}
			if size < offset {
				// Truncated or replaced: read it again from the start.
				lg, offset = store.NewLog(), 0
				if data, _, err = s.store.ReadFrom(project, id, 0); err != nil {
					continue
				}
			}
			n := store.CompleteLen(data)
			if n == 0 {
				continue // nothing new, or a line still being written
			}
			chunk := data[:n]
			lg.Add(chunk)
			offset += int64(n)
			if ch, err := s.store.Children(project, id); err == nil {
				app.Children = ch
			}
			if !s.send(w, rc, app, lg, offset, chunk) {
				return
			}
		}
	}
}

// send writes one update event; it reports false when the client is gone.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, app *store.App, lg *store.Log, offset int64, fresh []byte) bool {
	app.Log, app.Offset, app.Tail = lg, offset, nil
	page := newAppPage(app)
	u := liveUpdate{Offset: offset, Lines: []string{}, Status: page.Status}
	for _, l := range store.SplitLines(fresh) {
		if len(bytes.TrimSpace(l)) > 0 {
			u.Lines = append(u.Lines, string(l))
		}
	}
	t := s.pages["app"]
	for _, f := range []struct {
		name string
		dst  *string
	}{{"summary", &u.Summary}, {"steps", &u.Steps}, {"graph", &u.Graph}, {"problems", &u.Problems}} {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, f.name, page); err != nil {
			s.logError("ui: render live fragment", "fragment", f.name, "err", err)
			return false
		}
		*f.dst = buf.String()
	}
	data, err := json.Marshal(u)
	if err != nil {
		return false
	}
	// JSON has no raw newlines, so the payload is one data line.
	if _, err := fmt.Fprintf(w, "event: update\nid: %d\ndata: %s\n\n", offset, data); err != nil {
		return false
	}
	return rc.Flush() == nil
}
