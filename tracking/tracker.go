package tracking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/burrgo/burr"
)

// The file names Burr uses inside an application's directory.
const (
	LogFile      = "log.jsonl"
	GraphFile    = "graph.json"
	MetadataFile = "metadata.json"
	ChildrenFile = "children.jsonl"
)

// DefaultStorageDir is where trackers write unless WithStorageDir says
// otherwise; "~" is the user's home directory.
const DefaultStorageDir = "~/.burr"

// projectName is Burr's rule for project names.
var projectName = regexp.MustCompile(`^[a-zA-Z0-9_\-:]+$`)

// LocalTracker writes Burr's tracking files for every application it is
// registered with (burr.WithHooks(tracker)), in Burr's exact on-disk format,
// so that Burr's UI and ours can show Go and Python runs alike:
//
//	<storage dir>/<project>/<app id>/graph.json      the graph, written once
//	<storage dir>/<project>/<app id>/metadata.json   partition key and parent pointers, written once
//	<storage dir>/<project>/<app id>/log.jsonl       one line per step, span, attribute and stream event
//	<storage dir>/<project>/<parent id>/children.jsonl  one line per fork or spawned child
//
// Every event is one line, written with a single write call to a file opened
// for appending and not buffered, so that a reader (the UI) never sees half a
// line and a crash of the process loses nothing already logged.
//
// A LocalTracker is safe for concurrent use: one value may serve any number of
// applications running at once, and spans may be opened on several goroutines.
// It starts no goroutines.
//
// Tracking never fails a run. When the tracker cannot write (disk full,
// permission denied, directory removed), its hooks still return nil: the
// error is reported once, through the WithErrorHandler callback, one slog
// line and Err, and the tracker stops writing the application that failed.
//
// A LocalTracker is also a burr.Loader, reading states back from log.jsonl:
// see Load.
type LocalTracker struct {
	project  string
	rawDir   string // the storage dir as given, for Copy
	dir      string // <storage dir>/<project>, "~" expanded
	onError  func(error)
	logger   *slog.Logger
	maxOpen  int
	children *sync.Mutex // serialises children.jsonl appends; shared with copies

	mu   sync.Mutex // guards logs, tick
	logs map[string]*appLog
	tick uint64

	errMu sync.Mutex
	err   error
}

// appLog is one application's open log.jsonl and its line buffer.
type appLog struct {
	mu      sync.Mutex // guards everything below, and serialises writes
	f       *os.File
	buf     []byte
	dead    bool      // a write failed or the file was removed: drop lines
	checked time.Time // when checkRemoved last looked
	gone    bool      // evicted or closed: look the app up again
	lastUse uint64    // guarded by LocalTracker.mu
}

// Option configures a LocalTracker.
type Option func(*LocalTracker)

// WithStorageDir sets the directory under which project directories are
// created. A leading "~" is the user's home directory. The default is
// DefaultStorageDir.
func WithStorageDir(dir string) Option { return func(t *LocalTracker) { t.rawDir = dir } }

// WithErrorHandler sets a function called once, with the first error the
// tracker meets while writing. It is called on the goroutine of the hook that
// failed and must not block for long.
func WithErrorHandler(fn func(error)) Option { return func(t *LocalTracker) { t.onError = fn } }

// WithLogger sets the logger the first write error is logged to; the default
// is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(t *LocalTracker) { t.logger = l } }

// WithMaxOpenFiles bounds how many log files the tracker keeps open at once
// (default 256). A server running many applications closes the least
// recently used file beyond the bound and reopens it when that application
// writes again.
func WithMaxOpenFiles(n int) Option {
	return func(t *LocalTracker) {
		if n > 0 {
			t.maxOpen = n
		}
	}
}

