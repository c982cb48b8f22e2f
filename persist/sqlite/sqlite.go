// Package sqlite is a [burr.Persister] on an embedded SQLite database (pure Go,
// no cgo), in Python Burr's exact format: the same table, the same columns
// and index, the state column written byte for byte as Python's json.dumps
// writes it, and created_at as SQLite's CURRENT_TIMESTAMP ("YYYY-MM-DD
// HH:MM:SS", UTC). A database either implementation wrote can be opened by
// the other.
//
// Each save is one INSERT in its own transaction, synced to disk before Save
// returns (SyncFull, the default) or at checkpoints (SyncNormal, see
// WithSynchronous). A second writer of a sequence id gets
// [burr.ErrConflict]: the INSERT stores nothing when a record of the same
// partition key, app id and sequence id exists, whatever its position.
//
// One Persister is meant to be shared by all the applications of a process: it
// holds one connection pool, writes one at a time, and waits (see
// [WithBusyTimeout]) when another process holds the write lock.
//
// # Claims
//
// The persister is a [burr.Claimer] ([burr.WithClaims]). Claims are kept in a
// second table beside Burr's, named after it with the suffix "_claims"
// (burr_state_claims by default), which [Persister.Initialize] creates with a
// table it creates, and the first claim otherwise: a database Python Burr
// created gets it only when an application uses claims. Burr's own table is
// not changed. It has one row per application — partition_key,
// app_id, the claimed sequence_id, and expires_at in Unix milliseconds — which
// the application's next claim replaces, so it never grows beyond the number
// of applications that claimed. Python Burr ignores it. A claim is a write
// like a save, but in WAL mode not synced to disk on its own (see
// [Persister.Claim]): it adds about 3 µs to a step in memory and no fsync on
// a file (bench/README.md).
//
// # Opening
//
// Like every backend of this module, it follows one rule for construction:
// Open connects from a path or DSN and creates the schema when it is missing;
// New wraps an existing client without I/O. The persister configures its own
// connections (journal mode, synchronous mode, busy timeout, one connection
// for an in-memory database), so this package only has [Open].
//
// # What Open changes in a database
//
// Using a database that Python Burr created changes nothing in it but the
// records saved:
//
//   - Initialize runs Python Burr's own CREATE TABLE IF NOT EXISTS and
//     CREATE INDEX IF NOT EXISTS <table>_created_at_index statements, which
//     do nothing in a database that has them. Only when it creates the table
//     does it add one index of its own, a unique index
//     <table>_sequence_id_index on (partition_key, app_id, sequence_id),
//     which lets the INSERT detect a conflicting writer by itself. In a table
//     without it (Python Burr's), the INSERT first checks that the sequence
//     id is free, under the same write lock: as safe, about 10% more work per
//     save, and nothing added to the database.
//   - The journal mode is a lasting property of the file. A database that
//     Open creates uses WAL, so that readers never wait for the writer (its
//     file then stays in WAL mode; Python Burr reads and writes it as well).
//     An existing database keeps its journal mode (Python Burr creates them
//     in SQLite's default rollback-journal mode) unless [WithWAL](true) asks
//     to switch it; [WithWAL](false) creates new databases in rollback-journal
//     mode too.
//   - An application that uses claims ([burr.WithClaims]) keeps them in a
//     table <table>_claims (see Claims), created with a table Initialize
//     creates and otherwise by the first claim.
//   - synchronous and busy_timeout are settings of this process's
//     connections only.
//
// # Large states
//
// A state is saved as one text value, so its size is bounded by SQLite's
// limit on a value, 1,000,000,000 bytes of json.dumps text; a larger state
// fails to save with SQLite's "string or blob too big". json.dumps escapes
// every non-ASCII character, so text in other scripts takes up to 6 times
// its UTF-8 size (é, 2 bytes, is written as \u00e9). Saving takes about 7
// times the text's size in memory at its peak (the state itself included),
// mostly inside SQLite, and the persister keeps none of it afterwards (it keeps buffers of up to 64 KiB for
// the next save). Measured on a loaded 2-core machine: a 10 MB ASCII state
// saves in about 0.25 s with 90 MB of peak memory; 100 MB of ASCII text in
// about 4 s with 0.7 GB; 100 MB of text in "é" (300 MB of json.dumps text) in
// about 11 s with 1.8 GB. Keep states to a few megabytes, and large
// documents outside the state (in files or a blob store, referenced by name).
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Persister stores records in a SQLite database. It is safe for concurrent
// use.
type Persister struct {
	db     *sql.DB
	opts   options
	path   string
	memory bool
	stmts  atomic.Pointer[statements]
	// retired holds statements replaced by Initialize, which reads may
	// still be using; Close closes them. Guarded by mu.
	retired []*statements

	// mu serialises writes (SQLite has one writer anyway) and, for an
	// in-memory database, every use of its only connection. It guards w, buf
	// and args.
	mu    sync.Mutex
	w     *sql.Conn // the connection saves go through
	buf   []byte    // compact JSON of the state being saved
	pybuf []byte    // the same in Python's json.dumps style
	args  [6]driver.NamedValue

	claims  *claimStmts // prepared on the first Claim; guarded by mu
	cargs   [5]driver.NamedValue
	relaxed bool // w is in synchronous=NORMAL for a claim (see Claim)
	// boxed keeps the last partition key, app id and position converted to
	// driver values: an application saves the same ones step after step, and
	// reusing them saves an allocation each.
	boxed [3]boxedString
}

