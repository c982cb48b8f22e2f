package pgtrack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/tracking"
	"github.com/burrgo/burr/tracking/pgtrack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var tableSeq atomic.Int64

// newPool returns a pool on the test server and a fresh tracking table in
// it, dropped when the test ends.
func newPool(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("burr_tracking_test_%d_%d", time.Now().UnixNano()%1e9, tableSeq.Add(1))
	if err := pgtrack.Initialize(t.Context(), pool, table); err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table); err != nil {
			t.Error(err)
		}
		pool.Close()
	})
	return pool, table
}

func newTracker(t *testing.T, pool *pgxpool.Pool, table string, opts ...pgtrack.Option) *pgtrack.Tracker {
	t.Helper()
	tr, err := pgtrack.New(pool, "fleet", append([]pgtrack.Option{pgtrack.WithTable(table), pgtrack.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// counterGraph counts to n, with a span and attributes (one a float that
// Burr writes in pydantic's style) per step, and fails on the step given
// by the input "fail".
func counterGraph(t testing.TB, n int) *burr.Graph {
	count := burr.Key[int]("count")
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		ctx, span := burr.StartSpan(ctx, "add-one")
		defer span.End()
		c := count.Or(s, 0) + 1
		if f, ok := in["fail"].(int); ok && f == c {
			return nil, s, fmt.Errorf("count %d refused", c)
		}
		burr.LogAttributes(ctx, "count", c, "ratio", 1e-05, "text", "é\u2028<>&")
		return burr.Result{"count": c}, count.Set(s, c), nil
	}, burr.Reads("count"), burr.Writes("count"), burr.OptionalInputs("fail"))
	done := burr.ResultAction("done", "count")
	g, err := burr.NewGraph([]*burr.Action{counter, done},
		burr.From("counter").To("counter", burr.Expr(fmt.Sprintf("count < %d", n))),
		burr.From("counter").To("done"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var eventTime = regexp.MustCompile(`"event_time":"[^"]*"`)

// The PostgreSQL tracker and the file tracker, fed the same events, give
// the same files byte for byte once the store is exported: steps, spans,
// attributes, a failed step, a resumed application, a fork and spawned
// children. Only the time of a children line is taken by each tracker on
// its own, and is compared after masking.
func TestExportSameBytesAsFileTracker(t *testing.T) {
	ctx := context.Background()
	pool, table := newPool(t)
	pg := newTracker(t, pool, table)
	fileDir := t.TempDir()
	local, err := tracking.NewLocal("fleet", tracking.WithStorageDir(fileDir), tracking.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	hooks := burr.WithHooks(local, pg)

	app, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 4)), burr.WithEntrypoint("counter"), burr.WithAppID("run-1"),
		burr.WithPartitionKey("user-7"), burr.WithState(burr.State{}.Set("count", 0)), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatal(err)
	}
	failing, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 4)), burr.WithEntrypoint("counter"), burr.WithAppID("run-2"),
		burr.WithState(burr.State{}.Set("count", 0)), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := failing.Run(ctx, burr.HaltAfter("done"), burr.WithInputs(burr.Inputs{"fail": 2})); err == nil {
		t.Fatal("the failing run succeeded")
	}
	// Resumed: graph.json and metadata.json are kept, the log goes on.
	resumed, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 4)), burr.WithAppID("run-2"), hooks,
		burr.WithInitializeFrom(local, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resumed.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatal(err)
	}
	fork, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 4)), burr.WithAppID("fork-1"), burr.WithPartitionKey("user-7"), hooks,
		burr.WithInitializeFrom(local, burr.ForkFrom(burr.AppRef{AppID: "run-1", PartitionKey: "user-7"}.At(1)),
			burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fork.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"child-1", "child-2"} {
		child, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 1)), burr.WithEntrypoint("counter"), burr.WithAppID(id),
			burr.WithState(burr.State{}.Set("count", 0)), hooks, burr.WithSpawningParent(burr.AppRef{AppID: "run-1", PartitionKey: "user-7"}.At(3)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := child.Run(ctx, burr.HaltAfter("done")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(local.Err(), pg.Err()); err != nil {
		t.Fatal(err)
	}

	outDir := t.TempDir()
	n, err := pgtrack.Export(ctx, pool, table, "fleet", "", outDir)
	if err != nil || n != 5 {
		t.Fatalf("Export = %d, %v; want 5 applications", n, err)
	}
	compareTrees(t, filepath.Join(fileDir, "fleet"), filepath.Join(outDir, "fleet"))

	// One application alone.
	oneDir := t.TempDir()
	if n, err := pgtrack.Export(ctx, pool, table, "fleet", "fork-1", oneDir); err != nil || n != 1 {
		t.Fatalf("Export fork-1 = %d, %v", n, err)
	}
	compareTrees(t, filepath.Join(fileDir, "fleet", "fork-1"), filepath.Join(oneDir, "fleet", "fork-1"))
	if _, err := pgtrack.Export(ctx, pool, table, "fleet", "nope", oneDir); err == nil {
		t.Error("exporting a missing application succeeded")
	}
	if _, err := pgtrack.Export(ctx, pool, table, "other", "", oneDir); err == nil {
		t.Error("exporting a missing project succeeded")
	}
}

// compareTrees checks that the two directories hold the same files with
// the same bytes (children.jsonl with event_time masked).
func compareTrees(t *testing.T, want, got string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(want, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, path)
		files++
		w, _ := os.ReadFile(path)
		g, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if d.Name() == tracking.ChildrenFile {
			w, g = eventTime.ReplaceAll(w, []byte(`"event_time":"T"`)), eventTime.ReplaceAll(g, []byte(`"event_time":"T"`))
		}
		if string(w) != string(g) {
			t.Errorf("%s differs:\nfile tracker:\n%s\nexported:\n%s", rel, w, g)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gotFiles := 0
	filepath.WalkDir(got, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			gotFiles++
		}
		return err
	})
	if files == 0 || files != gotFiles {
		t.Errorf("file tracker wrote %d files, export %d", files, gotFiles)
	}
}

