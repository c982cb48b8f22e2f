package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/persisttest"
	"github.com/burrgo/burr/persist/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string, opts ...sqlite.Option) *sqlite.Persister {
	t.Helper()
	p, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		persisttest.Run(t, func(t *testing.T) burr.Persister {
			return open(t, filepath.Join(t.TempDir(), "burr.db"))
		})
	})
	t.Run("file/SyncNormal", func(t *testing.T) {
		persisttest.Run(t, func(t *testing.T) burr.Persister {
			return open(t, filepath.Join(t.TempDir(), "burr.db"), sqlite.WithSynchronous(sqlite.SyncNormal), sqlite.WithTable("other"))
		})
	})
	t.Run("memory", func(t *testing.T) {
		persisttest.Run(t, func(t *testing.T) burr.Persister { return open(t, ":memory:") })
	})
	// A table named by an SQL keyword works like any other: every statement
	// quotes it.
	t.Run("table named select", func(t *testing.T) {
		persisttest.Run(t, func(t *testing.T) burr.Persister {
			return open(t, filepath.Join(t.TempDir(), "burr.db"), sqlite.WithTable("select"))
		})
	})
}

// Two persisters on one file behave like two processes sharing it.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	persisttest.RunShared(t, open(t, path), open(t, path))
	persisttest.RunSharedClaims(t, open(t, path), open(t, path))
}

// The same in a database Python Burr created: conflicts are detected without
// the unique index, by the INSERT's own check.
func TestSharedPythonFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "python.db")
	raw := rawDB(t, path)
	for _, q := range []string{pythonTable, pythonIndex} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	persisttest.RunShared(t, open(t, path), open(t, path))
}

