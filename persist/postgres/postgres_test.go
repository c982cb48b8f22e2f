package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/persisttest"
	"github.com/burrgo/burr/persist/postgres"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dsn returns the test server's DSN, skipping the test when none is
// configured (failing it on CI, where the server must be there).
func dsn(t *testing.T) string {
	t.Helper()
	return testenv.Server(t, testenv.PostgresDSN, "PostgreSQL")
}

var tableSeq atomic.Int64

// newTable returns a fresh table name, dropped when the test ends.
func newTable(t *testing.T) string {
	t.Helper()
	d := dsn(t)
	name := fmt.Sprintf("burr_test_%d_%d", time.Now().UnixNano(), tableSeq.Add(1))
	t.Cleanup(func() {
		pool, err := pgxpool.New(context.Background(), d)
		if err != nil {
			t.Error(err)
			return
		}
		defer pool.Close()
		if _, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+name+", "+name+"_claims"); err != nil {
			t.Error(err)
		}
	})
	return name
}

func open(t *testing.T, table string) *postgres.Persister {
	t.Helper()
	p, err := postgres.Open(t.Context(), dsn(t), postgres.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	dsn(t)
	persisttest.Run(t, func(t *testing.T) burr.Persister { return open(t, newTable(t)) })
}

// Two pools on one table are two servers of a fleet: two Applications with
// the same app id never overwrite each other's steps.
func TestFleet(t *testing.T) {
	table := newTable(t)
	persisttest.RunShared(t, open(t, table), open(t, table))
	persisttest.RunSharedClaims(t, open(t, table), open(t, table))
}

// Servers starting at once all initialise the table.
func TestConcurrentInitialize(t *testing.T) {
	table := newTable(t)
	p := open(t, table)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- p.Initialize(context.Background()) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Rows written by Python Burr (no state_keys) load, in JSONB's key order.
func TestPythonRows(t *testing.T) {
	table := newTable(t)
	p := open(t, table)
	_, err := p.Pool().Exec(t.Context(), fmt.Sprintf(`INSERT INTO %s (partition_key, app_id, sequence_id, position, state, status)
		VALUES ('', 'py', 0, 'a', '{"count": 2, "fail": true, "__SEQUENCE_ID": 0, "__PRIOR_STEP": "a"}', 'completed')`, table))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Load(t.Context(), burr.AppRef{AppID: "py"}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	if r.State.Value("count") != 2 || r.State.Value("fail") != true {
		t.Errorf("state = %v", r.State)
	}
	if seq, _ := r.State.SequenceID(); seq != 0 {
		t.Errorf("sequence id in state = %d", seq)
	}
}

func TestCorruptKeys(t *testing.T) {
	// A state_keys column naming keys the document lacks, or missing some, still
	// loads every key of the document.
	table := newTable(t)
	p := open(t, table)
	_, err := p.Pool().Exec(t.Context(), fmt.Sprintf(`INSERT INTO %s (partition_key, app_id, sequence_id, position, state, status, state_keys)
		VALUES ('', 'odd', 0, 'a', '{"b": 1, "a": 2, "c": 3}', 'completed', '{c,zz,a}')`, table))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Load(t.Context(), burr.AppRef{AppID: "odd"}.At(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.State.Keys(), ","); got != "c,a,b" {
		t.Errorf("keys = %s, want c,a,b", got)
	}
}

// The database going away mid-run gives errors, never a panic, and the
// application does not advance past what was saved.
func TestDatabaseGoesAway(t *testing.T) {
	t.Run("pool closed", func(t *testing.T) {
		p := open(t, newTable(t))
		persisttest.RunGoneAway(t, p, func() { p.Close() })
	})
	t.Run("connections killed", func(t *testing.T) {
		table := newTable(t)
		admin := open(t, table)
		persisttest.RunConnectionsDropped(t, open(t, table), func() {
			// Kill every connection of the persister's pool.
			if _, err := admin.Pool().Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ''`); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestBadTable(t *testing.T) {
	if _, err := postgres.Open(t.Context(), "postgres://localhost:1/x", postgres.WithTable("x;drop")); err == nil {
		t.Fatal("a bad table name was accepted")
	}
}

func TestLongTableNameRejected(t *testing.T) {
	_, err := postgres.New(nil, postgres.WithTable(strings.Repeat("t", 46)))
	if err == nil || !strings.Contains(err.Error(), "at most 45") {
		t.Fatalf("want a length error, got %v", err)
	}
}

// New wraps a pool without I/O: the table is created by Initialize, and Close
// leaves the pool to its owner.
func TestNewWrapsPool(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p, err := postgres.New(pool, postgres.WithTable(newTable(t)))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Initialized(ctx); err != nil || ok {
		t.Fatalf("Initialized = %v, %v before Initialize; want false", ok, err)
	}
	if _, err := burr.New(ctx, burr.WithActions(burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })),
		burr.WithEntrypoint("a"), burr.WithPersister(p)); err == nil || !strings.Contains(err.Error(), "not initialized") {
		t.Fatalf("New with an uninitialized persister: %v", err)
	}
	if err := p.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Initialized(ctx); err != nil || !ok {
		t.Fatalf("Initialized = %v, %v after Initialize", ok, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("the pool was closed with the persister: %v", err)
	}
}

// A table named by an SQL keyword works like any other (every statement
// quotes it), and a name in capitals names the table PostgreSQL would make of
// it unquoted.
func TestTableNames(t *testing.T) {
	ctx := t.Context()
	d := dsn(t)
	pool, err := pgxpool.New(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // after drop, which is registered later
	mixed := fmt.Sprintf("Burr_Mixed_%d", time.Now().UnixNano())
	drop := func() {
		for _, name := range []string{`"select"`, `"select_claims"`, strings.ToLower(mixed), strings.ToLower(mixed) + "_claims"} {
			if _, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+name); err != nil {
				t.Error(err)
			}
		}
	}
	drop()
	t.Cleanup(drop)
	for _, name := range []string{"select", mixed} {
		p := open(t, name)
		r := burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(0), Position: "x", State: burr.State{}.Set("n", 1), Status: burr.StatusCompleted}
		if err := p.Save(ctx, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := p.Save(ctx, r); !errors.Is(err, burr.ErrConflict) {
			t.Fatalf("%s: second save: %v, want ErrConflict", name, err)
		}
		if got, err := p.Load(ctx, burr.AppRef{AppID: "a"}.At(burr.Latest)); err != nil || got.State.Value("n") != 1 {
			t.Fatalf("%s: Load = %v, %v", name, got.State, err)
		}
		if ok, err := p.Initialized(ctx); err != nil || !ok {
			t.Fatalf("%s: Initialized = %v, %v", name, ok, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+strings.ToLower(mixed)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the table %s (folded to lower case, as unquoted) holds %d rows: %v", mixed, n, err)
	}
}

// A stored state of null is a damaged record, not an empty state.
func TestNullState(t *testing.T) {
	table := newTable(t)
	p := open(t, table)
	if _, err := p.Pool().Exec(t.Context(), fmt.Sprintf(`INSERT INTO %s (partition_key, app_id, sequence_id, position, state, status)
		VALUES ('', 'chat', 4, 'respond', 'null', 'completed')`, table)); err != nil {
		t.Fatal(err)
	}
	_, err := p.Load(t.Context(), burr.AppRef{AppID: "chat"}.At(burr.Latest))
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "null") {
		t.Fatalf("loading a null state: %v", err)
	}
}
