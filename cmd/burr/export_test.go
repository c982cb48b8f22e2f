package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/tracking/pgtrack"
	"github.com/burrgo/burr/ui"
)

func TestRunExportUsage(t *testing.T) {
	tests := []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"-h"}, 0, "Usage: burr export", ""},
		{[]string{"--project", "p"}, 2, "", "--postgres is required"},
		{[]string{"--postgres", "postgres://x"}, 2, "", "--project is required"},
		{[]string{"--postgres", "postgres://x", "--project", "p", "extra"}, 2, "", "unexpected argument"},
		{[]string{"--postgres", "postgres://127.0.0.1:1/x?connect_timeout=1", "--project", "p", "--dir", t.TempDir()}, 1, "", "burr export: pgtrack: reading project"},
		{[]string{"--postgres", "postgres://x", "--project", "p", "--table", "a;b", "--dir", t.TempDir()}, 1, "", "not a plain identifier"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := runExport(context.Background(), tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.errs) {
			t.Errorf("runExport(%q) = %d\nstdout %q\nstderr %q", tt.args, code, stdout.String(), stderr.String())
		}
	}
}

// A run tracked by the file tracker and the PostgreSQL tracker at once
// (the same events), exported with "burr export", gives the same files,
// byte for byte, and burr ui shows them.
func TestRunExportMatchesFileTracker(t *testing.T) {
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	table := fmt.Sprintf("burr_export_test_%d", time.Now().UnixNano()%1e9)
	if err := pgtrack.Initialize(ctx, pool, table); err != nil {
		t.Fatal(err)
	}
	defer pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pg, err := pgtrack.New(pool, "exp", pgtrack.WithTable(table), pgtrack.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	fileDir := t.TempDir()
	local, err := tracking.NewLocal("exp", tracking.WithStorageDir(fileDir), tracking.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()

	count := burr.Key[int]("count")
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		ctx, span := burr.StartSpan(ctx, "add")
		defer span.End()
		burr.LogAttributes(ctx, "n", count.Or(s, 0), "f", 2.5e-7)
		return count.Set(s, count.Or(s, 0)+1), nil
	}, burr.Reads("count"), burr.Writes("count"))
	g, err := burr.NewGraph([]*burr.Action{counter, burr.ResultAction("done", "count")},
		burr.From("counter").To("counter", burr.Expr("count < 5")), burr.From("counter").To("done"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"run-a", "run-b"} {
		app, err := burr.New(ctx, burr.WithGraph(g), burr.WithEntrypoint("counter"), burr.WithAppID(id),
			burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(local, pg))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runExport(ctx, []string{"--postgres", dsn, "--project", "exp", "--table", table, "--dir", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("export: %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exported 2 application(s)") {
		t.Errorf("stdout %q", stdout.String())
	}
	for _, id := range []string{"run-a", "run-b"} {
		for _, f := range []string{tracking.LogFile, tracking.GraphFile, tracking.MetadataFile} {
			want, err := os.ReadFile(filepath.Join(fileDir, "exp", id, f))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(out, "exp", id, f))
			if err != nil || !bytes.Equal(want, got) {
				t.Errorf("%s/%s differs (%v):\nfile tracker %q\nexported     %q", id, f, err, want, got)
			}
		}
	}
	// One application.
	one := t.TempDir()
	if code := runExport(ctx, []string{"--postgres", dsn, "--project", "exp", "--app", "run-b", "--table", table, "--dir", one}, io.Discard, &stderr); code != 0 {
		t.Fatalf("export --app: %d %s", code, stderr.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(one, "exp")); len(entries) != 1 || entries[0].Name() != "run-b" {
		t.Errorf("export --app run-b wrote %v", entries)
	}

	srv := ui.NewServer(out)
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost/projects/exp/apps/run-a", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "counter") {
		t.Errorf("burr ui on the export: %d", rec.Code)
	}
}
