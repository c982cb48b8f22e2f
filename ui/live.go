package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/burrgo/burr/ui/internal/store"
)

// liveUpdate is the data of one "update" event. Lines are the raw log
// lines added since the previous event; the other fields are fragments of
// the application page rendered again, which the page swaps in. Reset
// says that the log was replaced or truncated: Lines then start from the
// beginning of the new file, and the fragments show it alone.
type liveUpdate struct {
	Offset   int64        `json:"offset"`
	Lines    []string     `json:"lines"`
	Reset    bool         `json:"reset,omitempty"`
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
// reconnects), and whether the page lacked graph.json or metadata.json
// (query "graph=0", "metadata=0"); the stream starts with an update when
// the file has grown since, or those files have appeared. The file is
// polled: it is checked every s.poll, which needs no platform
// file-watching. A log replaced by another file, or truncated, is read
// again from the start; graph.json and metadata.json, which the tracker
// writes after creating the log, are read again until they exist.
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

	q := r.URL.Query()
	since := int64(-1)
	for _, v := range []string{r.Header.Get("Last-Event-ID"), q.Get("offset")} {
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

	// The log as the page knows it: complete lines up to app.Offset of
	// the file ident.
	lg, offset, ident := app.Log, app.Offset, app.LogInfo
	if since >= 0 {
		lacked := (q.Get("graph") == "0" && app.Graph != nil) || (q.Get("metadata") == "0" && app.Metadata != nil)
		switch {
		case since < offset:
			// The page is older: send what it lacks, unless its offset
			// is not a line boundary of this file (another file).
			ch, err := s.store.ReadFrom(project, id, since)
			reset := err != nil || !ch.Continues || (ident != nil && !os.SameFile(ident, ch.Info))
			var fresh []byte
			if !reset {
				fresh = ch.Data[:min(int64(len(ch.Data)), offset-since)]
			}
			if !s.send(w, rc, app, lg, offset, fresh, reset) {
				return
			}
		case since > offset:
			// The page saw a longer file: this one replaced it.
			if !s.send(w, rc, app, lg, offset, nil, true) {
				return
			}
		case lacked:
			if !s.send(w, rc, app, lg, offset, nil, false) {
				return
			}
		}
	}

	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	reset := false // the log was read again from 0; the page does not know yet
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
			ch, err := s.store.ReadFrom(project, id, offset)
			if err != nil {
				continue // not there yet, or briefly unreadable: try again
			}
			if !ch.Continues || (ident != nil && !os.SameFile(ident, ch.Info)) {
				// Truncated, or replaced by another file (even a longer
				// one): read it again from the start.
				lg, offset, reset = store.NewLog(), 0, true
				if ch, err = s.store.ReadFrom(project, id, 0); err != nil {
					ident = nil
					continue
				}
			}
			ident = ch.Info
			n := store.CompleteLen(ch.Data)
			filesChanged := false
			if n > 0 || reset || app.Graph == nil || app.Metadata == nil || childrenRunning(app) {
				filesChanged = s.reloadFiles(app)
			}
			if n == 0 && !reset && !filesChanged {
				continue // nothing new, or a line still being written
			}
			chunk := ch.Data[:n]
			lg.Add(chunk)
			offset += int64(n)
			if !s.send(w, rc, app, lg, offset, chunk, reset) {
				return
			}
			reset = false
		}
	}
}

// reloadFiles reads the application's metadata.json, graph.json and
// children.jsonl again, and reports whether anything the page shows
// changed. graph.json and metadata.json are written once: they are kept
// once read.
func (s *Server) reloadFiles(app *store.App) bool {
	f, err := s.store.Files(app.Project, app.ID)
	if err != nil {
		return false
	}
	changed := !slices.Equal(f.Problems, app.Problems) || len(f.Children) != len(app.Children) ||
		!slices.Equal(f.ChildRuns, app.ChildRuns)
	if app.Graph == nil && f.Graph != nil {
		app.Graph, changed = f.Graph, true
	}
	if app.Metadata == nil && f.Metadata != nil {
		app.Metadata, changed = f.Metadata, true
	}
	app.Children, app.ChildRuns, app.Problems = f.Children, f.ChildRuns, f.Problems
	return changed
}

// childrenRunning reports whether a spawned child of the application has
// not ended: its page follows the child's log too.
func childrenRunning(app *store.App) bool {
	for _, r := range app.ChildRuns {
		if r.Status == store.StatusRunning || r.Status == store.StatusNew {
			return true
		}
	}
	return false
}

// send writes one update event; it reports false when the client is gone.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, app *store.App, lg *store.Log, offset int64, fresh []byte, reset bool) bool {
	app.Log, app.Offset, app.Tail = lg, offset, nil
	page := newAppPage(app)
	u := liveUpdate{Offset: offset, Lines: []string{}, Reset: reset, Status: page.Status}
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
