package sqlite

import (
	"fmt"
	"regexp"
	"time"
)

// Synchronous is how hard SQLite works to make a saved step survive a crash
// of the machine (SQLite's PRAGMA synchronous, in WAL mode).
type Synchronous int

const (
	// SyncFull syncs the write-ahead log to disk on every commit, so every
	// step that Save reported saved survives a power loss. It is the default,
	// and the durability Python Burr has with SQLite's defaults.
	SyncFull Synchronous = iota
	// SyncNormal syncs only at checkpoints. A step survives a crash of the
	// process at once, but the last steps before a power loss or kernel crash
	// may be lost (never corrupted). Saves are several times faster.
	SyncNormal
)

// String returns the mode as SQLite names it ("FULL", "NORMAL").
func (s Synchronous) String() string {
	switch s {
	case SyncFull:
		return "FULL"
	case SyncNormal:
		return "NORMAL"
	}
	return fmt.Sprintf("Synchronous(%d)", int(s))
}

// Option configures a Persister.
type Option func(*options)

type options struct {
	table       string
	sync        Synchronous
	busyTimeout time.Duration
	now         func() time.Time
	wal         walMode
}

// walMode is what WithWAL asked: nothing (WAL for a new database only), WAL
// everywhere, or no WAL.
type walMode int

const (
	walNew walMode = iota
	walAlways
	walNever
)

func defaultOptions() options {
	return options{table: DefaultTable, sync: SyncFull, busyTimeout: 10 * time.Second, now: time.Now}
}

// DefaultTable is the table Python Burr's SQLitePersister uses by default.
const DefaultTable = "burr_state"

// WithTable stores records in the named table instead of DefaultTable. The name
// must be a plain SQL identifier (letters, digits, underscores); SQL keywords
// such as "select" are fine, as every statement quotes it.
func WithTable(name string) Option { return func(o *options) { o.table = name } }

// WithWAL decides the journal mode, which is a lasting property of a database
// file. By default a database that Open creates uses WAL (readers never wait
// for the writer), and an existing database keeps its journal mode: one that
// Python Burr created stays in SQLite's default rollback-journal mode.
// WithWAL(true) switches an existing database to WAL too (Python Burr reads
// and writes WAL databases as well; the file then stays in WAL mode);
// WithWAL(false) leaves every database, new ones included, in rollback-journal
// mode, exactly as Python Burr creates them.
func WithWAL(on bool) Option {
	return func(o *options) {
		o.wal = walNever
		if on {
			o.wal = walAlways
		}
	}
}

// WithSynchronous sets the durability of each save; the default is SyncFull.
func WithSynchronous(s Synchronous) Option { return func(o *options) { o.sync = s } }

// WithBusyTimeout sets how long a statement waits for another connection or
// process holding the database's write lock before failing (SQLite's
// busy_timeout). The default is 10 seconds.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithClock makes claims ([Persister.Claim]) expire by now instead of
// time.Now: to test what happens when a claim expires without waiting for it.
// Every process sharing the database must use the same clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quoted returns a plain identifier quoted for SQL, so that a name that is
// also a keyword ("select", "order") names a table like any other. SQLite
// compares identifiers case-insensitively, quoted or not.
func quoted(name string) string { return `"` + name + `"` }

func (o *options) check() error {
	if !identifier.MatchString(o.table) {
		return fmt.Errorf("sqlite: table name %q is not a plain identifier (letters, digits, underscores)", o.table)
	}
	if o.sync != SyncFull && o.sync != SyncNormal {
		return fmt.Errorf("sqlite: unknown synchronous mode %v", o.sync)
	}
	if o.now == nil {
		return fmt.Errorf("sqlite: WithClock(nil): a clock is needed")
	}
	if o.busyTimeout < 0 {
		return fmt.Errorf("sqlite: negative busy timeout %v", o.busyTimeout)
	}
	return nil
}