// boxedString is a string and the same string as a driver value.
type boxedString struct {
	s string
	v driver.Value
}

func (b *boxedString) value(s string) driver.Value {
	if b.v == nil || b.s != s {
		b.s, b.v = s, s
	}
	return b.v
}

var statusValues = map[burr.Status]driver.Value{burr.StatusCompleted: string(burr.StatusCompleted), burr.StatusFailed: string(burr.StatusFailed)}

func statusValue(s burr.Status) driver.Value {
	if v, ok := statusValues[s]; ok {
		return v
	}
	return string(s)
}

// statements are prepared once the table exists. insert is prepared on the
// driver connection under w, to save database/sql's per-call work on the hot
// path; the reads go through the pool (through w for an in-memory database).
type statements struct {
	insert              driver.Stmt
	latest, exact, list *sql.Stmt
}

// newDatabase reports whether path names a database file that does not exist
// yet, or is empty: one that Open creates. A "file:" URI it cannot follow
// counts as existing, so that its journal mode is left alone.
func newDatabase(path string) bool {
	name := path
	if rest, ok := strings.CutPrefix(name, "file:"); ok {
		name, _, _ = strings.Cut(rest, "?")
		if host, ok := strings.CutPrefix(name, "//"); ok { // file://host/path
			i := strings.IndexByte(host, '/')
			if i < 0 {
				return false
			}
			name = host[i:]
		}
		var err error
		if name, err = url.PathUnescape(name); err != nil || name == "" {
			return false
		}
	}
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && fi.Mode().IsRegular() && fi.Size() == 0
}

// connect opens the database at path without creating the table.
func connect(ctx context.Context, path string, opts ...Option) (*Persister, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	memory := path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(o.busyTimeout.Milliseconds()))
	switch {
	case memory:
		// An in-memory database cannot outlive the process, so it needs no
		// rollback journal for crashes; and a save is one INSERT that
		// cannot fail half-way on a constraint (it inserts only when no
		// record has its sequence id), so it needs none for statement
		// rollback either. This halves the cost of a save.
		q.Set("_journal_mode", "OFF")
	case o.wal == walAlways, o.wal == walNew && newDatabase(path):
		// WAL is recorded in the file: ask for it only for a database this
		// Open creates, or when WithWAL(true) says so.
		q.Set("_journal_mode", "WAL")
	}
	q.Set("_synchronous", o.sync.String())
	sep := "?"
	if strings.HasPrefix(path, "file:") && strings.Contains(path, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", path+sep+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if memory {
		// Every connection to ":memory:" is a database of its own: keep one.
		db.SetMaxOpenConns(1)
	}
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// Connect now, so that a path that cannot be opened fails here.
	w, err := db.Conn(ctx)
	if err == nil {
		err = w.PingContext(ctx)
	}
	if err != nil {
		if w != nil {
			w.Close()
		}
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	return &Persister{db: db, w: w, opts: o, path: path, memory: memory}, nil
}