// NewLocal returns a tracker writing under <storage dir>/<project>. The
// project name may hold letters, digits, "_", "-" and ":" (not ":" on
// Windows), as in Burr. No file or directory is created until an application
// is registered.
func NewLocal(project string, opts ...Option) (*LocalTracker, error) {
	if !projectName.MatchString(project) || (runtime.GOOS == "windows" && strings.Contains(project, ":")) {
		return nil, fmt.Errorf("tracking: invalid project name %q: use letters, digits, '_', '-' and ':'", project)
	}
	t := &LocalTracker{project: project, rawDir: DefaultStorageDir, maxOpen: 256, children: new(sync.Mutex)}
	for _, o := range opts {
		o(t)
	}
	root, err := expandHome(t.rawDir)
	if err != nil {
		return nil, fmt.Errorf("tracking: storage dir %q: %w", t.rawDir, err)
	}
	t.dir = filepath.Join(root, project)
	t.logs = make(map[string]*appLog)
	if t.logger == nil {
		t.logger = slog.Default()
	}
	return t, nil
}

func expandHome(dir string) (string, error) {
	if dir != "~" && !strings.HasPrefix(dir, "~/") && !strings.HasPrefix(dir, "~"+string(filepath.Separator)) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, dir[1:]), nil
}

// Project returns the project name.
func (t *LocalTracker) Project() string { return t.project }

// Dir returns the project directory, <storage dir>/<project>, which holds one
// directory per application.
func (t *LocalTracker) Dir() string { return t.dir }

// Copy returns a new tracker with the same project, storage directory and
// options, with no open files and no error: the tracker to give a child
// application.
func (t *LocalTracker) Copy() *LocalTracker {
	return &LocalTracker{project: t.project, rawDir: t.rawDir, dir: t.dir, onError: t.onError, logger: t.logger,
		maxOpen: t.maxOpen, children: t.children, logs: make(map[string]*appLog)}
}

// Err returns the first error the tracker met while writing, or nil.
func (t *LocalTracker) Err() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	return t.err
}

// Close closes the tracker's open files. The tracker stays usable: an
// application that logs again after Close has its file reopened.
func (t *LocalTracker) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for id, l := range t.logs {
		l.mu.Lock()
		if l.f != nil {
			if err := l.f.Close(); err != nil {
				errs = append(errs, err)
			}
			l.f = nil
		}
		l.gone = true
		l.mu.Unlock()
		delete(t.logs, id)
	}
	return errors.Join(errs...)
}

// report records the tracker's first error and tells the user about it once.
func (t *LocalTracker) report(err error) {
	t.errMu.Lock()
	first := t.err == nil
	if first {
		t.err = err
	}
	t.errMu.Unlock()
	if !first {
		return
	}
	t.logger.Error("burr tracking: cannot write tracking files; the run goes on untracked", "project", t.project, "err", err)
	if t.onError != nil {
		t.onError(err)
	}
}

// appDir returns the directory of an application.
func (t *LocalTracker) appDir(appID string) string { return filepath.Join(t.dir, appID) }

// lock returns the application's log, locked, opening the file if needed. It
// returns nil when the application's log is not writable; the error has then
// been reported.
func (t *LocalTracker) lock(appID string) *appLog {
	for {
		t.mu.Lock()
		l := t.logs[appID]
		if l == nil {
			l = t.openLocked(appID)
		}
		t.tick++
		l.lastUse = t.tick
		t.mu.Unlock()
		l.mu.Lock()
		if !l.gone {
			if l.dead {
				l.mu.Unlock()
				return nil
			}
			return l
		}
		l.mu.Unlock() // evicted or closed meanwhile: look again
	}
}

// openLocked opens log.jsonl of an application and registers it, closing the
// least recently used log when too many are open. t.mu is held.
func (t *LocalTracker) openLocked(appID string) *appLog {
	l := &appLog{buf: make([]byte, 0, 512)}
	if err := validAppID(appID); err != nil {
		l.dead = true
		t.report(err)
	} else if f, err := openLog(t.appDir(appID)); err != nil {
		l.dead = true
		t.report(err)
	} else {
		l.f = f
	}
	if len(t.logs) >= t.maxOpen {
		t.evictLocked()
	}
	t.logs[appID] = l
	return l
}

