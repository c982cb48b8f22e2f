// Package pgtrack is a tracker that writes Burr's tracking records to
// PostgreSQL, so that a fleet of servers (for example several chat servers
// sharing one database for persistence) has a single store of its runs.
//
// # Table
//
// One row per line of Burr's tracking files (docs/tracking-format.md):
//
//	line           BIGINT identity, primary key: the order of the lines
//	project        TEXT
//	app_id         TEXT
//	partition_key  TEXT ('' for none)
//	kind           TEXT: log, children, graph or metadata (the file)
//	sequence_id    INTEGER: the step the line belongs to (-1 for graph
//	               and metadata; the parent's step for a children line)
//	data           BYTEA: the line (or the whole graph.json and
//	               metadata.json) exactly as tracking.LocalTracker writes it
//	written_at     TIMESTAMPTZ
//
// The line numbers increase within every application in the order the
// tracker wrote its lines (they are numbered by one sequence for the whole
// table, so they are not dense). An application's files are its rows of
// each kind in line order, concatenated (log lines by sequence id first:
// when one conversation's turns are answered by several servers, the
// tracker of one may write its lines after the next server wrote the
// next turn's): "burr export" writes them back as files, byte for byte
// what the file tracker would have written. A
// children line belongs to the parent application. graph and metadata rows
// are written once per application, as the file tracker writes those files
// once.
//
// # Never in the way of a run
//
// Hooks encode their line (with the file tracker's encoders) and put it in
// a bounded queue; one goroutine writes the queue in batches, one
// statement per batch. A step therefore never waits for the network.
// When the queue is full (the database is down or slower than the runs),
// the default is to drop the line and report it: the runs go on at full
// speed, and [Tracker.Dropped] counts what the store misses. [WithBlockWhenFull]
// makes hooks wait for room instead, which keeps every line but lets a
// slow database slow the runs down.
//
// A batch that fails because the connection broke (PostgreSQL restarted,
// its connections terminated) is retried with a growing pause until it is
// written; the pool opens new connections. A batch the server refuses
// (a line it cannot store) is written line by line, and the lines it
// refuses are dropped. Every such failure is reported once, through the
// [WithErrorHandler] callback, one slog line and [Tracker.Err], and the
// hooks always return nil: tracking never fails a run. [Tracker.Close]
// writes what is queued, waiting at most [WithCloseTimeout]. A batch whose
// connection broke after the server committed it, before the answer came
// back, is written twice: the store may then hold a batch of lines twice,
// which a reader sees as repeated log lines.
package pgtrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/tracking/internal/lines"
)

// projectName is Burr's rule for project names, as tracking.NewLocal applies it.
var projectName = regexp.MustCompile(`^[a-zA-Z0-9_\-:]+$`)

// ErrClosed is reported for lines logged after Close.
var ErrClosed = errors.New("pgtrack: tracker closed")

// Tracker writes the tracking records of every application it is registered
// with (burr.WithHooks(tracker)) to a PostgreSQL table; see the package
// documentation. It is safe for concurrent use, and one value may serve any
// number of applications at once, their children included (ForChild).
type Tracker struct {
	project string
	pool    *pgxpool.Pool
	ownPool bool
	table   string
	insert  string

	queue        chan row
	block        bool
	batch        int
	closeTimeout time.Duration
	retryMax     time.Duration
	onError      func(error)
	logger       *slog.Logger

	bufs    sync.Pool // *[]byte scratch buffers for encoding
	dropped atomic.Int64
	closing chan struct{} // closed first by Close: blocked hooks give up
	sealed  chan struct{} // closed once no hook can queue any more: the writer drains
	done    chan struct{} // closed when the writer has returned
	once    sync.Once
	closeMu sync.RWMutex // held for reading while a hook queues; Close takes it to stop them
	closed  bool

	errMu    sync.Mutex
	err      error
	reported map[string]bool // the sorts of error already reported
}

// row is one queued line, or (flush != nil) a marker that Flush waits for.
type row struct {
	appID, partitionKey, kind string
	seq                       int // the step's sequence id; -1 for graph and metadata
	data                      []byte
	flush                     chan struct{}
}