// Open opens the SQLite database at path (created if missing; ":memory:" for a
// private in-memory database), then creates the table and its indexes when
// they do not exist (see [Persister.Initialize]: a database Python Burr
// created gets the index that detects conflicting writers).
//
// The path is a file name or a "file:" URI; it must not contain '?' unless it
// is a URI.
func Open(ctx context.Context, path string, opts ...Option) (*Persister, error) {
	p, err := connect(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	if err := p.Initialize(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the database. Saves and loads after Close return errors.
func (p *Persister) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return nil
	}
	p.closeClaims()
	for _, st := range append(p.retired, p.stmts.Swap(nil)) {
		if st != nil {
			p.w.Raw(func(any) error { return st.insert.Close() })
			st.latest.Close()
			st.exact.Close()
			st.list.Close()
		}
	}
	p.retired = nil
	werr := p.w.Close()
	p.w = nil
	return errors.Join(werr, p.db.Close())
}

var errClosed = errors.New("sqlite: persister is closed")

var (
	_ burr.Persister   = (*Persister)(nil)
	_ burr.Initializer = (*Persister)(nil)
	_ io.Closer        = (*Persister)(nil)
)

// prepared returns the prepared statements, preparing them on first use (the
// table must exist by then). The caller holds p.mu.
func (p *Persister) prepared(ctx context.Context) (*statements, error) {
	if st := p.stmts.Load(); st != nil {
		return st, nil
	}
	if p.w == nil {
		return nil, errClosed
	}
	var st statements
	var err error
	var readers interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	} = p.db
	if p.memory {
		readers = p.w
	}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = readers.PrepareContext(ctx, p.sqlFor(q))
		return s
	}
	st.latest, st.exact, st.list = prep(loadLatestSQL), prep(loadExactSQL), prep(listSQL)
	insert := insertSQL
	if err == nil {
		var indexed bool
		if indexed, err = hasSequenceIndex(ctx, p.w, p.opts.table); err == nil && !indexed {
			insert = insertCheckedSQL // a table without our index (Python Burr's)
		}
	}
	if err == nil {
		err = p.w.Raw(func(dc any) error {
			var perr error
			st.insert, perr = dc.(driver.ConnPrepareContext).PrepareContext(ctx, p.sqlFor(insert))
			return perr
		})
	}
	if err != nil {
		for _, s := range []*sql.Stmt{st.latest, st.exact, st.list} {
			if s != nil {
				s.Close()
			}
		}
		if strings.Contains(err.Error(), "no such table") {
			return nil, fmt.Errorf("sqlite: table %q does not exist in %s: call Initialize to create it: %w", p.opts.table, p.path, err)
		}
		return nil, fmt.Errorf("sqlite: preparing statements: %w", err)
	}
	p.stmts.Store(&st)
	return &st, nil
}

