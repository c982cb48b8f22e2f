package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/burrgo/burr/ui/internal/store"
)

// liveUpdate is the data of one "update" event: what changed since the
// previous event, never the whole log. Steps holds the steps that got new
// lines and are on the page the client shows (the "steps" fragment with
// those steps only), which the page puts in place of its copies or adds;
// Summary is the summary fragment, Graph and Problems are sent only when
// they changed (absent otherwise). Reset says that the log was replaced or
// truncated: Steps and Pager then hold the newest page of the new file,
// which replaces the page's steps. Lines counts the new log lines.
type liveUpdate struct {
	Offset   int64        `json:"offset"`
	Lines    int          `json:"lines"`
	Reset    bool         `json:"reset,omitempty"`
	Status   store.Status `json:"status"`
	NumSteps int          `json:"numSteps"`
	Summary  string       `json:"summary"`
	Steps    string       `json:"steps"`
	Pager    *string      `json:"pager,omitempty"`
	Graph    *string      `json:"graph,omitempty"`
	Problems *string      `json:"problems,omitempty"`
}

// heartbeat is how often an idle event stream sends a comment, so that a
// client that went away is noticed.
const heartbeat = 15 * time.Second

// liveView is what one event stream knows of its application and of the
// page its client shows. It holds the index of the log (about 40 bytes
// per line) and, while an update is made, the lines of the steps it sends.
type liveView struct {
	app        *store.App
	latest     bool // the client shows the newest page: new steps are added to it
	page       int  // the number of the page the client shows
	numSteps   int
	lo, hi     int // sequence ids of the steps the page shows (hi unbounded when latest)
	lastAction string
	numErrors  int
	problems   []string
	lines      int // lines indexed when the previous event was sent
}

