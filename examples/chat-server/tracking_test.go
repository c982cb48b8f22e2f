package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/postgres"
	"github.com/burrgo/burr/tracking/pgtrack"
)

// Two instances on one PostgreSQL track one conversation into one store:
// its export holds the turns of both, in order, for the tracking UI.
func TestFleetTracksIntoPostgres(t *testing.T) {
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	ctx := context.Background()
	var trackers []*pgtrack.Tracker
	var bases []string
	var pool *postgres.Persister
	for range 2 {
		p, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		tr, err := openTracker(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		s, srv := instance(t, p, &llm.Offline{})
		s.tracker = tr
		trackers, bases, pool = append(trackers, tr), append(bases, srv.URL), p
	}
	id := newID()
	t.Cleanup(func() {
		pool.Pool().Exec(context.Background(), `DELETE FROM `+pgtrack.DefaultTable+` WHERE project = $1 AND app_id = $2`, trackingProject, id)
	})
	say(t, bases[0], id, "Hello from A")
	say(t, bases[1], id, "Hello from B")
	for _, tr := range trackers {
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tr.Err(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if n, err := pgtrack.Export(ctx, pool.Pool(), pgtrack.DefaultTable, trackingProject, id, dir); err != nil || n != 1 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	log, err := os.ReadFile(filepath.Join(dir, trackingProject, id, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if strings.HasPrefix(line, `{"type":"end_entry"`) {
			n, err := strconv.Atoi(line[strings.LastIndex(line, `"sequence_id":`)+len(`"sequence_id":`) : len(line)-1])
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			seqs = append(seqs, n)
		}
	}
	if len(seqs) < 2 {
		t.Errorf("end_entry sequence ids %v", seqs)
	}
	if !strings.Contains(string(log), "Hello from A") || !strings.Contains(string(log), "Hello from B") {
		t.Errorf("the log lacks a turn:\n%s", log)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("end_entry sequence ids out of order: %v", seqs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, trackingProject, id, "graph.json")); err != nil {
		t.Error(err)
	}
}