// Ten applications running at once through one tracker: every line
// arrives, in its application's order.
func TestConcurrentApplications(t *testing.T) {
	ctx := context.Background()
	pool, table := newPool(t)
	pg := newTracker(t, pool, table)
	const apps, steps = 10, 200
	var wg sync.WaitGroup
	errs := make(chan error, apps)
	for i := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app, err := burr.New(ctx, burr.WithGraph(counterGraph(t, steps)), burr.WithEntrypoint("counter"),
				burr.WithAppID(fmt.Sprint("app-", i)), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(pg))
			if err == nil {
				_, err = app.Run(ctx, burr.HaltAfter("done"))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if pg.Dropped() != 0 || pg.Err() != nil {
		t.Fatalf("dropped %d, err %v", pg.Dropped(), pg.Err())
	}
	// Per step: begin_entry, end_entry, begin_span, attribute (one row),
	// end_span; the done step has no span; plus graph and metadata.
	rows, err := pool.Query(ctx, `SELECT app_id, count(*), bool_and(kind IN ('log','graph','metadata')) FROM `+table+` GROUP BY app_id ORDER BY app_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id string
		var n int
		var ok bool
		if err := rows.Scan(&id, &n, &ok); err != nil {
			t.Fatal(err)
		}
		seen++
		if want := steps*5 + 2 + 2; n != want || !ok {
			t.Errorf("%s: %d rows, want %d", id, n, want)
		}
	}
	if seen != apps {
		t.Errorf("%d applications stored, want %d", seen, apps)
	}
	// Each application's lines are in order: the sequence ids of its
	// end_entry lines increase with the line number.
	var disorder int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT (convert_from(data, 'UTF8')::json->>'sequence_id')::int - lag((convert_from(data, 'UTF8')::json->>'sequence_id')::int)
			OVER (PARTITION BY app_id ORDER BY line) AS d
		FROM `+table+` WHERE kind = 'log' AND data LIKE '{"type":"end_entry"%') s WHERE d <> 1`).Scan(&disorder); err != nil {
		t.Fatal(err)
	}
	if disorder != 0 {
		t.Errorf("%d end_entry lines out of order", disorder)
	}
}

// PostgreSQL dropping every connection of the tracker's pool mid-run: the
// run goes on, the failure is reported, and the lines are written once the
// pool reconnects.
func TestConnectionsTerminated(t *testing.T) {
	ctx := context.Background()
	pool, table := newPool(t)
	dsn := testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "pgtrack-victim"
	victim, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var reported atomic.Int32
	pg := newTracker(t, victim, table, pgtrack.WithErrorHandler(func(error) { reported.Add(1) }))

	const steps = 50
	killAt := burr.Key[int]("count")
	var once sync.Once
	kill := func() {
		if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'pgtrack-victim'`); err != nil {
			t.Error(err)
		}
	}
	killer := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		n := killAt.Or(s, 0) + 1
		if n == steps/2 {
			// Make sure the victim has connections, then kill them.
			if err := pg.Flush(ctx); err != nil {
				return s, err
			}
			once.Do(kill)
		}
		return killAt.Set(s, n), nil
	}, burr.Reads("count"), burr.Writes("count"))
	g, err := burr.NewGraph([]*burr.Action{killer, burr.ResultAction("done", "count")},
		burr.From("counter").To("counter", burr.Expr(fmt.Sprintf("count < %d", steps))),
		burr.From("counter").To("done"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(ctx, burr.WithGraph(g), burr.WithEntrypoint("counter"), burr.WithAppID("restarted"),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(pg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := pg.Flush(flushCtx); err != nil {
		t.Fatalf("Flush after the connections were killed: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE app_id = 'restarted' AND kind = 'log'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := 2 * (steps + 1); n != want || pg.Dropped() != 0 {
		t.Errorf("%d log lines stored (want %d), %d dropped", n, want, pg.Dropped())
	}
	t.Logf("errors reported: %d (%v)", reported.Load(), pg.Err())
}

// A database that cannot be reached: the runs go on at full speed, the
// lines beyond the queue's bound are dropped and reported, and Close gives
// up after its timeout.
func TestUnreachableDatabaseDrops(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://burr@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var reported atomic.Int32
	tr, err := pgtrack.New(pool, "fleet", pgtrack.WithLogger(quiet), pgtrack.WithQueueSize(4),
		pgtrack.WithCloseTimeout(200*time.Millisecond), pgtrack.WithErrorHandler(func(error) { reported.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 20)), burr.WithEntrypoint("counter"),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	if tr.Dropped() == 0 || reported.Load() == 0 {
		t.Errorf("dropped %d, reported %d", tr.Dropped(), reported.Load())
	}
	if err := tr.Close(); err == nil {
		t.Error("Close reported no lost lines")
	}
	// After Close, hooks still return nil.
	if err := tr.PreRunStep(ctx, &burr.StepStart{AppContext: burr.AppContext{Action: burr.ResultAction("x")}}); err != nil {
		t.Error(err)
	}
}

func TestBadNames(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgtrack.New(pool, "bad project"); err == nil {
		t.Error("a bad project name was accepted")
	}
	if _, err := pgtrack.New(pool, "p", pgtrack.WithTable("x;drop")); err == nil {
		t.Error("a bad table name was accepted")
	}
	if _, err := pgtrack.Export(context.Background(), pool, "x;drop", "p", "", t.TempDir()); err == nil {
		t.Error("Export took a bad table name")
	}
}

// A Mirror writes the store as the file tracker's files, then appends only
// what was written since.
func TestMirror(t *testing.T) {
	ctx := context.Background()
	pool, table := newPool(t)
	pg := newTracker(t, pool, table)
	fileDir := t.TempDir()
	local, err := tracking.NewLocal("fleet", tracking.WithStorageDir(fileDir), tracking.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	run := func(id string) {
		t.Helper()
		app, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 3)), burr.WithEntrypoint("counter"), burr.WithAppID(id),
			burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(local, pg))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
			t.Fatal(err)
		}
		if err := pg.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mirrorDir := t.TempDir()
	m, err := pgtrack.NewMirror(pool, table, mirrorDir, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	m.Settle = 0
	if n, err := m.Sync(ctx); err != nil || n != 0 {
		t.Fatalf("Sync of an empty table = %d, %v", n, err)
	}
	run("run-1")
	n, err := m.Sync(ctx)
	if err != nil || n == 0 {
		t.Fatalf("Sync = %d, %v", n, err)
	}
	compareTrees(t, filepath.Join(fileDir, "fleet"), filepath.Join(mirrorDir, "fleet"))
	if n, err := m.Sync(ctx); err != nil || n != 0 {
		t.Fatalf("Sync with nothing new = %d, %v", n, err)
	}
	run("run-2")
	// A fork of run-1: run-1 gets a children.jsonl.
	app, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 3)), burr.WithAppID("fork"), burr.WithHooks(local, pg),
		burr.WithInitializeFrom(local, burr.ForkFrom(burr.AppRef{AppID: "run-1"}.At(1)), burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("done")); err != nil {
		t.Fatal(err)
	}
	if err := pg.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Sync(ctx); err != nil || n == 0 {
		t.Fatalf("second Sync = %d, %v", n, err)
	}
	compareTrees(t, filepath.Join(fileDir, "fleet"), filepath.Join(mirrorDir, "fleet"))
}

// Two servers answer successive steps of one application, and the second
// one's tracker writes first: the export still has the steps in order.
func TestExportOrdersStepsOfSeveralWriters(t *testing.T) {
	ctx := context.Background()
	pool, table := newPool(t)
	first, second := newTracker(t, pool, table), newTracker(t, pool, table)
	act := burr.ResultAction("answer")
	step := func(tr *pgtrack.Tracker, seq int) {
		t.Helper()
		ac := burr.AppContext{StepRef: burr.AppRef{AppID: "chat-1"}.At(seq), Action: act}
		now := time.Date(2026, 1, 2, 3, 4, 5, seq*1000, time.UTC)
		tr.PreRunStep(ctx, &burr.StepStart{AppContext: ac, Time: now})
		tr.PostRunStep(ctx, &burr.StepEnd{AppContext: ac, State: burr.State{}.Set("n", seq), Result: burr.Result{}, Time: now})
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(second, 2)
	step(first, 0)
	step(first, 1)
	dir := t.TempDir()
	if _, err := pgtrack.Export(ctx, pool, table, "fleet", "chat-1", dir); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "fleet", "chat-1", tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	seqRE := regexp.MustCompile(`"sequence_id":(\d+)\}`)
	var got string
	for _, m := range seqRE.FindAllSubmatch(log, -1) {
		got += string(m[1])
	}
	if got != "001122" {
		t.Errorf("sequence ids in the exported log: %s, want 001122\n%s", got, log)
	}
}
