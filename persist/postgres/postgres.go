// Package postgres is a [burr.Persister] on PostgreSQL (through pgx), for
// fleets of servers sharing their applications' state.
//
// The table has Python Burr's PostgreSQLPersister columns (partition_key,
// app_id, sequence_id, position, status, state JSONB, created_at), plus:
//
//   - a unique index on (partition_key, app_id, sequence_id), which makes a
//     second writer of a sequence id get burr.ErrConflict instead of
//     overwriting a step another server saved;
//   - a state_keys column holding the state's key order, which JSONB does not
//     keep. Rows without it (written by Python Burr) load in JSONB's order.
//
// It is a [burr.Claimer] ([burr.WithClaims]): claims are kept in a second
// table, named after the first with the suffix "_claims" (burr_state_claims by
// default), which [Persister.Initialize] creates; Burr's own table is not
// changed. It has one row per application — partition_key, app_id, the
// claimed sequence_id and expires_at — which the application's next claim
// replaces, so it never grows beyond the number of applications that claimed.
// Claims expire by the database server's clock, which every server of a fleet
// shares. Python Burr ignores the table.
//
// JSONB has two limits the other backends do not: a string holding the NUL
// character cannot be stored (the save fails), and a whole-number float of 1e16
// or more comes back as an integer (a [burr.Key] of float64 reads it back as a
// float).
//
// All methods are safe for concurrent use; a Persister is meant to be shared
// by every application of a process.
//
// # Opening
//
// Like every backend of this module, it follows one rule for construction:
// [Open] connects from a DSN and creates the schema when it is missing; [New]
// wraps an existing pgx pool without I/O, leaving the schema to
// [Persister.Initialize] and the pool to its owner.
package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
)

// DefaultTable is the table Python Burr's PostgreSQLPersister uses by default.
const DefaultTable = "burr_state"

// Option configures a Persister.
type Option func(*options)

type options struct {
	table string
}

// WithTable stores records in the named table instead of DefaultTable. The
// name must be a plain SQL identifier (letters, digits, underscores). It
// names the same table it would unquoted (PostgreSQL folds it to lower
// case), and SQL keywords such as "select" are fine: every statement quotes
// it.
func WithTable(name string) Option { return func(o *options) { o.table = name } }

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Persister stores records in a PostgreSQL table.
type Persister struct {
	pool    *pgxpool.Pool
	ownPool bool
	table   string
	sql     queries
}

type queries struct {
	insert, latest, exact, list string
	claim, holder               string
}

// maxTable is the longest table name whose index names fit PostgreSQL's
// 63-byte identifiers: 63 - len("_sequence_id_index").
const maxTable = 63 - len("_sequence_id_index")

// New returns a Persister on an existing pool, without I/O: the table is
// not created (call [Persister.Initialize]), and [Persister.Close] leaves the
// pool open.
func New(pool *pgxpool.Pool, opts ...Option) (*Persister, error) {
	o := options{table: DefaultTable}
	for _, opt := range opts {
		opt(&o)
	}
	if !identifier.MatchString(o.table) {
		return nil, fmt.Errorf("postgres: table name %q is not a plain identifier (letters, digits, underscores)", o.table)
	}
	// PostgreSQL cuts identifiers at 63 bytes: a longer table name would make
	// the index names "<table>_sequence_id_index" and "<table>_created_at_index"
	// collide, silently dropping the unique index that detects conflicts.
	if len(o.table) > maxTable {
		return nil, fmt.Errorf("postgres: table name %q is %d bytes long; at most %d are allowed so that its index names stay distinct", o.table, len(o.table), maxTable)
	}
	if pool == nil {
		return nil, errors.New("postgres: nil pool")
	}
	// Quoted, so that a keyword ("select", "order") is a name like any
	// other; folded to lower case first, as PostgreSQL folds the unquoted
	// name, so that WithTable("Burr") still names the table burr.
	t, claims := quoted(o.table), quoted(o.table+"_claims")
	return &Persister{pool: pool, table: strings.ToLower(o.table), sql: queries{
		insert: fmt.Sprintf(`INSERT INTO %s (partition_key, app_id, sequence_id, position, status, state, state_keys, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now() AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING`, t),
		latest: fmt.Sprintf(`SELECT sequence_id, position, status, state, state_keys, created_at FROM %s
WHERE partition_key = $1 AND app_id = $2 ORDER BY sequence_id DESC LIMIT 1`, t),
		exact: fmt.Sprintf(`SELECT sequence_id, position, status, state, state_keys, created_at FROM %s
WHERE partition_key = $1 AND app_id = $2 AND sequence_id = $3 LIMIT 1`, t),
		list: fmt.Sprintf(`SELECT app_id FROM %s WHERE partition_key = $1
GROUP BY app_id ORDER BY max(created_at) DESC, app_id`, t),
		// The claim is taken unless the step is saved or the application's
		// claim of it or of a later step lives: the row is inserted, or
		// replaced, or nothing changes.
		claim: fmt.Sprintf(`INSERT INTO %[2]s AS c (partition_key, app_id, sequence_id, expires_at)
SELECT $1, $2, $3, now() + $4::bigint * interval '1 millisecond'
WHERE NOT EXISTS (SELECT 1 FROM %[1]s WHERE partition_key = $1 AND app_id = $2 AND sequence_id = $3)
ON CONFLICT (partition_key, app_id) DO UPDATE SET sequence_id = excluded.sequence_id, expires_at = excluded.expires_at
WHERE c.sequence_id < excluded.sequence_id OR c.expires_at <= now()`, t, claims),
		holder: fmt.Sprintf(`SELECT sequence_id, expires_at, expires_at > now() FROM %s WHERE partition_key = $1 AND app_id = $2`, claims),
	}}, nil
}

