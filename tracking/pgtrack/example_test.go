package pgtrack_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking/pgtrack"
)

// Track runs into PostgreSQL, the database every server of a fleet
// persists to, then write them out as Burr's files for the UI ("burr
// export" does the same from the command line). It needs a database, so it
// is compiled but not run.
func ExampleOpen() {
	ctx := context.Background()
	dsn := "postgres://burr@db/burr"
	tracker, err := pgtrack.Open(ctx, dsn, "chat")
	if err != nil {
		panic(err)
	}
	app, err := burr.New(ctx, burr.WithActions(burr.ResultAction("hello")), burr.WithEntrypoint("hello"),
		burr.WithAppID("run-1"), burr.WithHooks(tracker))
	if err != nil {
		panic(err)
	}
	if _, err := app.Step(ctx); err != nil {
		panic(err)
	}
	if err := tracker.Close(); err != nil { // writes what is queued
		panic(err)
	}

	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	n, err := pgtrack.Export(ctx, pool, pgtrack.DefaultTable, "chat", "", "/tmp/burr-export")
	fmt.Println(n, err) // /tmp/burr-export/chat/run-1/log.jsonl, graph.json, metadata.json
}
