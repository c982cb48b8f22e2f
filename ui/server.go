// Package ui serves Burr's tracking web UI: the runs a tracker wrote
// under a storage directory (Burr's on-disk format, from Go or from
// Python Burr), with live updates of running applications. See Server;
// the "burr ui" command serves it.
package ui

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/burrgo/burr/internal/hostcheck"
	"github.com/burrgo/burr/ui/internal/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Server is the tracking web UI: an http.Handler that serves the runs a
// tracker wrote under one storage directory (Burr's format, described in
// docs/tracking-format.md), the Python tracker's runs included.
//
// Pages:
//
//	/                                       the projects
//	/projects/{project}                     the applications of a project
//	/projects/{project}/apps/{app}          one application: steps, spans, graph, links;
//	                                        25 steps a page, newest first (?page=N, ?step=N)
//	/projects/{project}/apps/{app}/events   Server-Sent Events with what changed
//	/projects/{project}/annotations         the project's annotations; .../export?format=json|csv
//	POST /projects/{project}/apps/{app}/annotations   annotate a step (good or bad, note, tags)
//
// The server only reads the directory, but for annotations, which it
// appends to <project>/annotations.jsonl in the form of Burr's tracking
// server (from the UI's own pages only: a POST another site sends through
// the visitor's browser is refused), and only inside it: ids taken from
// URLs are checked with the tracker's rule (no separators, not "." or "..")
// and every file is opened through an os.Root. Files are read at each
// request, so runs that start after the server appear without a restart.
//
// By default the server answers only requests addressed to a loopback
// address or to "localhost" (the Host header, any port), so that a web
// page in the user's browser cannot read the runs through a DNS name
// rebound to 127.0.0.1; other requests get 421 Misdirected Request.
// WithAllowedHosts and WithAllowRemote widen this. Without WithToken the
// UI has no authentication of its own; with it, every request needs the
// access token.
//
// A Server is safe for concurrent use. Close ends the live-update streams.
type Server struct {
	store    *store.Store
	mux      *http.ServeMux
	pages    map[string]*template.Template
	poll     time.Duration // how often a live page's log file is checked
	hosts    hostcheck.Checker
	mu       sync.Mutex
	closed   bool
	done     chan struct{}
	streams  sync.WaitGroup
	logError func(msg string, args ...any)
	// tokenHash is the SHA-256 of the access token (nil: no token); session
	// is the value of the session cookie. See WithToken.
	tokenHash []byte
	session   string
	prices    map[string]Price // see WithPrices
}

// Option configures a Server.
type Option func(*Server)

// WithAllowRemote makes the server answer requests whatever their Host
// header, as needed when it listens on a non-loopback address (burr ui
// --allow-remote). Anyone who can reach it, or make a browser reach it,
// can then read every run.
func WithAllowRemote() Option { return func(s *Server) { s.hosts.AllowAny = true } }

// WithAllowedHosts adds host names (without port; for example the name of
// a reverse proxy in front of the server) whose requests the server
// answers besides loopback addresses and "localhost".
func WithAllowedHosts(hosts ...string) Option {
	return func(s *Server) { s.hosts.Allow(hosts...) }
}

// NewServer returns a Server for the storage directory dir (for example
// ~/.burr, already expanded). The directory need not exist yet.
func NewServer(dir string, opts ...Option) *Server {
	s := &Server{
		store:    store.New(dir),
		mux:      http.NewServeMux(),
		poll:     250 * time.Millisecond,
		done:     make(chan struct{}),
		logError: slog.Error,
	}
	for _, o := range opts {
		o(s)
	}
	s.pages = parseTemplates()
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.handleProjects)
	s.mux.HandleFunc("GET /projects/{project}", s.handleApps)
	s.mux.HandleFunc("GET /projects/{project}/apps/{app}", s.handleApp)
	s.mux.HandleFunc("GET /projects/{project}/apps/{app}/events", s.handleEvents)
	s.mux.HandleFunc("POST /projects/{project}/apps/{app}/annotations", s.handleAnnotate)
	s.mux.HandleFunc("GET /projects/{project}/annotations", s.handleAnnotations)
	s.mux.HandleFunc("GET /projects/{project}/annotations/export", s.handleAnnotationsExport)
	s.mux.HandleFunc("/", s.handleNotFound)
	return s
}

// ServeHTTP serves the UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.hosts.AllowedHost(r.Host) {
		hostcheck.Misdirected(w)
		return
	}
	if !s.authorize(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close ends every live-update stream and waits for them to return; new
// streams are refused afterwards while pages are still served. Close is
// idempotent and always returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.streams.Wait()
	return nil
}

// render executes page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, page string, data any) {
	s.renderStatus(w, http.StatusOK, page, data)
}