// Option configures a Tracker.
type Option func(*Tracker)

// WithTable writes to the named table instead of DefaultTable (a plain SQL
// identifier).
func WithTable(name string) Option { return func(t *Tracker) { t.table = name } }

// WithQueueSize bounds the lines waiting to be written (default 65,536).
func WithQueueSize(n int) Option {
	return func(t *Tracker) {
		if n > 0 {
			t.queue = make(chan row, n)
		}
	}
}

// WithBatchSize bounds the lines written by one statement (default 1,000).
func WithBatchSize(n int) Option {
	return func(t *Tracker) {
		if n > 0 {
			t.batch = n
		}
	}
}

// WithBlockWhenFull makes a hook wait for room when the queue is full,
// instead of dropping its line: nothing is lost while the database comes
// back, but the runs wait for it.
func WithBlockWhenFull() Option { return func(t *Tracker) { t.block = true } }

// WithCloseTimeout bounds how long Close waits for the queued lines to be
// written (default 10 s); what is left then is dropped and reported.
func WithCloseTimeout(d time.Duration) Option { return func(t *Tracker) { t.closeTimeout = d } }

// WithErrorHandler sets a function called with the first error of each
// sort the tracker meets: a batch that could not be written, a line
// dropped, a value written as a placeholder. It is called on the writer's
// goroutine or the hook's, with no lock held, and must not block for long.
func WithErrorHandler(fn func(error)) Option { return func(t *Tracker) { t.onError = fn } }

// WithLogger sets the logger for the reports (default slog.Default()); it
// also says when writing works again after a failure.
func WithLogger(l *slog.Logger) Option { return func(t *Tracker) { t.logger = l } }

// New returns a Tracker for project that writes through pool, which stays
// the caller's (Close leaves it open). It does no I/O: create the table
// first with [Initialize] (Open does).
func New(pool *pgxpool.Pool, project string, opts ...Option) (*Tracker, error) {
	if !projectName.MatchString(project) {
		return nil, fmt.Errorf("pgtrack: invalid project name %q: use letters, digits, '_', '-' and ':'", project)
	}
	if pool == nil {
		return nil, errors.New("pgtrack: nil pool")
	}
	t := &Tracker{project: project, pool: pool, table: DefaultTable, batch: 1000,
		closeTimeout: 10 * time.Second, retryMax: 2 * time.Second,
		closing: make(chan struct{}), sealed: make(chan struct{}), done: make(chan struct{}), reported: map[string]bool{}}
	for _, o := range opts {
		o(t)
	}
	table, err := checkTable(t.table)
	if err != nil {
		return nil, err
	}
	t.table, t.insert = table, insertSQL(table)
	if t.queue == nil {
		t.queue = make(chan row, 1<<16)
	}
	if t.logger == nil {
		t.logger = slog.Default()
	}
	t.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	go t.write()
	return t, nil
}

// Open connects to the database at dsn with a pool of its own, which Close
// closes, creates the table when missing, and returns a Tracker for project.
func Open(ctx context.Context, dsn, project string, opts ...Option) (*Tracker, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgtrack: connecting: %w", err)
	}
	t, err := New(pool, project, opts...)
	if err != nil {
		pool.Close()
		return nil, err
	}
	t.ownPool = true
	if err := Initialize(ctx, pool, t.table); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Project returns the project name.
func (t *Tracker) Project() string { return t.project }

// Table returns the table the tracker writes to.
func (t *Tracker) Table() string { return t.table }

// ForChild returns the tracker itself, so that child applications write
// through it (burr.Inheritable).
func (t *Tracker) ForChild() any { return t }

// Dropped returns how many lines the tracker could not write: dropped
// because the queue was full, refused by the server, or left when Close
// timed out.
func (t *Tracker) Dropped() int64 { return t.dropped.Load() }

// Err returns the first error the tracker met, or nil.
func (t *Tracker) Err() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	return t.err
}