// handleEvents tails log.jsonl of one application and pushes an update
// event for each batch of new complete lines. The client says where its
// page stopped (query "offset", or Last-Event-ID when EventSource
// reconnects), which steps it shows (query "page", "lo" and "hi": the
// newest page, page=1, also takes new steps), and whether the page lacked
// graph.json or metadata.json (query "graph=0", "metadata=0"); the stream
// starts with an update when the file has grown since, or those files have
// appeared. The file is polled: it is checked every s.poll, which needs no
// platform file-watching, and only its new bytes are read. A log replaced
// by another file, or truncated, is indexed again from the start;
// graph.json and metadata.json, which the tracker writes after creating
// the log, are read again until they exist.
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
	v := &liveView{app: app, latest: q.Get("page") == "" || q.Get("page") == "1", lo: -1 << 62, hi: 1 << 62, lines: app.Index.Lines()}
	v.page, _ = strconv.Atoi(q.Get("page"))
	v.page, v.numSteps = max(v.page, 1), app.Index.NumSteps()
	if n, err := strconv.Atoi(q.Get("lo")); err == nil {
		v.lo = n
	}
	if n, err := strconv.Atoi(q.Get("hi")); err == nil && !v.latest {
		v.hi = n
	}
	_, v.lastAction, _ = app.Index.Current()
	v.numErrors, v.problems = app.Index.NumErrors(), app.Problems
	app.Index.Track()

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

	if since >= 0 {
		lacked := (q.Get("graph") == "0" && app.Graph != nil) || (q.Get("metadata") == "0" && app.Metadata != nil)
		switch {
		case since < app.Offset && s.store.LineStart(app, since):
			// The page is older: send the steps that changed since.
			seqs, first := app.Index.SeqsSince(since)
			v.lines = first - 1
			if !s.send(w, rc, v, seqs, false, lacked) {
				return
			}
		case since != app.Offset:
			// The page saw another file, or a longer one: this one
			// replaced it.
			v.lines = 0
			if !s.send(w, rc, v, nil, true, true) {
				return
			}
		case lacked:
			if !s.send(w, rc, v, nil, false, true) {
				return
			}
		}
	}
	app.Index.Touched() // sent, or known to the page
	if app.Items != nil {
		app.Items.Touched()
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
			before := app.Offset
			reset, err := s.store.Refresh(app)
			if err != nil {
				continue // not there yet, or briefly unreadable: try again
			}
			var itemsTouched []int
			if app.Items != nil {
				itemsTouched = app.Items.Touched()
			}
			grew := reset || app.Offset != before || len(itemsTouched) > 0
			filesChanged := false
			runs := app.ChildRuns
			if grew || app.Graph == nil || app.Metadata == nil || childrenRunning(app) {
				filesChanged = s.reloadFiles(app)
			}
			touched := append(app.Index.Touched(), itemsTouched...)
			slices.Sort(touched)
			touched = slices.Compact(touched)
			if filesChanged {
				// The steps whose children changed are shown again.
				touched = append(touched, changedParents(runs, app.ChildRuns)...)
				slices.Sort(touched)
				touched = slices.Compact(touched)
			}
			if !grew && !filesChanged {
				continue // nothing new, or a line still being written
			}
			if reset {
				v.lines = 0
			}
			if !s.send(w, rc, v, touched, reset, filesChanged) {
				return
			}
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

// changedParents returns the sequence ids of the steps whose spawned
// children differ between old and cur.
func changedParents(old, cur []store.ChildRun) []int {
	before := make(map[string]store.ChildRun, len(old))
	for _, r := range old {
		before[r.AppID] = r
	}
	var seqs []int
	for _, r := range cur {
		if b, ok := before[r.AppID]; !ok || b != r {
			seqs = append(seqs, r.ParentSeq)
		}
	}
	return seqs
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

// send writes one update event with the steps of touched that the page
// shows (the newest page when reset), the summary, and the graph and
// problems when they changed or all is true. It reports false when the
// client is gone.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, v *liveView, touched []int, reset, all bool) bool {
	app := v.app
	var seqs []int
	if reset {
		v.latest, v.page, v.lo, v.hi = true, 1, -1<<62, 1<<62
		seqs, _ = app.Index.Page(1, stepsPerPage)
		if len(seqs) > 0 {
			v.lo = seqs[len(seqs)-1]
		}
	} else {
		for _, seq := range slices.Backward(touched) {
			if seq >= v.lo && seq <= v.hi {
				seqs = append(seqs, seq)
			}
		}
	}
	p, err := s.pageOf(app, seqs)
	if err != nil {
		s.logError("ui: live update", "app", app.ID, "err", err)
		return true // the log moved under the read; the next tick reads it again
	}
	u := liveUpdate{Offset: app.Offset, Lines: app.Index.Lines() - v.lines, Reset: reset, Status: p.Status, NumSteps: p.NumSteps}
	v.lines = app.Index.Lines()
	t := s.pages["app"]
	render := func(name string, data any) (string, bool) {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			s.logError("ui: render live fragment", "fragment", name, "err", err)
			return "", false
		}
		return buf.String(), true
	}
	var ok bool
	if u.Summary, ok = render("summary", p); !ok {
		return false
	}
	if len(seqs) > 0 || reset {
		if u.Steps, ok = render("steps", p); !ok {
			return false
		}
	}
	if reset || p.NumSteps != v.numSteps {
		p.Page, p.Pages = v.page, max((p.NumSteps+stepsPerPage-1)/stepsPerPage, 1)
		pager, ok := render("pager", p)
		if !ok {
			return false
		}
		u.Pager, v.numSteps = &pager, p.NumSteps
	}
	if all || reset || p.LastAction != v.lastAction {
		g, ok := render("graph", p)
		if !ok {
			return false
		}
		u.Graph, v.lastAction = &g, p.LastAction
	}
	if all || reset || p.NumErrors != v.numErrors || !slices.Equal(app.Problems, v.problems) {
		pr, ok := render("problems", p)
		if !ok {
			return false
		}
		u.Problems, v.numErrors, v.problems = &pr, p.NumErrors, app.Problems
	}
	data, err := json.Marshal(u)
	if err != nil {
		return false
	}
	// JSON has no raw newlines, so the payload is one data line.
	if _, err := fmt.Fprintf(w, "event: update\nid: %d\ndata: %s\n\n", app.Offset, data); err != nil {
		return false
	}
	return rc.Flush() == nil
}
