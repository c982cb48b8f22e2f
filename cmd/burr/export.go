package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/tracking/pgtrack"
)

const exportUsage = `Usage: burr export --postgres DSN --project P [--app A] [--table T] [--dir DIR]

Write runs tracked into PostgreSQL (tracking/pgtrack) as Burr's tracking
files, byte for byte what the file tracker writes: DIR/P/<app id>/log.jsonl,
children.jsonl, graph.json, metadata.json. Burr's UI and "burr ui" read
them. Files of an exported application are replaced.

Flags:
  --postgres DSN   the database (a pgx connection string or URL)
  --project P      the project to export
  --app A          only this application (default: every one of the project)
  --table T        the tracking table (default burr_tracking)
  --dir DIR        where to write (default ~/.burr)
  -h, --help       show this help
`

// runExport implements "burr export". It returns 0 on success and for
// --help, 2 for bad usage, 1 when the export fails.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("burr export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("postgres", "", "")
	project := fs.String("project", "", "")
	app := fs.String("app", "", "")
	table := fs.String("table", pgtrack.DefaultTable, "")
	dir := fs.String("dir", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, exportUsage)
			return 0
		}
		return usageError(stderr, "export", "%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "export", "unexpected argument %q", fs.Arg(0))
	case *dsn == "":
		return usageError(stderr, "export", "--postgres is required")
	case *project == "":
		return usageError(stderr, "export", "--project is required")
	}
	out, err := homedir.Dir(*dir, tracking.DefaultStorageDir)
	if err != nil {
		fmt.Fprintf(stderr, "burr export: --dir: %v\n", err)
		return 2
	}
	pool, err := pgxpool.New(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "burr export: --postgres: %v\n", err)
		return 2
	}
	defer pool.Close()
	n, err := pgtrack.Export(ctx, pool, *table, *project, *app, out)
	if err != nil {
		fmt.Fprintf(stderr, "burr export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "exported %d application(s) of project %s to %s\n", n, *project, out)
	return 0
}
