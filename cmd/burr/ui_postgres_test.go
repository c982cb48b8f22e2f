package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/tracking/pgtrack"
)

// "burr ui --postgres" shows the runs of the tracking table with the
// usual pages, and runs tracked after it started appear.
func TestRunUIPostgres(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	table := fmt.Sprintf("burr_ui_test_%d", time.Now().UnixNano()%1e9)
	if err := pgtrack.Initialize(ctx, pool, table); err != nil {
		t.Fatal(err)
	}
	defer pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
	tr, err := pgtrack.New(pool, "fleetui", pgtrack.WithTable(table), pgtrack.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	track := func(id string) {
		t.Helper()
		app, err := burr.New(ctx, burr.WithActions(burr.ResultAction("greet_the_fleet")), burr.WithEntrypoint("greet_the_fleet"),
			burr.WithAppID(id), burr.WithHooks(tr))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	track("first-run")

	base := startUI(t, "--postgres", dsn, "--table", table)
	// waitFor polls a page until it shows want: the mirror takes the rows
	// once they are a second old.
	waitFor := func(path, want string) {
		t.Helper()
		var code int
		var body string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if code, body = uiGet(t, base, path, "", ""); code == 200 && strings.Contains(body, want) {
				return
			}
		}
		t.Fatalf("%s never showed %q: %d %.300s", path, want, code, body)
	}
	waitFor("", "fleetui")
	waitFor("projects/fleetui", "first-run")
	waitFor("projects/fleetui/apps/first-run", "greet_the_fleet")
	track("second-run")
	waitFor("projects/fleetui", "second-run")
}

func TestRunUIPostgresUsage(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	var stdout, stderr bytes.Buffer
	if code := runUI(context.Background(), []string{"--postgres", "postgres://x", "--dir", t.TempDir()}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "exclude each other") {
		t.Errorf("--dir with --postgres: %d %q", code, stderr.String())
	}
	stderr.Reset()
	if code := runUI(context.Background(), []string{"--addr", "127.0.0.1:0", "--postgres", "postgres://127.0.0.1:1/x?connect_timeout=1"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "burr ui: pgtrack: reading table") {
		t.Errorf("unreachable database: %d %q", code, stderr.String())
	}
}
