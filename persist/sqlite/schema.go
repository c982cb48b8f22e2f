package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// The schema is Python Burr's SQLitePersister schema, column for column, so
// either implementation can read and write the other's files. The unique index
// on (partition_key, app_id, sequence_id) is ours: it is what turns a second
// writer of a sequence id into [burr.ErrConflict]. Python Burr never writes two
// positions under one sequence id, so the index does not get in its way.
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
	createdAtIndexSQL = `CREATE INDEX IF NOT EXISTS %[1]s_created_at_index ON %[1]s (created_at)`
	sequenceIndexSQL  = `CREATE UNIQUE INDEX IF NOT EXISTS %[1]s_sequence_id_index ON %[1]s (partition_key, app_id, sequence_id)`

	// The claims of steps (burr.Claimer) live in a table of their own, beside
	// Burr's, which they leave untouched: one row per application, its claim
	// of one sequence id until expires_at (Unix time in milliseconds).
	createClaimsSQL = `CREATE TABLE IF NOT EXISTS %[1]s_claims (
    partition_key TEXT NOT NULL,
    app_id TEXT NOT NULL,
    sequence_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (partition_key, app_id)
)`
	// claimSQL takes the claim unless the step is saved or the application's
	// claim of it or of a later step lives: the row is inserted, or replaced,
	// or nothing changes. ?1..?3 name the step, ?4 is the new expiry, ?5 now.
	claimSQL = `INSERT INTO %[1]s_claims (partition_key, app_id, sequence_id, expires_at)
SELECT ?1, ?2, ?3, ?4
WHERE NOT EXISTS (SELECT 1 FROM %[1]s WHERE partition_key = ?1 AND app_id = ?2 AND sequence_id = ?3)
ON CONFLICT (partition_key, app_id) DO UPDATE SET sequence_id = excluded.sequence_id, expires_at = excluded.expires_at
WHERE %[1]s_claims.sequence_id < excluded.sequence_id OR %[1]s_claims.expires_at <= ?5`
	claimHolderSQL = `SELECT sequence_id, expires_at FROM %[1]s_claims WHERE partition_key = ? AND app_id = ?`

	insertSQL = `INSERT INTO %[1]s (partition_key, app_id, sequence_id, position, status, state)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	loadLatestSQL = `SELECT sequence_id, position, status, state, created_at FROM %[1]s
WHERE partition_key = ? AND app_id = ? ORDER BY sequence_id DESC LIMIT 1`
	loadExactSQL = `SELECT sequence_id, position, status, state, created_at FROM %[1]s
WHERE partition_key = ? AND app_id = ? AND sequence_id = ? LIMIT 1`
	// Most recently saved first; rowid breaks ties within created_at's
	// one-second resolution.
	listSQL = `SELECT app_id FROM %[1]s WHERE partition_key = ?
GROUP BY app_id ORDER BY MAX(created_at) DESC, MAX(rowid) DESC`
)

// Initialize creates the table and its indexes, and the claims table, when
// they do not exist; [Open] calls it. It is safe to call on a database Python Burr created, and to call
// more than once.
func (p *Persister) Initialize(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return errClosed
	}
	for _, q := range []string{createTableSQL, createdAtIndexSQL, sequenceIndexSQL, createClaimsSQL} {
		if _, err := p.w.ExecContext(ctx, fmt.Sprintf(q, p.opts.table)); err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("sqlite: table %q holds two records with the same partition key, app id and sequence id; "+
					"conflict detection needs them unique: %w", p.opts.table, err)
			}
			return fmt.Errorf("sqlite: initializing table %q: %w", p.opts.table, err)
		}
	}
	return nil
}

// Initialized reports whether the table exists (Python Burr's is_initialized)
// with the unique index on (partition key, app id, sequence id) that detects
// conflicting writers, and the claims table beside it: a table created by
// Python Burr lacks both until Initialize adds them.
func (p *Persister) Initialized(ctx context.Context) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return false, errClosed
	}
	var n int
	err := p.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND name IN (?, ?)) OR (type = 'index' AND name = ?)`,
		p.opts.table, p.opts.table+"_claims", p.opts.table+"_sequence_id_index").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: checking for table %q: %w", p.opts.table, err)
	}
	return n == 3, nil
}
