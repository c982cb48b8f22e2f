package tracking

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/internal/trackfile"
)

// The file names Burr uses inside an application's directory.
const (
	LogFile      = trackfile.LogFile
	GraphFile    = trackfile.GraphFile
	MetadataFile = trackfile.MetadataFile
	ChildrenFile = trackfile.ChildrenFile
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
// Every event is one line. An application's lines are gathered in a buffer
// and written, whole lines only, with one write call to a file opened for
// appending, so that a reader (the UI) never sees half a line and writers of
// the same file never interleave inside a line. The buffer is written when
// a call of the application (Step, Run, Iterate, a stream) ends, at the
// first step of a call, when it passes 64 KiB, at a step or span boundary
// 5 ms or more after its last write, at a stream's start, first item and
// end, and when the log is closed (Close). So a clean Close loses nothing,
// and a process killed mid-run loses at most the buffered lines of the call
// in progress (64 KiB and one event's lines at most), never a line of a
// call that returned; see the package documentation. A line that could
// only be written in part (disk full, a kill during the write) is taken
// back or ended with a newline before anything is appended to the log, so
// that every line written starts on a line of its own. graph.json and
// metadata.json appear whole or not at all.
//
// A LocalTracker is safe for concurrent use: one value may serve any number of
// applications running at once, and spans may be opened on several goroutines.
// It starts no goroutines.
//
// Tracking never fails a run. When the tracker cannot write (disk full,
// permission denied, directory removed), its hooks still return nil: the
// error is reported once, through the WithErrorHandler callback, one slog
// line and Err, and the tracker stops writing the application that failed.
// A value that has no JSON encoding is written as its fmt.Sprint text, as
// Burr writes str(value); one that has no text either, because it contains
// itself (a map or slice holding itself), is written as a placeholder
// naming its type, "<map[string]interface {} that contains itself>", and
// the first such value is reported the same way, the application going on
// being tracked.
//
// A LocalTracker is also a burr.Loader, reading states back from log.jsonl:
// see Load.
type LocalTracker struct {
	project string
	rawDir  string // the storage dir as given, for Copy
	dir     string // <storage dir>/<project>, "~" expanded
	onError func(error)
	logger  *slog.Logger
	maxOpen int
	// streamItems records streamed items in stream_items.jsonl.
	streamItems bool
	children    *sync.Mutex // serialises children.jsonl appends; shared with copies

	mu   sync.Mutex // guards logs, tick, open, deferred
	logs map[string]*appLog
	tick uint64
	open int // logs in the map with an open file; at most maxOpen
	// deferred holds what writing the buffers of evicted logs met, to be
	// reported once mu is released.
	deferred []flushResult

	errMu                        sync.Mutex
	err                          error
	writeReported, valueReported bool
}

// appLog is one application's open log.jsonl and its line buffer.
//
// Locks are taken in the order LocalTracker.mu, then appLog.mu; nothing
// that holds an appLog.mu waits for LocalTracker.mu, and the error handler
// is never called with either held, so it may call back into the tracker.
type appLog struct {
	mu      sync.Mutex // guards everything below, and serialises writes
	f       *os.File   // changed only with LocalTracker.mu held too
	buf     []byte
	bad     error     // a value of the line(s) in buf written as a placeholder
	dead    bool      // a write failed or the file was removed: drop lines
	checked time.Time // when checkRemoved last looked
	flushed time.Time // the step or span time of the last write by release
	gone    bool      // evicted or closed: look the app up again
	lastUse uint64    // guarded by LocalTracker.mu

	// waiting counts the goroutines that found this log in the map and
	// are about to lock it: eviction leaves such a log alone while it can.
	waiting atomic.Int32
}

// Option configures a LocalTracker.
type Option func(*LocalTracker)

// WithStorageDir sets the directory under which project directories are
// created. A leading "~" is the user's home directory. The default is
// DefaultStorageDir.
func WithStorageDir(dir string) Option { return func(t *LocalTracker) { t.rawDir = dir } }

// WithErrorHandler sets a function called with the first error the tracker
// meets while writing, and with the first value it writes as a placeholder
// (see LocalTracker): at most twice. It is called on the goroutine of the
// hook that failed, with none of the tracker's locks held (it may call the
// tracker, for example Close), and must not block for long.
func WithErrorHandler(fn func(error)) Option { return func(t *LocalTracker) { t.onError = fn } }

// WithLogger sets the logger the first write error and the first value
// written as a placeholder are logged to; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(t *LocalTracker) { t.logger = l } }

// WithMaxOpenFiles bounds how many log files the tracker keeps open at once
// (default 256), however many applications write at the same time. A server
// running many applications closes the least recently used files beyond the
// bound and reopens a file when its application writes again.
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
	root, err := homedir.Expand(t.rawDir)
	if err != nil {
		return nil, fmt.Errorf("tracking: storage dir: %w", err)
	}
	t.dir = filepath.Join(root, project)
	t.logs = make(map[string]*appLog)
	if t.logger == nil {
		t.logger = slog.Default()
	}
	return t, nil
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
		maxOpen: t.maxOpen, children: t.children, logs: make(map[string]*appLog), streamItems: t.streamItems}
}

