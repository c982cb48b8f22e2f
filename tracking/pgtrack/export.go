package pgtrack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr/internal/trackfile"
)

// Export writes the tracking records of project from table into dir, in
// Burr's file layout (dir/<project>/<app id>/log.jsonl, children.jsonl,
// graph.json, metadata.json), byte for byte what tracking.LocalTracker
// writes for the same events, so that Burr's UI and "burr ui" read them.
// With app set, only that application is written. Existing files of an
// exported application are replaced. It returns the number of
// applications written; none is an error naming the project (and app).
func Export(ctx context.Context, pool *pgxpool.Pool, table, project, app, dir string) (int, error) {
	table, err := checkTable(table)
	if err != nil {
		return 0, err
	}
	if !projectName.MatchString(project) {
		return 0, fmt.Errorf("pgtrack: invalid project name %q", project)
	}
	query := fmt.Sprintf(`SELECT app_id, kind, data FROM %s WHERE project = $1 AND ($2 = '' OR app_id = $2) ORDER BY app_id, CASE WHEN kind = 'log' THEN sequence_id ELSE 0 END, line`, quoted(table))
	rows, err := pool.Query(ctx, query, project, app)
	if err != nil {
		return 0, fmt.Errorf("pgtrack: reading project %q from table %q: %w", project, table, err)
	}
	defer rows.Close()
	projectDir := filepath.Join(dir, project)
	var w *appWriter
	n := 0
	for rows.Next() {
		var appID, kind string
		var data []byte
		if err := rows.Scan(&appID, &kind, &data); err != nil {
			return n, fmt.Errorf("pgtrack: reading project %q: %w", project, err)
		}
		if w == nil || w.appID != appID {
			if err := w.close(); err != nil {
				return n, err
			}
			if w, err = newAppWriter(projectDir, appID); err != nil {
				return n, err
			}
			n++
		}
		if err := w.add(kind, data); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		w.close()
		return n, fmt.Errorf("pgtrack: reading project %q from table %q: %w", project, table, err)
	}
	if err := w.close(); err != nil {
		return n, err
	}
	if n == 0 {
		if app != "" {
			return 0, fmt.Errorf("pgtrack: no application %q in project %q (table %q)", app, project, table)
		}
		return 0, fmt.Errorf("pgtrack: no project %q in table %q", project, table)
	}
	return n, nil
}

// appWriter writes the files of one application.
type appWriter struct {
	appID, dir string
	files      map[string]*os.File
	bufs       map[string]*bufio.Writer
}

func newAppWriter(projectDir, appID string) (*appWriter, error) {
	if badAppID(appID) {
		return nil, fmt.Errorf("pgtrack: app id %q cannot be used as a directory name", appID)
	}
	w := &appWriter{appID: appID, dir: filepath.Join(projectDir, appID), files: map[string]*os.File{}, bufs: map[string]*bufio.Writer{}}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgtrack: exporting app %q: %w", appID, err)
	}
	return w, nil
}

// badAppID reports whether appID cannot be a directory name (the file
// tracker's rule).
func badAppID(appID string) bool {
	return appID == "" || appID == "." || appID == ".." || strings.ContainsAny(appID, `/\`) || strings.ContainsRune(appID, 0)
}

var fileOfKind = map[string]string{
	KindLog:      trackfile.LogFile,
	KindChildren: trackfile.ChildrenFile,
	KindGraph:    trackfile.GraphFile,
	KindMetadata: trackfile.MetadataFile,
}

// add appends data to the file of kind. An application the tracker
// registered (a graph row) gets a log.jsonl even before its first step, as
// the file tracker creates it.
func (w *appWriter) add(kind string, data []byte) error {
	if kind == KindGraph {
		if _, err := w.file(KindLog); err != nil {
			return err
		}
	}
	b, err := w.file(kind)
	if err != nil {
		return err
	}
	if _, err := b.Write(data); err != nil {
		return fmt.Errorf("pgtrack: exporting app %q: %w", w.appID, err)
	}
	return nil
}

func (w *appWriter) file(kind string) (*bufio.Writer, error) {
	if b := w.bufs[kind]; b != nil {
		return b, nil
	}
	name, ok := fileOfKind[kind]
	if !ok {
		return nil, fmt.Errorf("pgtrack: app %q has a line of unknown kind %q", w.appID, kind)
	}
	f, err := os.Create(filepath.Join(w.dir, name))
	if err != nil {
		return nil, fmt.Errorf("pgtrack: exporting app %q: %w", w.appID, err)
	}
	w.files[kind] = f
	w.bufs[kind] = bufio.NewWriterSize(f, 64<<10)
	return w.bufs[kind], nil
}

func (w *appWriter) close() error {
	if w == nil {
		return nil
	}
	var errs []error
	for kind, f := range w.files {
		errs = append(errs, w.bufs[kind].Flush(), f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pgtrack: exporting app %q: %w", w.appID, err)
	}
	return nil
}
