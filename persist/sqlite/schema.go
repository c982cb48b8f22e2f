package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The schema is Python Burr's SQLitePersister schema, column for column and
// index for index, so either implementation can read and write the other's
// files, and initializing a database Python Burr created changes nothing.
//
// A second writer of a sequence id gets [burr.ErrConflict] from the INSERT
// itself, in one of two ways:
//
//   - in a table Initialize creates, a unique index on (partition_key,
//     app_id, sequence_id), <table>_sequence_id_index, makes the INSERT store
//     nothing (ON CONFLICT DO NOTHING). Python Burr never writes two
//     positions under one sequence id, so the index does not get in its way;
//   - in a table that exists without that index (Python Burr's), the INSERT
//     stores the record only when none of its sequence id exists. SQLite
//     runs the check and the insert in one write transaction, under the
//     database's single write lock, so two writers cannot both pass it. It
//     costs about 10% more per save (SQLite stages the row in a temporary
//     table), and it adds nothing to the database.
const (
	createTableSQL = `CREATE TABLE IF NOT EXISTS %[1]s (
    partition_key TEXT DEFAULT '',
    app_id TEXT NOT NULL,
    sequence_id INTEGER NOT NULL,
    position TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (partition_key, app_id, sequence_id, position)
)`
	createdAtIndexSQL = `CREATE INDEX IF NOT EXISTS %[2]s ON %[1]s (created_at)`
	sequenceIndexSQL  = `CREATE UNIQUE INDEX IF NOT EXISTS %[3]s ON %[1]s (partition_key, app_id, sequence_id)`

	// The claims of steps (burr.Claimer) live in a table of their own, beside
	// Burr's, which they leave untouched: one row per application, its claim
	// of one sequence id until expires_at (Unix time in milliseconds). It is
	// created with a table Initialize creates, and otherwise by the first
	// claim, so that a database Python Burr created gets it only when an
	// application asks for claims.
	createClaimsSQL = `CREATE TABLE IF NOT EXISTS %[4]s (
    partition_key TEXT NOT NULL,
    app_id TEXT NOT NULL,
    sequence_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (partition_key, app_id)
)`
	// claimSQL takes the claim unless the step is saved or the application's
	// claim of it or of a later step lives: the row is inserted, or replaced,
	// or nothing changes. ?1..?3 name the step, ?4 is the new expiry, ?5 now.
	claimSQL = `INSERT INTO %[4]s (partition_key, app_id, sequence_id, expires_at)
SELECT ?1, ?2, ?3, ?4
WHERE NOT EXISTS (SELECT 1 FROM %[1]s WHERE partition_key = ?1 AND app_id = ?2 AND sequence_id = ?3)
ON CONFLICT (partition_key, app_id) DO UPDATE SET sequence_id = excluded.sequence_id, expires_at = excluded.expires_at
WHERE %[4]s.sequence_id < excluded.sequence_id OR %[4]s.expires_at <= ?5`
	claimHolderSQL = `SELECT sequence_id, expires_at FROM %[4]s WHERE partition_key = ? AND app_id = ?`

	insertSQL = `INSERT INTO %[1]s (partition_key, app_id, sequence_id, position, status, state)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	insertCheckedSQL = `INSERT INTO %[1]s (partition_key, app_id, sequence_id, position, status, state)
SELECT ?1, ?2, ?3, ?4, ?5, ?6
WHERE NOT EXISTS (SELECT 1 FROM %[1]s WHERE partition_key = ?1 AND app_id = ?2 AND sequence_id = ?3)`
	loadLatestSQL = `SELECT sequence_id, position, status, state, created_at FROM %[1]s
WHERE partition_key = ? AND app_id = ? ORDER BY sequence_id DESC LIMIT 1`
	loadExactSQL = `SELECT sequence_id, position, status, state, created_at FROM %[1]s
WHERE partition_key = ? AND app_id = ? AND sequence_id = ? LIMIT 1`
	// Most recently saved first; rowid breaks ties within created_at's
	// one-second resolution.
	listSQL = `SELECT app_id FROM %[1]s WHERE partition_key = ?
GROUP BY app_id ORDER BY MAX(created_at) DESC, MAX(rowid) DESC`
)

// sqlFor fills a statement with the quoted names of the table, its indexes
// and the claims table.
func (p *Persister) sqlFor(q string) string {
	t := p.opts.table
	return fmt.Sprintf(q, quoted(t), quoted(t+"_created_at_index"), quoted(t+"_sequence_id_index"), quoted(t+"_claims"))
}

// Initialize creates the table and its created_at index when they do not
// exist, with Python Burr's own statements, and, with a table it creates, the
// unique index that detects conflicting writers and the claims table; [Open]
// calls it. On a database that has the table (one Python Burr created, or one
// of ours) it changes nothing. It is safe to call more than once.
func (p *Persister) Initialize(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return errClosed
	}
	tx, err := p.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: initializing table %q: %w", p.opts.table, err)
	}
	defer tx.Rollback()
	exists, err := tableExists(ctx, tx, p.opts.table)
	if err != nil {
		return err
	}
	stmts := []string{createTableSQL, createdAtIndexSQL}
	if !exists {
		stmts = append(stmts, sequenceIndexSQL, createClaimsSQL)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, p.sqlFor(q)); err != nil {
			return fmt.Errorf("sqlite: initializing table %q: %w", p.opts.table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: initializing table %q: %w", p.opts.table, err)
	}
	if !exists {
		// Statements prepared before (against a table since dropped) chose
		// their INSERT for the old schema: prepare again. Reads may still
		// be using the old ones; Close closes them.
		if st := p.stmts.Swap(nil); st != nil {
			p.retired = append(p.retired, st)
		}
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tableExists reports whether the database has a table of that name (SQLite
// compares names without regard to ASCII case).
func tableExists(ctx context.Context, q querier, table string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`,
		table).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: checking for table %q: %w", table, err)
	}
	return n > 0, nil
}

// hasSequenceIndex reports whether the table has the unique index on
// (partition_key, app_id, sequence_id) that makes a conflicting INSERT store
// nothing.
func hasSequenceIndex(ctx context.Context, q querier, table string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE`,
		table+"_sequence_id_index").Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: checking the indexes of table %q: %w", table, err)
	}
	return n > 0, nil
}

// Initialized reports whether the table exists, as Python Burr's
// is_initialized does.
func (p *Persister) Initialized(ctx context.Context) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return false, errClosed
	}
	return tableExists(ctx, p.w, p.opts.table)
}