// ForChild returns the tracker itself: one LocalTracker serves any number of
// applications at once, so the child applications an application runs
// (burr.RunChild and the parallel actions) write through the same tracker,
// within its bound on open files. It makes the tracker burr.Inheritable.
func (t *LocalTracker) ForChild() any { return t }

// Err returns the first error the tracker met while writing, or the first
// value it wrote as a placeholder, or nil.
func (t *LocalTracker) Err() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	return t.err
}

// Close writes the lines the tracker holds in its buffers and closes its
// open files; a write error is reported as any other (see LocalTracker) and
// returned. The tracker stays usable: an application that logs again after
// Close has its file reopened.
func (t *LocalTracker) Close() error {
	t.mu.Lock()
	var errs []error
	results := t.deferred
	t.deferred = nil
	for id, l := range t.logs {
		l.mu.Lock()
		if l.f != nil {
			r := l.write()
			results = append(results, r)
			if r.err != nil {
				errs = append(errs, r.err)
			}
			if err := l.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("tracking: %w", err))
			}
			l.f = nil
		}
		l.gone = true
		l.mu.Unlock()
		delete(t.logs, id)
	}
	t.open = 0
	t.mu.Unlock()
	t.reportResults(results) // no lock held: the handler may call the tracker
	return errors.Join(errs...)
}

// report records a write error and tells the user about the first one.
func (t *LocalTracker) report(err error) {
	if t.record(err, &t.writeReported) {
		t.logger.Error("burr tracking: cannot write tracking files; the run goes on untracked", "project", t.project, "err", err)
		if t.onError != nil {
			t.onError(err)
		}
	}
}

// reportValue records a value written as a placeholder and tells the user
// about the first one.
func (t *LocalTracker) reportValue(err error) {
	if t.record(err, &t.valueReported) {
		t.logger.Warn("burr tracking: a value cannot be written; the log holds a placeholder", "project", t.project, "err", err)
		if t.onError != nil {
			t.onError(err)
		}
	}
}