// Open connects to the database at dsn (a pgx connection string or URL) with
// a pool of its own, which [Persister.Close] closes, and creates the table
// when it does not exist ([Persister.Initialize]).
func Open(ctx context.Context, dsn string, opts ...Option) (*Persister, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: connecting: %w", err)
	}
	p, err := New(pool, opts...)
	if err != nil {
		pool.Close()
		return nil, err
	}
	p.ownPool = true
	if err := p.Initialize(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

var (
	_ burr.Persister   = (*Persister)(nil)
	_ burr.Initializer = (*Persister)(nil)
	_ burr.Claimer     = (*Persister)(nil)
	_ io.Closer        = (*Persister)(nil)
)

// Pool returns the connection pool.
func (p *Persister) Pool() *pgxpool.Pool { return p.pool }

// Close closes the pool when [Open] made it. Calls after Close return
// errors.
func (p *Persister) Close() error {
	if p.ownPool {
		p.pool.Close()
	}
	return nil
}

// quoted returns the identifier PostgreSQL would make of name unquoted (it
// folds it to lower case), quoted.
func quoted(name string) string { return pgx.Identifier{strings.ToLower(name)}.Sanitize() }

// Initialize creates the table and its indexes, and the claims table, when
// they do not exist, and adds the state_keys column to a table Python Burr
// created. Servers starting
// at once may all call it: they take turns under an advisory lock.
func (p *Persister) Initialize(ctx context.Context) error {
	t := quoted(p.table)
	created, sequence := quoted(p.table+"_created_at_index"), quoted(p.table+"_sequence_id_index")
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
    partition_key TEXT DEFAULT '',
    app_id TEXT NOT NULL,
    sequence_id INTEGER NOT NULL,
    position TEXT NOT NULL,
    status TEXT NOT NULL,
    state JSONB NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (partition_key, app_id, sequence_id, position)
)`, t),
		fmt.Sprintf(`ALTER TABLE %s ADD COLUMN IF NOT EXISTS state_keys TEXT[]`, t),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (created_at)`, created, t),
		fmt.Sprintf(`CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (partition_key, app_id, sequence_id)`, sequence, t),
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
    partition_key TEXT NOT NULL,
    app_id TEXT NOT NULL,
    sequence_id INTEGER NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partition_key, app_id)
)`, quoted(p.table+"_claims")),
	}
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "burr-init:"+p.table); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: initializing table %q: %w", p.table, err)
	}
	return nil
}

// Initialized reports whether the table exists with the state_keys column and
// the unique index on (partition key, app id, sequence id) that detects
// conflicting writers, and the claims table beside it; a table Python Burr
// created lacks them until Initialize adds them.
func (p *Persister) Initialized(ctx context.Context) (bool, error) {
	var ok bool
	err := p.pool.QueryRow(ctx, `SELECT to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AND EXISTS (
    SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'state_keys' AND NOT attisdropped)`,
		quoted(p.table), quoted(p.table+"_sequence_id_index"), quoted(p.table+"_claims")).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: checking for table %q: %w", p.table, err)
	}
	return ok, nil
}

// Save inserts r. When a record with the same partition key, app id and
// sequence id exists, it stores nothing and returns an error wrapping
// [burr.ErrConflict]. r.CreatedAt is ignored: the database sets created_at
// (UTC).
func (p *Persister) Save(ctx context.Context, r burr.Record) error {
	state, err := r.State.MarshalJSON()
	if err != nil {
		return fmt.Errorf("postgres: encoding the state of app %q sequence id %d: %w", r.AppID, r.SequenceID, err)
	}
	tag, err := p.pool.Exec(ctx, p.sql.insert, r.PartitionKey, r.AppID, r.SequenceID, r.Position, string(r.Status),
		json.RawMessage(state), r.State.Keys())
	if err != nil {
		return fmt.Errorf("postgres: saving app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, burr.ErrConflict)
	}
	return nil
}

// Claim reserves step at for ttl (rounded up to a millisecond), for
// [burr.WithClaims]. It fails with an error wrapping [burr.ErrConflict] when
// the step is saved, or when the application's claim of it or of a later
// step has not expired by the database's clock; otherwise the claim replaces
// the application's earlier one. It is one statement.
func (p *Persister) Claim(ctx context.Context, at burr.StepRef, ttl time.Duration) error {
	if at.SequenceID < 0 {
		return fmt.Errorf("postgres: claiming app %q (partition %q): sequence id %d is not a step", at.AppID, at.PartitionKey, at.SequenceID)
	}
	if ttl <= 0 {
		return fmt.Errorf("postgres: claiming app %q (partition %q) sequence id %d: the ttl %v is not positive", at.AppID, at.PartitionKey, at.SequenceID, ttl)
	}
	ms := (ttl + time.Millisecond - 1).Milliseconds()
	tag, err := p.pool.Exec(ctx, p.sql.claim, at.PartitionKey, at.AppID, at.SequenceID, ms)
	if err != nil {
		return fmt.Errorf("postgres: claiming app %q (partition %q) sequence id %d: %w", at.AppID, at.PartitionKey, at.SequenceID, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	// Lost: say to what, when the claim that won can still be read.
	var seq int
	var until time.Time
	var live bool
	err = p.pool.QueryRow(ctx, p.sql.holder, at.PartitionKey, at.AppID).Scan(&seq, &until, &live)
	if err == nil && live && seq >= at.SequenceID {
		return fmt.Errorf("postgres: app %q (partition %q) sequence id %d: sequence id %d is claimed until %s: %w",
			at.AppID, at.PartitionKey, at.SequenceID, seq, until.UTC().Format(time.RFC3339Nano), burr.ErrConflict)
	}
	return fmt.Errorf("postgres: app %q (partition %q) sequence id %d is saved: %w", at.AppID, at.PartitionKey, at.SequenceID, burr.ErrConflict)
}

// Load returns the record of step at, or the one with the highest sequence id
// (whatever its status) when at.SequenceID is [burr.Latest]. It returns an
// error wrapping [burr.ErrNotFound] when there is none.
func (p *Persister) Load(ctx context.Context, at burr.StepRef) (burr.Record, error) {
	partitionKey, appID, sequenceID := at.PartitionKey, at.AppID, at.SequenceID
	var row pgx.Row
	if sequenceID == burr.Latest {
		row = p.pool.QueryRow(ctx, p.sql.latest, partitionKey, appID)
	} else {
		row = p.pool.QueryRow(ctx, p.sql.exact, partitionKey, appID, sequenceID)
	}
	r := burr.Record{StepRef: at}
	var status string
	var state []byte
	var keys []string
	var created time.Time
	if err := row.Scan(&r.SequenceID, &r.Position, &status, &state, &keys, &created); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return burr.Record{}, fmt.Errorf("postgres: app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), burr.ErrNotFound)
		}
		return burr.Record{}, fmt.Errorf("postgres: loading app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), err)
	}
	r.Status = burr.Status(status)
	r.CreatedAt = created.UTC()
	if err := decodeState(&r.State, state, keys); err != nil {
		return burr.Record{}, fmt.Errorf("postgres: app %q (partition %q) sequence id %d: stored state is corrupt: %w", appID, partitionKey, r.SequenceID, err)
	}
	return r, nil
}

// decodeState decodes a JSONB document into s, restoring the key order kept in
// keys (JSONB sorts keys by length, then bytes).
func decodeState(s *burr.State, doc []byte, keys []string) error {
	if len(keys) == 0 {
		return s.UnmarshalJSON(doc)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(doc, &fields); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(doc) + 8)
	buf.WriteByte('{')
	n := 0
	add := func(k string, v json.RawMessage) {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.Write(jsonx.AppendString(nil, k))
		buf.WriteByte(':')
		buf.Write(v)
	}
	for _, k := range keys {
		if v, ok := fields[k]; ok {
			add(k, v)
			delete(fields, k)
		}
	}
	for k, v := range fields { // keys the order does not name (edited rows)
		add(k, v)
	}
	buf.WriteByte('}')
	return s.UnmarshalJSON(buf.Bytes())
}

// ListAppIDs returns the app ids stored under partitionKey, the most recently
// saved first.
func (p *Persister) ListAppIDs(ctx context.Context, partitionKey string) ([]string, error) {
	rows, err := p.pool.Query(ctx, p.sql.list, partitionKey)
	if err != nil {
		return nil, fmt.Errorf("postgres: listing apps of partition %q: %w", partitionKey, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: listing apps of partition %q: %w", partitionKey, err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

func seqText(seq int) string {
	if seq == burr.Latest {
		return "latest"
	}
	return fmt.Sprint(seq)
}