// readStatements returns the prepared statements for a read, and the unlock
// function to call when the read is done (for an in-memory database, reads
// hold its only connection).
func (p *Persister) readStatements(ctx context.Context) (*statements, func(), error) {
	unlock := func() {}
	if p.memory {
		p.mu.Lock()
		unlock = p.mu.Unlock
	} else if st := p.stmts.Load(); st != nil {
		return st, unlock, nil
	} else {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	st, err := p.prepared(ctx)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return st, unlock, nil
}

// Save inserts r. A record with the same partition key, app id and sequence
// id already stored makes Save store nothing and return an error wrapping
// [burr.ErrConflict]. r.CreatedAt is ignored: the database sets created_at, as
// in Python Burr.
//
// ctx is checked before the INSERT starts; once started, the INSERT runs to
// its end (waiting at most the busy timeout for the write lock), so that Save
// never reports a failure for a record it stored.
func (p *Persister) Save(ctx context.Context, r burr.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: saving app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.prepared(ctx)
	if err != nil {
		return err
	}
	if err := p.synced(); err != nil {
		return fmt.Errorf("sqlite: saving app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, err)
	}
	buf, err := r.State.AppendJSON(p.buf[:0])
	if err != nil {
		p.buf = keepSmall(buf)
		return fmt.Errorf("sqlite: encoding the state of app %q sequence id %d: %w", r.AppID, r.SequenceID, err)
	}
	p.pybuf = jsonx.AppendPyFormat(p.pybuf[:0], buf)
	p.buf = keepSmall(buf) // no longer needed: let a large one go before the INSERT
	defer func() { p.pybuf = keepSmall(p.pybuf) }()
	a := &p.args
	for i := range a {
		a[i].Ordinal = i + 1
	}
	// The driver copies the text when it binds it, before ExecContext
	// returns, and pybuf does not change meanwhile (p.mu is held): no need
	// for a copy of our own.
	state := unsafe.String(unsafe.SliceData(p.pybuf), len(p.pybuf))
	a[0].Value, a[1].Value, a[2].Value = p.boxed[0].value(r.PartitionKey), p.boxed[1].value(r.AppID), int64(r.SequenceID)
	a[3].Value, a[4].Value, a[5].Value = p.boxed[2].value(r.Position), statusValue(r.Status), state
	var n int64
	err = p.w.Raw(func(any) error {
		res, err := st.insert.(driver.StmtExecContext).ExecContext(context.Background(), a[:])
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	for i := range a {
		a[i].Value = nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: saving app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, burr.ErrConflict)
	}
	return nil
}

// keepBuffer is the largest encoding buffer a Persister keeps between saves:
// enough for the states of the hot path, while one large state does not pin
// its buffers (several times its size) until Close.
const keepBuffer = 64 << 10

func keepSmall(b []byte) []byte {
	if cap(b) > keepBuffer {
		return nil
	}
	return b[:0]
}

// Load returns the record of step at, or the one with the highest sequence id
// (whatever its status) when at.SequenceID is [burr.Latest]. It returns an
// error wrapping [burr.ErrNotFound] when there is none.
func (p *Persister) Load(ctx context.Context, at burr.StepRef) (burr.Record, error) {
	partitionKey, appID, sequenceID := at.PartitionKey, at.AppID, at.SequenceID
	st, unlock, err := p.readStatements(ctx)
	if err != nil {
		return burr.Record{}, err
	}
	defer unlock()
	var row *sql.Row
	if sequenceID == burr.Latest {
		row = st.latest.QueryRowContext(ctx, partitionKey, appID)
	} else {
		row = st.exact.QueryRowContext(ctx, partitionKey, appID, sequenceID)
	}
	r := burr.Record{StepRef: at}
	var status string
	var state []byte
	var created any
	if err := row.Scan(&r.SequenceID, &r.Position, &status, &state, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return burr.Record{}, fmt.Errorf("sqlite: app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), burr.ErrNotFound)
		}
		return burr.Record{}, fmt.Errorf("sqlite: loading app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), err)
	}
	r.Status = burr.Status(status)
	if err := r.State.UnmarshalJSON(state); err != nil {
		return burr.Record{}, fmt.Errorf("sqlite: app %q (partition %q) sequence id %d: stored state is corrupt: %w", appID, partitionKey, r.SequenceID, err)
	}
	if r.CreatedAt, err = parseCreatedAt(created); err != nil {
		return burr.Record{}, fmt.Errorf("sqlite: app %q (partition %q) sequence id %d: %w", appID, partitionKey, r.SequenceID, err)
	}
	return r, nil
}

// ListAppIDs returns the app ids stored under partitionKey, the most recently
// saved first.
func (p *Persister) ListAppIDs(ctx context.Context, partitionKey string) ([]string, error) {
	st, unlock, err := p.readStatements(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rows, err := st.list.QueryContext(ctx, partitionKey)
	if err != nil {
		return nil, fmt.Errorf("sqlite: listing apps of partition %q: %w", partitionKey, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: listing apps of partition %q: %w", partitionKey, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: listing apps of partition %q: %w", partitionKey, err)
	}
	return ids, nil
}

// createdAtLayout is how SQLite's CURRENT_TIMESTAMP writes times (UTC).
const createdAtLayout = "2006-01-02 15:04:05"

func parseCreatedAt(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case nil:
		return time.Time{}, nil
	case string:
		return parseCreatedAtText(x)
	case []byte:
		return parseCreatedAtText(string(x))
	}
	return time.Time{}, fmt.Errorf("created_at holds %T, want a timestamp", v)
}

func parseCreatedAtText(s string) (time.Time, error) {
	for _, layout := range []string{createdAtLayout, "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("created_at %q is not a timestamp", s)
}

func seqText(seq int) string {
	if seq == burr.Latest {
		return "latest"
	}
	return fmt.Sprint(seq)
}