// renderStatus is render with a status code.
func (s *Server) renderStatus(w http.ResponseWriter, code int, page string, data any) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.logError("ui: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail maps a store error to a status without revealing file paths.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrBadID):
		s.errorPage(w, r, http.StatusBadRequest, "This is not a valid project or application id.")
	case errors.Is(err, fs.ErrNotExist):
		s.errorPage(w, r, http.StatusNotFound, "There is no such project or application in the tracking directory.")
	default:
		s.logError("ui: read", "path", r.URL.Path, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "The tracking directory could not be read.")
	}
}

// errorPage is an error in the site's layout, with links back: to the
// project named in the URL, if any, and to the projects.
type errorPage struct {
	Code    int
	Status  string
	Message string
	Project string // the project to go back to, when the URL names one
}

// errorPage writes an error page with the status code.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, code int, msg string) {
	p := errorPage{Code: code, Status: http.StatusText(code), Message: msg}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/projects/"); ok {
		if project, _, _ := strings.Cut(rest, "/"); store.ValidID(project) && strings.Contains(rest, "/") {
			p.Project = project
		}
	}
	s.renderStatus(w, code, "error", p)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
}

type projectsPage struct {
	Dir      string
	Missing  bool // the tracking directory does not exist (yet)
	Projects []store.Project
}

func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Projects()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, statErr := os.Stat(s.store.Dir())
	s.render(w, "projects", projectsPage{Dir: s.store.Dir(), Projects: ps, Missing: errors.Is(statErr, fs.ErrNotExist)})
}

type appsPage struct {
	Project string
	Apps    []store.AppSummary
	List    *store.AppList
	Query   store.AppQuery
}

// statuses are the statuses the application list filters by.
var statuses = []store.Status{store.StatusRunning, store.StatusCompleted, store.StatusFailed, store.StatusInterrupted, store.StatusNew, store.StatusUnknown}

// SortURL is the link of a column header: sorted by col, descending first,
// the other way when it is the column already sorted by; filters kept.
func (p *appsPage) SortURL(col string) string {
	q := p.Query
	asc := false
	if p.sortCol() == col {
		asc = !q.Asc
	}
	q.Sort, q.Asc, q.Page = col, asc, 1
	return appsQuery(q)
}

// SortMark is the arrow of the column sorted by.
func (p *appsPage) SortMark(col string) string {
	switch {
	case p.sortCol() != col:
		return ""
	case p.Query.Asc:
		return " ▲"
	}
	return " ▼"
}

func (p *appsPage) sortCol() string {
	if p.Query.Sort == "" {
		return "updated"
	}
	return p.Query.Sort
}

// PageURL is the link of another page of the list.
func (p *appsPage) PageURL(page int) string {
	q := p.Query
	q.Page = page
	return appsQuery(q)
}

// Statuses are the statuses to filter by.
func (p *appsPage) Statuses() []store.Status { return statuses }