// evictLocked closes the least recently used log that is not busy. t.mu is
// held; a log's lock is only tried, never waited for.
func (t *LocalTracker) evictLocked() {
	var victimID string
	var victim *appLog
	for id, l := range t.logs {
		if victim == nil || l.lastUse < victim.lastUse {
			victimID, victim = id, l
		}
	}
	if victim == nil || !victim.mu.TryLock() {
		return
	}
	if victim.f != nil {
		_ = victim.f.Close()
		victim.f = nil
	}
	victim.gone = true
	victim.mu.Unlock()
	delete(t.logs, victimID)
}

// validAppID refuses app ids that would escape the project directory.
func validAppID(appID string) error {
	if appID == "" || appID == "." || appID == ".." || strings.ContainsAny(appID, `/\`) || strings.ContainsRune(appID, 0) {
		return fmt.Errorf("tracking: app id %q cannot be used as a directory name", appID)
	}
	return nil
}

func openLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	return f, nil
}

// flush writes the line(s) in l.buf with one write call, then unlocks l.
func (t *LocalTracker) flush(l *appLog) {
	_, err := l.f.Write(l.buf)
	if err != nil {
		l.dead = true
	}
	if cap(l.buf) > 1<<20 {
		l.buf = make([]byte, 0, 512) // do not keep a huge state's buffer forever
	}
	l.mu.Unlock()
	if err != nil {
		t.report(fmt.Errorf("tracking: %w", err))
	}
}

// removalCheckInterval is how often, at most, the tracker checks that an
// application's log file still exists: a stat costs about a sixth of a line's
// write, too much to pay on every step.
const removalCheckInterval = 100 * time.Millisecond

// checkRemoved stops writing an application whose log file was deleted (its
// directory removed mid-run): on most systems writes to a deleted file
// succeed and would be lost silently. It looks at the end of a step, at most
// once per removalCheckInterval. l is locked.
func (t *LocalTracker) checkRemoved(l *appLog, now time.Time) bool {
	if now.Sub(l.checked) < removalCheckInterval {
		return false
	}
	l.checked = now
	if !removed(l.f) {
		return false
	}
	l.dead = true
	t.report(fmt.Errorf("tracking: %s was removed while the application was running", l.f.Name()))
	return true
}

// PostApplicationCreate creates the application's directory and log.jsonl,
// writes graph.json and metadata.json unless they exist (a resumed
// application keeps its files), and appends a line to the children.jsonl of
// the fork parent and of the spawning parent. Unlike Burr, it writes a missing
// metadata.json and the children links for a resumed application too.
func (t *LocalTracker) PostApplicationCreate(ctx context.Context, e *burr.ApplicationCreated) error {
	l := t.lock(e.AppID)
	if l == nil {
		return nil
	}
	l.mu.Unlock()
	dir := t.appDir(e.AppID)
	if err := writeOnce(filepath.Join(dir, GraphFile), graphJSON(e.Graph, e.Entrypoint)); err != nil {
		t.report(err)
		return nil
	}
	if err := writeOnce(filepath.Join(dir, MetadataFile), metadataJSON(e.PartitionKey, e.Parent, e.SpawningParent)); err != nil {
		t.report(err)
		return nil
	}
	now := time.Now()
	if p := e.Parent; p != nil {
		t.appendChild(p.AppID, appendChildLine(nil, e.AppID, now, eventFork, p.SequenceID))
	}
	if p := e.SpawningParent; p != nil {
		t.appendChild(p.AppID, appendChildLine(nil, e.AppID, now, eventSpawnStart, p.SequenceID))
	}
	return nil
}

// writeOnce creates path with data unless it exists.
func writeOnce(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	return nil
}

// appendChild appends line to the parent's children.jsonl, holding a
// process-wide lock and an exclusive file lock, as Burr does, so that
// children in other processes do not interleave.
func (t *LocalTracker) appendChild(parentID string, line []byte) {
	if err := validAppID(parentID); err != nil {
		t.report(err)
		return
	}
	dir := t.appDir(parentID)
	t.children.Lock()
	defer t.children.Unlock()
	err := func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dir, ChildrenFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := lockFile(f); err != nil {
			return err
		}
		defer unlockFile(f)
		_, err = f.Write(line)
		return err
	}()
	if err != nil {
		t.report(fmt.Errorf("tracking: %w", err))
	}
}

// PreRunStep writes a begin_entry line with the inputs the action receives.
func (t *LocalTracker) PreRunStep(ctx context.Context, e *burr.StepStart) error {
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendBeginEntry(l.buf[:0], e)
		t.flush(l)
	}
	return nil
}

// PostRunStep writes an end_entry line: the result ({} for an action that
// returned none) and new state, or, for a failed step, a null result, the
// error's text and the state before the step.
func (t *LocalTracker) PostRunStep(ctx context.Context, e *burr.StepEnd) error {
	if l := t.lock(e.AppID); l != nil {
		if t.checkRemoved(l, e.Time) {
			l.mu.Unlock()
			return nil
		}
		l.buf = appendEndEntry(l.buf[:0], e)
		t.flush(l)
	}
	return nil
}

// PreStartSpan writes a begin_span line.
func (t *LocalTracker) PreStartSpan(ctx context.Context, s *burr.Span) error {
	if l := t.lock(s.AppID); l != nil {
		l.buf = appendBeginSpan(l.buf[:0], s)
		t.flush(l)
	}
	return nil
}

// PostEndSpan writes an end_span line.
func (t *LocalTracker) PostEndSpan(ctx context.Context, s *burr.Span) error {
	if l := t.lock(s.AppID); l != nil {
		l.buf = appendEndSpan(l.buf[:0], s)
		t.flush(l)
	}
	return nil
}

// DoLogAttributes writes one attribute line per attribute, in one write.
func (t *LocalTracker) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	if len(a.Attributes) == 0 {
		return nil
	}
	if l := t.lock(a.AppID); l != nil {
		l.buf = appendAttributes(l.buf[:0], a)
		t.flush(l)
	}
	return nil
}

// PreStartStream writes a begin_stream line.
func (t *LocalTracker) PreStartStream(ctx context.Context, e *burr.StreamStart) error {
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendBeginStream(l.buf[:0], e)
		t.flush(l)
	}
	return nil
}

// PostStreamItem writes a first_item_stream line for the first item of a
// stream and nothing for the others, so that it costs next to nothing per
// item.
func (t *LocalTracker) PostStreamItem(ctx context.Context, e *burr.StreamItem) error {
	if e.Index == 0 {
		t.firstItem(e)
	}
	return nil
}

func (t *LocalTracker) firstItem(e *burr.StreamItem) {
	first := e.FirstItemTime
	if first.IsZero() {
		first = time.Now()
	}
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendFirstItemStream(l.buf[:0], e.SequenceID, first)
		t.flush(l)
	}
}

// PostEndStream writes an end_stream line with the number of items streamed.
func (t *LocalTracker) PostEndStream(ctx context.Context, e *burr.StreamEnd) error {
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendEndStream(l.buf[:0], e)
		t.flush(l)
	}
	return nil
}

// The hooks the tracker implements.
var (
	_ burr.PostApplicationCreateHook = (*LocalTracker)(nil)
	_ burr.PreRunStepHook            = (*LocalTracker)(nil)
	_ burr.PostRunStepHook           = (*LocalTracker)(nil)
	_ burr.PreStartSpanHook          = (*LocalTracker)(nil)
	_ burr.PostEndSpanHook           = (*LocalTracker)(nil)
	_ burr.DoLogAttributesHook       = (*LocalTracker)(nil)
	_ burr.PreStartStreamHook        = (*LocalTracker)(nil)
	_ burr.PostStreamItemHook        = (*LocalTracker)(nil)
	_ burr.PostEndStreamHook         = (*LocalTracker)(nil)
	_ burr.Loader                    = (*LocalTracker)(nil)
)
