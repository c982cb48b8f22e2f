package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/tracking/pgtrack"
)

// BenchmarkW1PostgresTracker is W1 with the PostgreSQL tracker on
// (BURR_TEST_POSTGRES_DSN), in a fresh table: two rows per step. The timed
// part of each repetition ends when every row of the run is written
// (Flush), so that ns/step is the amortized cost, writing included.
func BenchmarkW1PostgresTracker(b *testing.B) {
	ctx := context.Background()
	tr := benchPGTracker(b)

	const n = 10_000
	g := w1Graph(b, n)
	var m meter
	for run := 0; b.Loop(); run++ {
		b.StopTimer()
		app := newW1App(b, g, burr.WithHooks(tr), burr.WithAppID(fmt.Sprint("w1-", run)))
		m.start(b)
		res, err := app.Run(ctx, burr.HaltAfter("done"))
		if err == nil {
			err = tr.Flush(ctx)
		}
		m.stop(b, n+1)
		if err != nil {
			b.Fatal(err)
		}
		checkW1(b, res, n)
		b.StartTimer()
	}
	if tr.Dropped() != 0 || tr.Err() != nil {
		b.Fatalf("dropped %d, err %v", tr.Dropped(), tr.Err())
	}
	m.report(b, "step")
}

// BenchmarkW1PostgresTracker10Apps is ten W1 applications (1,000 steps
// each) running at once through one PostgreSQL tracker; ns/step is the
// wall time per step of all ten, until every row is written.
func BenchmarkW1PostgresTracker10Apps(b *testing.B) {
	ctx := context.Background()
	tr := benchPGTracker(b)

	const apps, n = 10, 1_000
	g := w1Graph(b, n)
	var m meter
	for run := 0; b.Loop(); run++ {
		b.StopTimer()
		list := make([]*burr.Application, apps)
		for i := range list {
			list[i] = newW1App(b, g, burr.WithHooks(tr), burr.WithAppID(fmt.Sprintf("w1-%d-%d", run, i)))
		}
		errs := make(chan error, apps)
		m.start(b)
		for _, app := range list {
			go func() {
				res, err := app.Run(ctx, burr.HaltAfter("done"))
				if err == nil && counterKey.Or(res.State, -1) != n {
					err = fmt.Errorf("ended with %v", res.State)
				}
				errs <- err
			}()
		}
		for range apps {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		err := tr.Flush(ctx)
		m.stop(b, apps*(n+1))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if tr.Dropped() != 0 || tr.Err() != nil {
		b.Fatalf("dropped %d, err %v", tr.Dropped(), tr.Err())
	}
	m.report(b, "step")
}

// benchPGTracker returns a PostgreSQL tracker (BURR_TEST_POSTGRES_DSN) on a
// fresh table of its own, which the benchmark's cleanup drops.
func benchPGTracker(b *testing.B) *pgtrack.Tracker {
	b.Helper()
	dsn := testenv.Server(b, testenv.PostgresDSN, "PostgreSQL")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	table := fmt.Sprintf("burr_tracking_bench_%d", time.Now().UnixNano()%1e9)
	if err := pgtrack.Initialize(ctx, pool, table); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
	tr, err := pgtrack.New(pool, "bench", pgtrack.WithTable(table), pgtrack.WithBlockWhenFull(),
		pgtrack.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	return tr
}