// report records err and, the first time an error of its sort comes,
// logs it and calls the error handler.
func (t *Tracker) report(sort string, err error) {
	t.errMu.Lock()
	if t.err == nil {
		t.err = err
	}
	first := !t.reported[sort]
	t.reported[sort] = true
	t.errMu.Unlock()
	if !first {
		return
	}
	t.logger.Error("burr tracking: "+sort+"; the run goes on", "project", t.project, "table", t.table, "err", err)
	if t.onError != nil {
		t.onError(err)
	}
}

// Flush waits until every line queued before the call is written (or
// given up), or ctx ends.
func (t *Tracker) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	t.closeMu.RLock()
	if t.closed {
		t.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case t.queue <- row{flush: ch}:
	case <-ctx.Done():
		t.closeMu.RUnlock()
		return ctx.Err()
	}
	t.closeMu.RUnlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the hooks from queueing, writes what is queued (waiting at
// most the close timeout) and closes the pool when Open made it. It returns
// an error when lines were dropped; it is idempotent.
func (t *Tracker) Close() error {
	t.once.Do(func() {
		close(t.closing)
		t.closeMu.Lock()
		t.closed = true
		t.closeMu.Unlock()
		close(t.sealed)
		<-t.done
		if t.ownPool {
			t.pool.Close()
		}
	})
	if n := t.dropped.Load(); n > 0 {
		return fmt.Errorf("pgtrack: %d lines could not be written to table %q: %w", n, t.table, t.Err())
	}
	return nil
}

// enqueue queues a copy of data (a line the caller encoded into a scratch
// buffer) unless the tracker is closed, dropping it when the queue is
// full unless WithBlockWhenFull was given.
func (t *Tracker) enqueue(ref burr.StepRef, kind string, data []byte) {
	appID := ref.AppID
	r := row{appID: appID, partitionKey: ref.PartitionKey, kind: kind, seq: ref.SequenceID, data: append([]byte(nil), data...)}
	t.closeMu.RLock()
	if t.closed {
		t.closeMu.RUnlock()
		t.dropped.Add(1)
		t.report("line logged after Close", fmt.Errorf("%w: app %q", ErrClosed, appID))
		return
	}
	if t.block {
		select {
		case t.queue <- r:
			t.closeMu.RUnlock()
		case <-t.closing:
			t.closeMu.RUnlock()
			t.dropped.Add(1)
			t.report("line logged after Close", fmt.Errorf("%w: app %q", ErrClosed, appID))
		}
		return
	}
	select {
	case t.queue <- r:
		t.closeMu.RUnlock()
	default:
		t.closeMu.RUnlock()
		t.dropped.Add(1)
		t.report("tracking queue full, lines dropped",
			fmt.Errorf("pgtrack: the queue of %d lines is full (the database is down or slower than the runs): a line of app %q was dropped", cap(t.queue), appID))
	}
}

// encode runs fn on a scratch buffer, rewrites floats in pydantic's style as
// the file tracker does, queues the result and reports a placeholder value.
func (t *Tracker) encode(ref burr.StepRef, kind string, fn func(buf []byte, bad *error) []byte) {
	appID := ref.AppID
	bp := t.bufs.Get().(*[]byte)
	var bad error
	buf := fn((*bp)[:0], &bad)
	if kind == KindLog || kind == KindChildren {
		buf = jsonx.ToPydantic(buf)
	}
	t.enqueue(ref, kind, buf)
	if cap(buf) <= 1<<20 {
		*bp = buf
		t.bufs.Put(bp)
	}
	if bad != nil {
		t.report("a value cannot be written; the log holds a placeholder", fmt.Errorf("pgtrack: app %q: %w", appID, bad))
	}
}

// PostApplicationCreate queues graph.json and metadata.json (kept only if
// the application has none yet) and the line of the fork parent's and the
// spawning parent's children.jsonl.
func (t *Tracker) PostApplicationCreate(ctx context.Context, e *burr.ApplicationCreated) error {
	app := e.At(-1)
	t.enqueue(app, KindGraph, lines.GraphJSON(e.Graph, e.Entrypoint))
	t.enqueue(app, KindMetadata, lines.MetadataJSON(e.PartitionKey, e.Parent, e.SpawningParent))
	now := time.Now()
	if p := e.Parent; p != nil {
		t.encode(*p, KindChildren, func(b []byte, _ *error) []byte {
			return lines.AppendChildLine(b, e.AppID, now, lines.EventFork, p.SequenceID)
		})
	}
	if p := e.SpawningParent; p != nil {
		t.encode(*p, KindChildren, func(b []byte, _ *error) []byte {
			return lines.AppendChildLine(b, e.AppID, now, lines.EventSpawnStart, p.SequenceID)
		})
	}
	return nil
}

// PreRunStep queues a begin_entry line.
func (t *Tracker) PreRunStep(ctx context.Context, e *burr.StepStart) error {
	t.encode(e.StepRef, KindLog, func(b []byte, bad *error) []byte { return lines.AppendBeginEntry(b, e, bad) })
	return nil
}

// PostRunStep queues an end_entry line.
func (t *Tracker) PostRunStep(ctx context.Context, e *burr.StepEnd) error {
	t.encode(e.StepRef, KindLog, func(b []byte, bad *error) []byte { return lines.AppendEndEntry(b, e, bad) })
	return nil
}

// PreStartSpan queues a begin_span line.
func (t *Tracker) PreStartSpan(ctx context.Context, s *burr.Span) error {
	t.encode(s.StepRef, KindLog, func(b []byte, _ *error) []byte { return lines.AppendBeginSpan(b, s) })
	return nil
}

// PostEndSpan queues an end_span line.
func (t *Tracker) PostEndSpan(ctx context.Context, s *burr.Span) error {
	t.encode(s.StepRef, KindLog, func(b []byte, _ *error) []byte { return lines.AppendEndSpan(b, s) })
	return nil
}

// DoLogAttributes queues one attribute line per attribute, as one row.
func (t *Tracker) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	if len(a.Attributes) > 0 {
		t.encode(a.StepRef, KindLog, func(b []byte, bad *error) []byte { return lines.AppendAttributes(b, a, bad) })
	}
	return nil
}