// record keeps the tracker's first error, and reports whether err is the
// first of its sort (reported tells).
func (t *LocalTracker) record(err error, reported *bool) bool {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	if t.err == nil {
		t.err = err
	}
	first := !*reported
	*reported = true
	return first
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
		var err error
		if l == nil {
			l, err = t.openLocked(appID)
		}
		t.tick++
		l.lastUse = t.tick
		l.waiting.Add(1)
		deferred := t.deferred
		t.deferred = nil
		t.mu.Unlock()
		t.reportResults(deferred) // no lock held: the handler may call the tracker
		if err != nil {
			t.report(err)
		}
		l.mu.Lock()
		l.waiting.Add(-1)
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

// openLocked opens log.jsonl of an application and registers it, first
// closing the least recently used logs when too many are open. A log that
// cannot be opened is registered dead and the error returned, to be
// reported once t.mu is released. t.mu is held.
func (t *LocalTracker) openLocked(appID string) (*appLog, error) {
	l := &appLog{buf: make([]byte, 0, 512)}
	t.logs[appID] = l
	if err := validAppID(appID); err != nil {
		l.dead = true
		return l, err
	}
	t.evictLocked()
	f, err := openLog(t.appDir(appID))
	if err != nil {
		l.dead = true
		return l, err
	}
	l.f = f
	t.open++
	return l, nil
}

// evictLocked closes open logs, least recently used first, until fewer
// than maxOpen are open. It first closes only logs that are idle (not
// being written, nor about to be); when all of them are busy it waits for
// the least recently used one to be free, which is short: no one holds a
// log's lock for longer than it takes to write a line. t.mu is held.
func (t *LocalTracker) evictLocked() {
	if t.open < t.maxOpen {
		return
	}
	type candidate struct {
		id string
		l  *appLog
	}
	var open []candidate
	for id, l := range t.logs {
		if l.f != nil {
			open = append(open, candidate{id, l})
		}
	}
	slices.SortFunc(open, func(a, b candidate) int { return cmp.Compare(a.l.lastUse, b.l.lastUse) })
	for _, c := range open {
		if t.open < t.maxOpen {
			return
		}
		if c.l.waiting.Load() == 0 && c.l.mu.TryLock() {
			t.closeLocked(c.id, c.l)
			c.l.mu.Unlock()
		}
	}
	for _, c := range open {
		if t.open < t.maxOpen {
			return
		}
		if c.l.f == nil {
			continue // closed by the first pass
		}
		c.l.mu.Lock() // lock order: t.mu, then a log's mu
		t.closeLocked(c.id, c.l)
		c.l.mu.Unlock()
	}
}

// closeLocked closes the file of a log and forgets the log, so that the
// application's next event opens the file again. A dead log stays
// registered, without its file, so that the application stays untracked.
// t.mu and l.mu are held.
func (t *LocalTracker) closeLocked(id string, l *appLog) {
	if l.f != nil {
		if r := l.write(); r.met() {
			t.deferred = append(t.deferred, r)
		}
		_ = l.f.Close()
		l.f = nil
		t.open--
	}
	if l.dead {
		return
	}
	l.gone = true
	delete(t.logs, id)
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
	// Read-write, so that a failed write can be checked and taken back.
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	if err := endLine(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("tracking: %w", err)
	}
	return f, nil
}

// endLine ends the last line of a log that does not end with a newline (a
// process crashed in the middle of a line, or the disk filled up), so that
// the lines appended next each start on a line of their own. Readers skip
// the broken line; Load ignores it.
func endLine(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

// flushResult is what writing a log's buffer met: a write error and a value
// written as a placeholder, to be reported with no lock held.
type flushResult struct{ err, bad error }

func (r flushResult) met() bool { return r.err != nil || r.bad != nil }

// write writes the lines in l.buf with one write call and empties it. l is
// locked and its file open.
func (l *appLog) write() flushResult {
	var r flushResult
	if l.bad != nil {
		r.bad = fmt.Errorf("tracking: %s: %w", l.f.Name(), l.bad)
		l.bad = nil
	}
	if len(l.buf) == 0 || l.dead {
		l.buf = l.buf[:0]
		return r
	}
	l.buf = jsonx.ToPydantic(l.buf) // pydantic's float style; a no-op for most lines
	n, err := l.f.Write(l.buf)
	if err != nil {
		l.dead = true
		if n > 0 {
			takeBack(l.f, l.buf[:n])
		}
		r.err = fmt.Errorf("tracking: %w", err)
	}
	if cap(l.buf) > 1<<20 {
		l.buf = make([]byte, 0, 512) // do not keep a huge state's buffer forever
	} else {
		l.buf = l.buf[:0]
	}
	return r
}

// reportResults reports what writing buffers met. No lock is held.
func (t *LocalTracker) reportResults(rs []flushResult) {
	for _, r := range rs {
		if r.bad != nil {
			t.reportValue(r.bad)
		}
		if r.err != nil {
			t.report(r.err)
		}
	}
}

// flush writes the lines in l.buf with one write call, then unlocks l and
// reports what the write met.
func (t *LocalTracker) flush(l *appLog) {
	r := l.write()
	l.mu.Unlock()
	if r.met() {
		t.reportResults([]flushResult{r})
	}
}

// When the lines of a log are written; see the package documentation.
const (
	// flushBytes is the size past which a log's buffer is written at once.
	flushBytes = 64 << 10
	// flushInterval is how long after the last write a step's start or
	// end, or a span's, writes the buffer, so that a reader following a
	// long run sees its lines this late at most, as long as steps go on.
	flushInterval = 5 * time.Millisecond
)

// release writes l's buffer if it passed flushBytes or if now (the time of
// the event just added; zero for none) is flushInterval or more after the
// last such write, then unlocks l.
func (t *LocalTracker) release(l *appLog, now time.Time) {
	if len(l.buf) >= flushBytes || (!now.IsZero() && now.Sub(l.flushed) >= flushInterval) {
		if !now.IsZero() {
			l.flushed = now
		}
		t.flush(l)
		return
	}
	l.mu.Unlock()
}

// flushApp writes what an application's log holds in its buffer, if the
// log is open.
func (t *LocalTracker) flushApp(appID string) {
	t.mu.Lock()
	l := t.logs[appID]
	if l == nil {
		t.mu.Unlock()
		return
	}
	l.waiting.Add(1)
	t.mu.Unlock()
	l.mu.Lock()
	l.waiting.Add(-1)
	if l.gone || l.f == nil {
		l.mu.Unlock() // closed meanwhile, its buffer written
		return
	}
	l.flushed = time.Time{} // the next call's first line is written at once
	t.flush(l)
}

// PostRunExecuteCall writes the lines the application's call left in its
// buffer: when Step, Run, Iterate or a stream ends, its log is complete.
func (t *LocalTracker) PostRunExecuteCall(ctx context.Context, e *burr.ExecuteCall) error {
	t.flushApp(e.AppID)
	return nil
}

// takeBack removes the part of a line a failed write left at the end of the
// file (written is what the write managed to write), so that the next line
// any writer appends does not continue it. The partial line is cut only if
// it is still the end of the file; otherwise, or if the file cannot be
// truncated, a newline ends it.
func takeBack(f *os.File, written []byte) {
	partial := written[bytes.LastIndexByte(written, '\n')+1:]
	if len(partial) == 0 {
		return // whole lines only
	}
	if fi, err := f.Stat(); err == nil {
		start := fi.Size() - int64(len(partial))
		end := make([]byte, len(partial))
		if start >= 0 {
			if _, err := f.ReadAt(end, start); err == nil && bytes.Equal(end, partial) && f.Truncate(start) == nil {
				return
			}
		}
	}
	_, _ = f.Write([]byte{'\n'})
}

// removalCheckInterval is how often, at most, the tracker checks that an
// application's log file still exists: a stat costs about a sixth of a line's
// write, too much to pay on every step.
const removalCheckInterval = 100 * time.Millisecond

// checkRemoved stops writing an application whose log file was deleted (its
// directory removed mid-run): on most systems writes to a deleted file
// succeed and would be lost silently. It looks at the end of a step, at most
// once per removalCheckInterval. l is locked; the error it returns is to be
// reported once l is unlocked.
func (t *LocalTracker) checkRemoved(l *appLog, now time.Time) error {
	if now.Sub(l.checked) < removalCheckInterval {
		return nil
	}
	l.checked = now
	if !removed(l.f) {
		return nil
	}
	l.dead = true
	return fmt.Errorf("tracking: %s was removed while the application was running", l.f.Name())
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

// writeOnce creates path with data unless it exists. The data is written
// to a temporary file in the same directory first, which is then linked to
// path: a reader sees either no file or the whole of it, never an empty or
// half-written one, and an existing file is never replaced. On a file
// system without hard links the file is created in place.
func writeOnce(path string, data []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	dir, name := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil, errors.Is(err, os.ErrExist):
		return nil
	case errors.Is(err, errors.ErrUnsupported), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EOPNOTSUPP):
		return writeInPlace(path, data)
	}
	return fmt.Errorf("tracking: %w", err)
}

// writeInPlace creates path with data unless it exists, for file systems
// without hard links.
func writeInPlace(path string, data []byte) error {
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
		os.Remove(path) // do not leave a partial file behind
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
		l.buf = appendBeginEntry(l.buf, e, &l.bad)
		t.release(l, e.Time)
	}
	return nil
}