func appsQuery(q store.AppQuery) string {
	v := url.Values{}
	if q.Sort != "" && q.Sort != "updated" {
		v.Set("sort", q.Sort)
	}
	if q.Asc {
		v.Set("asc", "1")
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.PartitionKey != "" {
		v.Set("pk", q.PartitionKey)
	}
	if q.Text != "" {
		v.Set("q", q.Text)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if len(v) == 0 {
		return "?"
	}
	return "?" + v.Encode()
}

func (s *Server) handleApps(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	v := r.URL.Query()
	q := store.AppQuery{Sort: v.Get("sort"), Asc: v.Get("asc") == "1", Status: store.Status(v.Get("status")),
		PartitionKey: v.Get("pk"), Text: strings.TrimSpace(v.Get("q")), PerPage: appsPerPage}
	q.Page, _ = strconv.Atoi(v.Get("page"))
	list, err := s.store.ListApps(project, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.Page = list.Page
	s.render(w, "apps", &appsPage{Project: project, Apps: list.Apps, List: list, Query: q})
}

// appsPerPage is how many applications the list shows at a time.
const appsPerPage = 50

// stepsPerPage is how many steps the application page shows at a time.
const stepsPerPage = 25

// appPage is the view of one application: its summary, from the index of
// its log, and one page of its steps. The live stream renders its
// fragments again as the log grows.
type appPage struct {
	App        *store.App
	Steps      []*store.Step // of this page, newest first
	NumSteps   int
	Status     store.Status
	LastAction string
	Graph      *graphLayout
	Errors     []store.LineError
	NumErrors  int // lines skipped in all, Errors listing the first ones
	Forks      []store.Child
	Spawned    []store.Child
	// StepChildren are the spawned children of each step, by sequence id.
	StepChildren map[int]*store.StepChildren
	Pending      *store.Step // the latest step, when it asked a question
	Page         int         // from 1, newest first
	Pages        int
	OpenSeq      int // the step to show open, -1 for none
	// Recorded are the recorded items of the streamed steps shown, by
	// sequence id (tracking.WithStreamItems).
	Recorded map[int]*store.Recorded
	Dir      string // the tracking directory, for the commands shown
	// Annotations are the annotations of the steps shown, by sequence id.
	Annotations map[int][]store.Annotation
	// Usage is the tokens and cost of the whole application.
	Usage  usageView
	server *Server
}

// StepUsage is the tokens and cost of one step.
func (p *appPage) StepUsage(st *store.Step) usageView { return p.server.usageOf(st.Usage()) }

// newAppPage reads page number page of the steps of app.
func (s *Server) newAppPage(app *store.App, page int) (*appPage, error) {
	seqs, pages := app.Index.Page(page, stepsPerPage)
	p, err := s.pageOf(app, seqs)
	if err != nil {
		return nil, err
	}
	p.Page, p.Pages = min(max(page, 1), pages), pages
	return p, nil
}

// pageOf reads the steps seqs of app, newest first, into a page.
func (s *Server) pageOf(app *store.App, seqs []int) (*appPage, error) {
	idx := app.Index
	p := &appPage{App: app, Status: idx.Status(), NumSteps: idx.NumSteps(), Page: 1, Pages: 1, OpenSeq: -1, Dir: s.store.Dir(), server: s}
	p.Usage = s.usageOf(idx.Usage()...)
	_, p.LastAction, _ = idx.Current()
	lg, err := s.store.Steps(app, seqs)
	if err != nil {
		return nil, err
	}
	steps := lg.Steps()
	p.Steps = pickSteps(steps, seqs)
	p.StepChildren = store.GroupChildren(app.Children, app.ChildRuns, p.Steps)
	if anns, _, err := s.store.Annotations(app.Project); err == nil {
		for _, a := range anns {
			if a.AppID == app.ID {
				if p.Annotations == nil {
					p.Annotations = map[int][]store.Annotation{}
				}
				p.Annotations[a.StepSequenceID] = append(p.Annotations[a.StepSequenceID], a)
			}
		}
	}
	for _, st := range p.Steps {
		if rec, err := s.store.Recorded(app, st.SequenceID); err == nil && rec != nil {
			if p.Recorded == nil {
				p.Recorded = map[int]*store.Recorded{}
			}
			p.Recorded[st.SequenceID] = rec
		}
	}
	if cur, _, ok := idx.Current(); ok && p.Status == store.StatusInterrupted {
		// The question is shown whichever page is shown.
		if pending := pickSteps(steps, []int{cur}); len(pending) == 1 {
			p.Pending = pending[0]
		} else if plg, err := s.store.Steps(app, []int{cur}); err == nil {
			if pending := pickSteps(plg.Steps(), []int{cur}); len(pending) == 1 {
				p.Pending = pending[0]
			}
		}
	}
	p.Errors = append(slices.Clone(idx.Errors()), lg.Errors()...)
	slices.SortFunc(p.Errors, func(a, b store.LineError) int { return a.Line - b.Line })
	p.NumErrors = idx.NumErrors() + len(lg.Errors())
	if app.Graph != nil {
		p.Graph = layoutGraph(app.Graph, p.LastAction)
	}
	for _, c := range app.Children {
		if c.EventType == "fork" {
			p.Forks = append(p.Forks, c)
		} else {
			p.Spawned = append(p.Spawned, c)
		}
	}
	return p, nil
}

// LoSeq is the lowest sequence id shown, HiSeq the highest.
func (p *appPage) LoSeq() int { return p.Steps[len(p.Steps)-1].SequenceID }

// HiSeq is the highest sequence id shown.
func (p *appPage) HiSeq() int { return p.Steps[0].SequenceID }

// pickSteps returns the steps of seqs, in the order of seqs.
func pickSteps(steps []*store.Step, seqs []int) []*store.Step {
	bySeq := make(map[int]*store.Step, len(steps))
	for _, st := range steps {
		bySeq[st.SequenceID] = st
	}
	out := make([]*store.Step, 0, len(seqs))
	for _, seq := range seqs {
		if st := bySeq[seq]; st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) handleApp(w http.ResponseWriter, r *http.Request) {
	app, err := s.store.App(r.PathValue("project"), r.PathValue("app"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A last line without a newline: shown (or reported) on the page,
	// while the live stream waits for it to be completed.
	app.Index.AddTail(app.Tail)
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	open := -1
	if seq, err := strconv.Atoi(q.Get("step")); err == nil {
		page, open = app.Index.PageOf(seq, stepsPerPage), seq
	}
	p, err := s.newAppPage(app, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.OpenSeq = open
	s.render(w, "app", p)
}
