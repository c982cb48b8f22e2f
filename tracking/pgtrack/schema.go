package pgtrack

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table the tracker writes to unless WithTable says
// otherwise.
const DefaultTable = "burr_tracking"

// The kinds of line, one per file of Burr's format (the "kind" column).
const (
	KindLog      = "log"      // a line of log.jsonl
	KindChildren = "children" // a line of children.jsonl
	KindGraph    = "graph"    // graph.json, whole
	KindMetadata = "metadata" // metadata.json, whole
)

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,40}$`)

// checkTable validates a table name and returns it folded to lower case,
// as PostgreSQL folds an unquoted name.
func checkTable(name string) (string, error) {
	if !identifier.MatchString(name) {
		return "", fmt.Errorf("pgtrack: table name %q is not a plain identifier (letters, digits, underscores, at most 41)", name)
	}
	return strings.ToLower(name), nil
}

func quoted(name string) string { return pgx.Identifier{name}.Sanitize() }

// Initialize creates the tracking table (see the package documentation) and
// its indexes in the database of pool when they do not exist. Servers
// starting at once may all call it: they take turns under an advisory lock.
func Initialize(ctx context.Context, pool *pgxpool.Pool, table string) error {
	table, err := checkTable(table)
	if err != nil {
		return err
	}
	t := quoted(table)
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
    line BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project TEXT NOT NULL,
    app_id TEXT NOT NULL,
    partition_key TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('log', 'children', 'graph', 'metadata')),
    sequence_id INTEGER NOT NULL DEFAULT -1,
    data BYTEA NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`, t),
		fmt.Sprintf(`ALTER TABLE %s ADD COLUMN IF NOT EXISTS sequence_id INTEGER NOT NULL DEFAULT -1`, t),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (project, app_id, line)`, quoted(table+"_app_index"), t),
		// graph.json and metadata.json are written once per application,
		// as the file tracker writes them unless they exist.
		fmt.Sprintf(`CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (project, app_id, kind) WHERE kind IN ('graph', 'metadata')`,
			quoted(table+"_once_index"), t),
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "burr-tracking-init:"+table); err != nil {
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
		return fmt.Errorf("pgtrack: creating table %q: %w", table, err)
	}
	return nil
}

// insertSQL inserts a batch of lines in their order (WITH ORDINALITY), so
// that the identity column numbers them as they were queued. A second
// graph or metadata row for an application is skipped.
func insertSQL(table string) string {
	return fmt.Sprintf(`INSERT INTO %s (project, app_id, partition_key, kind, sequence_id, data)
SELECT $1, u.a, u.p, u.k, u.s, u.d FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bytea[]) WITH ORDINALITY AS u(a, p, k, s, d, n)
ORDER BY u.n
ON CONFLICT DO NOTHING`, quoted(table))
}
