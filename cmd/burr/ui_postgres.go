package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/burrgo/burr/tracking/pgtrack"
)

// mirrorPoll is how often "burr ui --postgres" looks for new lines.
const mirrorPoll = 500 * time.Millisecond

// startMirror copies the tracking table into a temporary directory in
// Burr's file layout and keeps it up to date until stop is called, which
// also removes the directory. A failing poll is reported on stderr once,
// and again after it worked in between.
func startMirror(ctx context.Context, dsn, table string, stderr io.Writer) (dir string, stop func(), err error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("--postgres: %w", err)
	}
	dir, err = os.MkdirTemp("", "burr-ui-postgres-")
	if err != nil {
		pool.Close()
		return "", nil, err
	}
	m, err := pgtrack.NewMirror(pool, table, dir, func(err error) { fmt.Fprintf(stderr, "burr ui: %v\n", err) })
	if err == nil {
		_, err = m.Sync(ctx)
	}
	if err != nil {
		pool.Close()
		os.RemoveAll(dir)
		return "", nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(mirrorPoll)
		defer tick.Stop()
		failing := false
		for {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			_, err := m.Sync(pctx)
			switch {
			case err != nil && pctx.Err() == nil && !failing:
				fmt.Fprintf(stderr, "burr ui: %v (retrying)\n", err)
				failing = true
			case err == nil && failing:
				fmt.Fprintln(stderr, "burr ui: reading the tracking table again")
				failing = false
			}
		}
	})
	return dir, func() {
		cancel()
		wg.Wait()
		pool.Close()
		os.RemoveAll(dir)
	}, nil
}