// PostRunStep writes an end_entry line: the result ({} for an action that
// returned none) and new state, or, for a failed step, a null result, the
// error's text and the state before the step.
func (t *LocalTracker) PostRunStep(ctx context.Context, e *burr.StepEnd) error {
	if l := t.lock(e.AppID); l != nil {
		if err := t.checkRemoved(l, e.Time); err != nil {
			l.buf = l.buf[:0]
			l.mu.Unlock()
			t.report(err)
			return nil
		}
		l.buf = appendEndEntry(l.buf, e, &l.bad)
		t.release(l, e.Time)
	}
	return nil
}

// PreStartSpan writes a begin_span line.
func (t *LocalTracker) PreStartSpan(ctx context.Context, s *burr.Span) error {
	if l := t.lock(s.AppID); l != nil {
		l.buf = appendBeginSpan(l.buf, s)
		t.release(l, s.StartTime)
	}
	return nil
}

// PostEndSpan writes an end_span line.
func (t *LocalTracker) PostEndSpan(ctx context.Context, s *burr.Span) error {
	if l := t.lock(s.AppID); l != nil {
		l.buf = appendEndSpan(l.buf, s)
		t.release(l, s.EndTime)
	}
	return nil
}

// DoLogAttributes writes one attribute line per attribute, in one write.
func (t *LocalTracker) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	if len(a.Attributes) == 0 {
		return nil
	}
	if l := t.lock(a.AppID); l != nil {
		l.buf = appendAttributes(l.buf, a, &l.bad)
		t.release(l, time.Time{})
	}
	return nil
}

// PreStartStream writes a begin_stream line.
func (t *LocalTracker) PreStartStream(ctx context.Context, e *burr.StreamStart) error {
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendBeginStream(l.buf, e)
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
	if t.streamItems {
		t.writeItem(e)
	}
	return nil
}

func (t *LocalTracker) firstItem(e *burr.StreamItem) {
	first := e.FirstItemTime
	if first.IsZero() {
		first = time.Now()
	}
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendFirstItemStream(l.buf, e.SequenceID, first)
		t.flush(l)
	}
}

// PostEndStream writes an end_stream line with the number of items streamed.
func (t *LocalTracker) PostEndStream(ctx context.Context, e *burr.StreamEnd) error {
	if l := t.lock(e.AppID); l != nil {
		l.buf = appendEndStream(l.buf, e)
		t.flush(l)
	}
	if t.streamItems {
		t.writeStreamEnd(e)
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
	_ burr.PostRunExecuteCallHook    = (*LocalTracker)(nil)
	_ burr.Loader                    = (*LocalTracker)(nil)
)
