package pgtrack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Mirror keeps a directory in Burr's file layout up to date with a tracking
// table, every project of it: each Sync appends the lines written since the
// last one to their files, so that a reader of files ("burr ui --postgres",
// which serves a Mirror's directory) shows the store's runs as they go.
//
// Sync takes the rows in line order and remembers the last line number it
// took. Lines are numbered when their batch is inserted but become visible
// when it commits, so a batch of another writer that commits late could
// carry smaller numbers than lines already taken: Sync leaves the rows
// written in the last Settle (default 1 s) for a later call, and a batch
// that takes longer than that to commit may be missing from the mirror
// (Export, which reads everything, is not affected).
type Mirror struct {
	// Settle is how old a row must be before Sync takes it.
	Settle time.Duration

	pool   *pgxpool.Pool
	table  string
	dir    string
	query  string
	last   int64
	bad    map[string]bool // app ids that cannot be directory names, already reported
	report func(error)
}

// NewMirror returns a Mirror of table writing under dir, which should be
// empty: the first Sync writes the whole table. report, if not nil, is called
// once for each application whose id cannot be a directory name.
func NewMirror(pool *pgxpool.Pool, table, dir string, report func(error)) (*Mirror, error) {
	table, err := checkTable(table)
	if err != nil {
		return nil, err
	}
	return &Mirror{Settle: time.Second, pool: pool, table: table, dir: dir, bad: map[string]bool{}, report: report,
		query: fmt.Sprintf(`SELECT line, project, app_id, kind, data FROM %s
WHERE line > $1 AND written_at < now() - $2::bigint * interval '1 microsecond'
ORDER BY line LIMIT 10000`, quoted(table))}, nil
}

// Dir returns the directory the mirror writes.
func (m *Mirror) Dir() string { return m.dir }

// Sync appends the rows written since the last call to their files and
// returns how many it wrote. It is not safe for concurrent use.
func (m *Mirror) Sync(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := m.page(ctx)
		total += n
		if err != nil || n < 10000 {
			return total, err
		}
	}
}

type mirrorRow struct {
	line               int64
	project, app, kind string
	data               []byte
}

// page writes up to 10,000 rows.
func (m *Mirror) page(ctx context.Context) (int, error) {
	rows, err := m.pool.Query(ctx, m.query, m.last, m.Settle.Microseconds())
	if err != nil {
		return 0, fmt.Errorf("pgtrack: reading table %q: %w", m.table, err)
	}
	var batch []mirrorRow
	for rows.Next() {
		var r mirrorRow
		if err := rows.Scan(&r.line, &r.project, &r.app, &r.kind, &r.data); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pgtrack: reading table %q: %w", m.table, err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pgtrack: reading table %q: %w", m.table, err)
	}
	// Consecutive rows of one file are written with one call.
	for i := 0; i < len(batch); {
		j := i + 1
		for j < len(batch) && batch[j].project == batch[i].project && batch[j].app == batch[i].app && batch[j].kind == batch[i].kind {
			j++
		}
		if err := m.write(batch[i:j]); err != nil {
			return i, err
		}
		m.last = batch[j-1].line
		i = j
	}
	return len(batch), nil
}

// write appends rows, all of one file, to it; graph.json and metadata.json
// are written whole, through a temporary file, so that a reader never sees
// half of one.
func (m *Mirror) write(rows []mirrorRow) error {
	r := rows[0]
	if !projectName.MatchString(r.project) || badAppID(r.app) {
		key := r.project + "/" + r.app
		if !m.bad[key] && m.report != nil {
			m.report(fmt.Errorf("pgtrack: project %q app %q cannot be written as a directory; skipped", r.project, r.app))
		}
		m.bad[key] = true
		return nil
	}
	dir := filepath.Join(m.dir, r.project, r.app)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pgtrack: mirror: %w", err)
	}
	name := filepath.Join(dir, fileOfKind[r.kind])
	switch r.kind {
	case KindGraph, KindMetadata:
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, rows[len(rows)-1].data, 0o644); err != nil {
			return fmt.Errorf("pgtrack: mirror: %w", err)
		}
		if err := os.Rename(tmp, name); err != nil {
			return fmt.Errorf("pgtrack: mirror: %w", err)
		}
		if r.kind == KindGraph { // the file tracker creates log.jsonl with graph.json
			f, err := os.OpenFile(filepath.Join(dir, fileOfKind[KindLog]), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return fmt.Errorf("pgtrack: mirror: %w", err)
			}
			return f.Close()
		}
		return nil
	case KindLog, KindChildren:
		var buf []byte
		for _, r := range rows {
			buf = append(buf, r.data...)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("pgtrack: mirror: %w", err)
		}
		_, err = f.Write(buf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("pgtrack: mirror: %w", err)
		}
		return nil
	}
	return fmt.Errorf("pgtrack: project %q app %q has a line of unknown kind %q", r.project, r.app, r.kind)
}