// PreStartStream queues a begin_stream line.
func (t *Tracker) PreStartStream(ctx context.Context, e *burr.StreamStart) error {
	t.encode(e.StepRef, KindLog, func(b []byte, _ *error) []byte { return lines.AppendBeginStream(b, e) })
	return nil
}

// PostStreamItem queues a first_item_stream line for the first item of a
// stream and nothing for the others.
func (t *Tracker) PostStreamItem(ctx context.Context, e *burr.StreamItem) error {
	if e.Index != 0 {
		return nil
	}
	first := e.FirstItemTime
	if first.IsZero() {
		first = time.Now()
	}
	t.encode(e.StepRef, KindLog, func(b []byte, _ *error) []byte {
		return lines.AppendFirstItemStream(b, e.SequenceID, first)
	})
	return nil
}

// PostEndStream queues an end_stream line.
func (t *Tracker) PostEndStream(ctx context.Context, e *burr.StreamEnd) error {
	t.encode(e.StepRef, KindLog, func(b []byte, _ *error) []byte { return lines.AppendEndStream(b, e) })
	return nil
}

// The hooks the tracker implements.
var (
	_ burr.PostApplicationCreateHook = (*Tracker)(nil)
	_ burr.PreRunStepHook            = (*Tracker)(nil)
	_ burr.PostRunStepHook           = (*Tracker)(nil)
	_ burr.PreStartSpanHook          = (*Tracker)(nil)
	_ burr.PostEndSpanHook           = (*Tracker)(nil)
	_ burr.DoLogAttributesHook       = (*Tracker)(nil)
	_ burr.PreStartStreamHook        = (*Tracker)(nil)
	_ burr.PostStreamItemHook        = (*Tracker)(nil)
	_ burr.PostEndStreamHook         = (*Tracker)(nil)
	_ burr.Inheritable               = (*Tracker)(nil)
)

// isServerError reports whether err is the server refusing the statement
// (a line it cannot store), as opposed to the connection failing.
func isServerError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	// Connection exceptions, operator intervention (a shutdown, a
	// terminated backend) and insufficient resources pass: retried.
	class := pe.Code[:2]
	return class != "08" && class != "57" && class != "53"
}