// rawDB opens the file with plain SQL, as Python's sqlite3 module would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPythonFormat checks that what we write is byte for byte what Python
// Burr's SQLitePersister writes (rows taken from a run of Python Burr).
func TestPythonFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	ctx := t.Context()
	counter := burr.State{}.Set("count", 2).Set("fail", true).Set(burr.SequenceIDKey, 1).Set(burr.PriorStepKey, "counter")
	if err := p.Save(ctx, burr.Record{StepRef: burr.AppRef{AppID: "a1", PartitionKey: "pk"}.At(1), Position: "counter",
		State: counter, Status: burr.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(ctx, burr.Record{StepRef: burr.AppRef{AppID: "a1", PartitionKey: "pk"}.At(2), Position: "counter",
		State: counter.Set(burr.SequenceIDKey, 2), Status: burr.StatusFailed}); err != nil {
		t.Fatal(err)
	}
	other := burr.State{}.Set("msg", "héllo ☃ 𝄞 \"q\"\n\x7f").Set("x", 1.0).Set("y", 0.5).Set("n", nil).
		Set("l", []any{1, 2, map[string]any{"b": 1, "a": 2}}).Set("e", map[string]any{})
	if err := p.Save(ctx, burr.Record{StepRef: burr.AppRef{AppID: "a2"}.At(0), Position: "p", State: other, Status: burr.StatusCompleted}); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	rows, err := db.Query(`SELECT partition_key, app_id, sequence_id, position, status, state, CAST(created_at AS TEXT),
		typeof(partition_key), typeof(sequence_id), typeof(state), typeof(created_at) FROM burr_state ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// What Python's json.dumps writes for the same values.
	want := []string{
		`('pk','a1',1,'counter','completed','{"count": 2, "fail": true, "__SEQUENCE_ID": 1, "__PRIOR_STEP": "counter"}')`,
		`('pk','a1',2,'counter','failed','{"count": 2, "fail": true, "__SEQUENCE_ID": 2, "__PRIOR_STEP": "counter"}')`,
		`('','a2',0,'p','completed','{"msg": "h\u00e9llo \u2603 \ud834\udd1e \"q\"\n\u007f", "x": 1.0, "y": 0.5, "n": null, "l": [1, 2, {"a": 2, "b": 1}], "e": {}}')`,
	}
	timestamp := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	i := 0
	for rows.Next() {
		var pk, app, pos, status, state, created, tpk, tseq, tstate, tcreated string
		var seq int
		if err := rows.Scan(&pk, &app, &seq, &pos, &status, &state, &created, &tpk, &tseq, &tstate, &tcreated); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("('%s','%s',%d,'%s','%s','%s')", pk, app, seq, pos, status, state)
		if i >= len(want) || got != want[i] {
			t.Errorf("row %d =\n%s\nwant\n%s", i, got, want[min(i, len(want)-1)])
		}
		if !timestamp.MatchString(created) {
			t.Errorf("row %d created_at = %q, want YYYY-MM-DD HH:MM:SS", i, created)
		} else if ts, _ := time.Parse("2006-01-02 15:04:05", created); time.Since(ts).Abs() > time.Hour {
			t.Errorf("row %d created_at = %q, not UTC now", i, created)
		}
		if tpk != "text" || tseq != "integer" || tstate != "text" || tcreated != "text" {
			t.Errorf("row %d column types = %s %s %s %s, want text integer text text", i, tpk, tseq, tstate, tcreated)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("%d rows, want %d", i, len(want))
	}

	// The table has Burr's columns, types, defaults and primary key.
	info, err := db.Query(`SELECT name, type, "notnull", COALESCE(dflt_value, 'NULL'), pk FROM pragma_table_info('burr_state') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer info.Close()
	var cols []string
	for info.Next() {
		var name, typ, dflt string
		var notNull, pk int
		if err := info.Scan(&name, &typ, &notNull, &dflt, &pk); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, fmt.Sprintf("%s %s %d %s %d", name, typ, notNull, dflt, pk))
	}
	wantCols := []string{
		"partition_key TEXT 0 '' 1",
		"app_id TEXT 1 NULL 2",
		"sequence_id INTEGER 1 NULL 3",
		"position TEXT 1 NULL 4",
		"status TEXT 1 NULL 0",
		"state TEXT 1 NULL 0",
		"created_at TIMESTAMP 0 CURRENT_TIMESTAMP 0",
	}
	if strings.Join(cols, "\n") != strings.Join(wantCols, "\n") {
		t.Errorf("table_info =\n%s\nwant\n%s", strings.Join(cols, "\n"), strings.Join(wantCols, "\n"))
	}
	var idx int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'burr_state_created_at_index'`).Scan(&idx); err != nil || idx != 1 {
		t.Errorf("created_at index: count %d, %v", idx, err)
	}
}

// TestPythonSampleRows runs the application behind rows Python Burr wrote (a
// counter that fails at its third step) and compares what it saved with them:
// a completed step saves the new state, a failed one the state before it with
// the new sequence id and the old prior step.
func TestPythonSampleRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		n := burr.Key[int]("count").Or(s, 0)
		if n >= 2 && burr.Key[bool]("fail").Or(s, false) {
			return s, errors.New("fail")
		}
		return s.Set("count", n+1), nil
	}, burr.Reads("count", "fail"), burr.Writes("count"))
	app, err := burr.New(t.Context(), burr.WithActions(counter), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithState(burr.State{}.Set("count", 0).Set("fail", true)), burr.WithEntrypoint("counter"),
		burr.WithAppID("a1"), burr.WithPartitionKey("pk"), burr.WithPersister(p))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := app.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.Step(t.Context()); err == nil {
		t.Fatal("the third step did not fail")
	}
	rows, err := rawDB(t, path).Query(`SELECT partition_key, app_id, sequence_id, position, status, state FROM burr_state WHERE sequence_id >= 1 ORDER BY sequence_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var pk, app, pos, status, state string
		var seq int
		if err := rows.Scan(&pk, &app, &seq, &pos, &status, &state); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("('%s','%s',%d,'%s','%s','%s')", pk, app, seq, pos, status, state))
	}
	want := []string{
		`('pk','a1',1,'counter','completed','{"count": 2, "fail": true, "__SEQUENCE_ID": 1, "__PRIOR_STEP": "counter"}')`,
		`('pk','a1',2,'counter','failed','{"count": 2, "fail": true, "__SEQUENCE_ID": 2, "__PRIOR_STEP": "counter"}')`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows =\n%s\nwant (Python Burr's)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// pythonTable is Python Burr's SQLitePersister.create_table_if_not_exists.
const pythonTable = `
            CREATE TABLE IF NOT EXISTS burr_state (
                partition_key TEXT DEFAULT '',
                app_id TEXT NOT NULL,
                sequence_id INTEGER NOT NULL,
                position TEXT NOT NULL,
                status TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (partition_key, app_id, sequence_id, position)
            )`

// TestLoadPythonRows writes rows the way Python Burr does (its DDL, its
// INSERT, json.dumps text) and loads them here.
func TestLoadPythonRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "python.db")
	db := rawDB(t, path)
	for _, q := range []string{pythonTable, `CREATE INDEX IF NOT EXISTS burr_state_created_at_index ON burr_state (created_at);`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	insert := `INSERT INTO burr_state (partition_key, app_id, sequence_id, position, state, status) VALUES (?, ?, ?, ?, ?, ?)`
	for _, r := range [][]any{
		{"", "chat", 0, "prompt", `{"chat_history": [], "prompt": "h\u00e9llo \ud83d\ude00", "__SEQUENCE_ID": 0, "__PRIOR_STEP": "prompt"}`, "completed"},
		{"", "chat", 1, "respond", `{"chat_history": [{"role": "user", "content": "hi"}], "prompt": "h\u00e9llo \ud83d\ude00", "temperature": 0.5, "tokens": 12, "__SEQUENCE_ID": 1, "__PRIOR_STEP": "respond"}`, "completed"},
	} {
		if _, err := db.Exec(insert, r...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	ctx := t.Context()
	p, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := p.Load(ctx, burr.AppRef{AppID: "chat"}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	if r.SequenceID != 1 || r.Position != "respond" || r.Status != burr.StatusCompleted {
		t.Errorf("record = (%d, %s, %s), want (1, respond, completed)", r.SequenceID, r.Position, r.Status)
	}
	if got, want := strings.Join(r.State.Keys(), ","), "chat_history,prompt,temperature,tokens,__SEQUENCE_ID,__PRIOR_STEP"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	if v := r.State.Value("prompt"); v != "héllo 😀" {
		t.Errorf("prompt = %q", v)
	}
	if v, ok := r.State.Value("tokens").(int); !ok || v != 12 {
		t.Errorf("tokens = %#v, want int 12", r.State.Value("tokens"))
	}
	if v, ok := r.State.Value("temperature").(float64); !ok || v != 0.5 {
		t.Errorf("temperature = %#v, want 0.5", r.State.Value("temperature"))
	}
	if d := time.Since(r.CreatedAt); d < -time.Minute || d > time.Hour {
		t.Errorf("created_at = %v, want about now (UTC)", r.CreatedAt)
	}
	// The app continues, and what it saves is what Python Burr would have
	// saved: the old message and every other key as they were (key order,
	// numbers, escapes), the new message after it.
	app := resumeChat(t, p)
	for range 2 { // prompt, then respond
		if _, err := app.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var state string
	if err := rawDB(t, path).QueryRow(`SELECT state FROM burr_state WHERE app_id = 'chat' AND sequence_id = 3`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	want := `{"chat_history": [{"role": "user", "content": "hi"}, {"content": "hello", "role": "assistant"}], "prompt": "h\u00e9llo \ud83d\ude00", "temperature": 0.5, "tokens": 12, "__SEQUENCE_ID": 3, "__PRIOR_STEP": "respond"}`
	if state != want {
		t.Errorf("saved state\n%s\nwant\n%s", state, want)
	}
	ids, err := p.ListAppIDs(ctx, "")
	if err != nil || len(ids) != 1 || ids[0] != "chat" {
		t.Errorf("ListAppIDs = %q, %v", ids, err)
	}
}

func resumeChat(t *testing.T, p *sqlite.Persister) *burr.Application {
	prompt := burr.NewAction("prompt", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil })
	respond := burr.NewAction("respond", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Append("chat_history", map[string]any{"role": "assistant", "content": "hello"})
	}, burr.Writes("chat_history"))
	app, err := burr.New(t.Context(), burr.WithActions(prompt, respond),
		burr.WithTransitions(burr.From("prompt").To("respond"), burr.From("respond").To("prompt")),
		burr.WithAppID("chat"), burr.WithPersister(p),
		burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("prompt")))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestCorruptState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO burr_state (partition_key, app_id, sequence_id, position, state, status)
		VALUES ('pk', 'broken-app', 3, 'x', '{"count": 1, ', 'completed')`); err != nil {
		t.Fatal(err)
	}
	_, err := p.Load(t.Context(), burr.AppRef{AppID: "broken-app", PartitionKey: "pk"}.At(burr.Latest))
	if err == nil || !strings.Contains(err.Error(), `"broken-app"`) || !strings.Contains(err.Error(), "sequence id 3") ||
		!strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("loading a corrupt state: error = %v, want one naming the app, the sequence id and the corruption", err)
	}
	_, err = burr.New(t.Context(), burr.WithActions(burr.NewAction("x", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil })),
		burr.WithAppID("broken-app"), burr.WithPartitionKey("pk"),
		burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("x")))
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("building from a corrupt state: error = %v", err)
	}
}

// A table dropped behind the persister's back is reported as such, and
// Initialize creates it again.
func TestNotInitialized(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	if _, err := rawDB(t, path).Exec(`DROP TABLE burr_state`); err != nil {
		t.Fatal(err)
	}
	ok, err := p.Initialized(t.Context())
	if err != nil || ok {
		t.Fatalf("Initialized = %v, %v; want false", ok, err)
	}
	err = p.Save(t.Context(), burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(0), Status: burr.StatusCompleted})
	if err == nil || !strings.Contains(err.Error(), "Initialize") {
		t.Fatalf("Save before Initialize: error = %v, want one saying to call Initialize", err)
	}
	if err := p.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := p.Initialize(t.Context()); err != nil {
		t.Fatalf("second Initialize: %v", err)
	}
	if ok, err := p.Initialized(t.Context()); err != nil || !ok {
		t.Fatalf("Initialized after Initialize = %v, %v", ok, err)
	}
	if err := p.Save(t.Context(), burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(0), Status: burr.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, bad := range []sqlite.Option{sqlite.WithTable("x; DROP TABLE y"), sqlite.WithSynchronous(7), sqlite.WithBusyTimeout(-1), sqlite.WithClock(nil)} {
		if p, err := sqlite.Open(t.Context(), ":memory:", bad); err == nil {
			p.Close()
			t.Errorf("Open with a bad option succeeded")
		}
	}
}

// A persister that has been closed (the database went away) gives errors, not
// panics, and the application does not advance.
func TestClosedDatabase(t *testing.T) {
	p := open(t, filepath.Join(t.TempDir(), "burr.db"))
	persisttest.RunGoneAway(t, p, func() { p.Close() })
	if _, err := p.ListAppIDs(t.Context(), ""); err == nil {
		t.Errorf("ListAppIDs after Close succeeded")
	}
}

// Many applications in one process share one persister.
func TestManyApplications(t *testing.T) {
	p := open(t, filepath.Join(t.TempDir(), "burr.db"))
	inc := burr.NewAction("inc", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Increment("n", 1)
	}, burr.Reads("n"), burr.Writes("n"))
	const apps, steps = 16, 25
	errs := make(chan error, apps)
	for i := range apps {
		go func() {
			app, err := burr.New(context.Background(), burr.WithActions(inc), burr.WithTransitions(burr.From("inc").To("inc")),
				burr.WithState(burr.State{}.Set("n", 0)), burr.WithEntrypoint("inc"), burr.WithPersister(p),
				burr.WithAppID(fmt.Sprint("app-", i)))
			for range steps {
				if err == nil {
					_, err = app.Step(context.Background())
				}
			}
			errs <- err
		}()
	}
	for range apps {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range apps {
		r, err := p.Load(t.Context(), burr.AppRef{AppID: fmt.Sprint("app-", i)}.At(burr.Latest))
		if err != nil || r.SequenceID != steps-1 || r.State.Value("n") != steps {
			t.Fatalf("app-%d latest = (%d, n=%v), %v", i, r.SequenceID, r.State.Value("n"), err)
		}
	}
}

// schema returns what Python Burr's schema check and an administrator would
// look at: the database's tables and indexes, its journal mode and the file
// header's read/write versions (2 for WAL, 1 for a rollback journal).
func schema(t *testing.T, path string) string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, tbl, ddl string
		if err := rows.Scan(&typ, &name, &tbl, &ddl); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{typ, name, tbl, ddl}, " | "))
	}
	var journal string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	db.Close()
	header := make([]byte, 20)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, header); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s\njournal_mode=%s header versions=%d,%d", strings.Join(out, "\n"), journal, header[18], header[19])
}

// pythonIndex is Python Burr's created_at index.
const pythonIndex = `CREATE INDEX IF NOT EXISTS burr_state_created_at_index ON burr_state (created_at);`

// Using a database Python Burr created leaves its schema and journal mode as
// they were: only records are added.
func TestPythonDatabaseUnchanged(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "py.db")
	raw := rawDB(t, path)
	for _, q := range []string{pythonTable, pythonIndex} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	before := schema(t, path)
	if !strings.Contains(before, "journal_mode=delete header versions=1,1") {
		t.Fatalf("the Python-style database is not in rollback-journal mode:\n%s", before)
	}

	p, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Initialized(ctx); err != nil || !ok {
		t.Fatalf("Initialized = %v, %v", ok, err)
	}
	r := burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(1), Position: "x", State: burr.State{}.Set("n", 1), Status: burr.StatusCompleted}
	if err := p.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Conflicts are detected without an index of our own, even for another
	// position under the same sequence id (the primary key allows that one).
	r.Position = "y"
	if err := p.Save(ctx, r); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("second writer of sequence id 1: %v, want ErrConflict", err)
	}
	if got, err := p.Load(ctx, burr.AppRef{AppID: "a"}.At(burr.Latest)); err != nil || got.Position != "x" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if after := schema(t, path); after != before {
		t.Errorf("the database changed:\nbefore\n%s\nafter\n%s", before, after)
	}

	// WithWAL(true) is how one asks for WAL in such a database.
	p, err = sqlite.Open(ctx, path, sqlite.WithWAL(true))
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if after := schema(t, path); !strings.Contains(after, "journal_mode=wal header versions=2,2") {
		t.Errorf("WithWAL(true) did not switch to WAL:\n%s", after)
	}
}

// A database Open creates has Python Burr's schema, in WAL mode, plus the
// unique index that makes conflict detection part of the INSERT and the
// claims table.
func TestNewDatabaseSchema(t *testing.T) {
	ours := filepath.Join(t.TempDir(), "burr.db")
	open(t, ours).Close()
	python := filepath.Join(t.TempDir(), "python.db")
	raw := rawDB(t, python)
	for _, q := range []string{pythonTable, pythonIndex} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	strip := func(s string) string { // the DDL's indentation differs
		return strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, `"`, ""), ";", "")), " ")
	}
	got, want := strip(schema(t, ours)), strip(schema(t, python))
	want = strings.Replace(want, "journal_mode=delete header versions=1,1", "journal_mode=wal header versions=2,2", 1)
	want = strings.Replace(want, "index | sqlite_autoindex", "index | burr_state_sequence_id_index | burr_state | "+
		"CREATE UNIQUE INDEX burr_state_sequence_id_index ON burr_state (partition_key, app_id, sequence_id) index | sqlite_autoindex", 1)
	// and the claims table.
	want = strings.Replace(want, "table | burr_state | burr_state |", "index | sqlite_autoindex_burr_state_claims_1 | burr_state_claims | table | burr_state | burr_state |", 1)
	want = strings.Replace(want, " journal_mode=", " table | burr_state_claims | burr_state_claims | CREATE TABLE burr_state_claims ( partition_key TEXT NOT NULL, "+
		"app_id TEXT NOT NULL, sequence_id INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (partition_key, app_id) ) journal_mode=", 1)
	if got != want {
		t.Errorf("schema of a new database:\n%s\nwant Python Burr's (in WAL mode):\n%s", got, want)
	}
}

// A stored state of null is a damaged record, not an empty state.
func TestNullState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	if _, err := rawDB(t, path).Exec(`INSERT INTO burr_state (partition_key, app_id, sequence_id, position, state, status)
		VALUES ('', 'chat', 4, 'respond', 'null', 'completed')`); err != nil {
		t.Fatal(err)
	}
	_, err := p.Load(t.Context(), burr.AppRef{AppID: "chat"}.At(burr.Latest))
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "null") || !strings.Contains(err.Error(), `"chat"`) {
		t.Fatalf("loading a null state: %v", err)
	}
}

func TestFileMemoryURI(t *testing.T) {
	p, err := sqlite.Open(t.Context(), "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Save(t.Context(), burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(0), Position: "x", Status: burr.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Load(t.Context(), burr.AppRef{AppID: "a"}.At(burr.Latest)); err != nil {
		t.Fatal(err)
	}
}
