package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// rollbackDB creates a database the way Python's sqlite3 does: SQLite's
// default rollback journal.
func rollbackDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "python.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE unrelated (x)`); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPragmas(t *testing.T) {
	newFile := func(t *testing.T) string { return filepath.Join(t.TempDir(), "burr.db") }
	for _, c := range []struct {
		name    string
		path    func(t *testing.T) string
		opts    []Option
		sync    int
		journal string
	}{
		{"new file", newFile, nil, 2, "wal"},
		{"new file, SyncNormal", newFile, []Option{WithSynchronous(SyncNormal)}, 1, "wal"},
		{"new file, WithWAL(false)", newFile, []Option{WithWAL(false)}, 2, "delete"},
		{"new file URI", func(t *testing.T) string { return "file:" + newFile(t) + "?cache=private" }, nil, 2, "wal"},
		{"existing rollback-journal file", rollbackDB, nil, 2, "delete"},
		{"existing file URI", func(t *testing.T) string { return "file:" + rollbackDB(t) }, nil, 2, "delete"},
		{"existing file, WithWAL(true)", rollbackDB, []Option{WithWAL(true)}, 2, "wal"},
		{"memory", func(*testing.T) string { return ":memory:" }, nil, 2, "off"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			p, err := Open(t.Context(), path, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var sync, busy int
			var journal string
			if err := p.w.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := p.w.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&journal); err != nil {
				t.Fatal(err)
			}
			if err := p.w.QueryRowContext(t.Context(), `PRAGMA busy_timeout`).Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if sync != c.sync || journal != c.journal || busy != 10000 {
				t.Errorf("synchronous=%d journal_mode=%s busy_timeout=%d, want %d %s 10000", sync, journal, busy, c.sync, c.journal)
			}
			// A claim, won or lost, leaves the connection in its mode; it
			// runs unsynced only in WAL mode, where that cannot corrupt.
			for range 2 {
				p.Claim(t.Context(), burr.AppRef{AppID: "a"}.At(0), time.Hour)
				if err := p.w.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&sync); err != nil {
					t.Fatal(err)
				}
				if sync != c.sync || p.relaxed {
					t.Errorf("synchronous=%d (relaxed %v) after a claim, want %d", sync, p.relaxed, c.sync)
				}
			}
			if relaxes, want := p.claims.relax != nil, c.journal == "wal" && c.sync == 2; relaxes != want {
				t.Errorf("claims run under synchronous=NORMAL: %v, want %v", relaxes, want)
			}
		})
	}
}

func TestNewDatabase(t *testing.T) {
	dir := t.TempDir()
	existing := rollbackDB(t)
	for path, want := range map[string]bool{
		filepath.Join(dir, "missing.db"):             true,
		"file:" + filepath.Join(dir, "missing.db"):   true,
		"file://" + filepath.Join(dir, "missing.db"): true, // file:///path
		"file://localhost" + filepath.Join(dir, "m"): true,
		existing:                        false,
		"file:" + existing + "?mode=rw": false,
		"file:" + strings.ReplaceAll(existing, "/", "%2F"): false,
		dir: false,
	} {
		if got := newDatabase(path); got != want {
			t.Errorf("newDatabase(%q) = %v, want %v", path, got, want)
		}
	}
}

// One large state does not pin its encoding buffers until Close.
func TestLargeStateBuffersReleased(t *testing.T) {
	p, err := Open(t.Context(), filepath.Join(t.TempDir(), "burr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	save := func(seq int, s burr.State) {
		t.Helper()
		if err := p.Save(t.Context(), burr.Record{StepRef: burr.AppRef{AppID: "a"}.At(seq), Position: "x", State: s, Status: burr.StatusCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	save(0, burr.State{}.Set("text", strings.Repeat("é", 1<<20)))
	if cap(p.buf) > keepBuffer || cap(p.pybuf) > keepBuffer {
		t.Errorf("after a 2 MB state the persister keeps buffers of %d and %d bytes", cap(p.buf), cap(p.pybuf))
	}
	save(1, burr.State{}.Set("n", 1))
	if cap(p.buf) == 0 || cap(p.pybuf) == 0 {
		t.Errorf("small buffers were not kept for the next save")
	}
	r, err := p.Load(t.Context(), burr.AppRef{AppID: "a"}.At(0))
	if err != nil || len(r.State.Value("text").(string)) != 2<<20 {
		t.Fatalf("large state read back wrong: %v", err)
	}
}
