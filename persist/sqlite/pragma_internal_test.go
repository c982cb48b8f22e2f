package sqlite

import (
	"path/filepath"
	"testing"
)

func TestPragmas(t *testing.T) {
	for _, c := range []struct {
		opts    []Option
		sync    int
		journal string
		memory  bool
	}{
		{nil, 2, "wal", false},
		{[]Option{WithSynchronous(SyncNormal)}, 1, "wal", false},
		{nil, 2, "off", true},
	} {
		path := ":memory:"
		if !c.memory {
			path = filepath.Join(t.TempDir(), "burr.db")
		}
		p, err := Open(t.Context(), path, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
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
			t.Errorf("%s %v: synchronous=%d journal_mode=%s busy_timeout=%d, want %d %s 10000", path, c.opts, sync, journal, busy, c.sync, c.journal)
		}
		p.Close()
	}
}
