package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
)

// Claims live in a table of their own, one row per application, created by
// Initialize; a database without it still saves, and says how to get it.
func TestClaimsTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burr.db")
	p := open(t, path)
	db := rawDB(t, path)
	app := burr.AppRef{AppID: "a", PartitionKey: "pk"}
	for seq := range 10 {
		if err := p.Claim(t.Context(), app.At(seq), time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := p.Save(t.Context(), burr.Record{StepRef: app.At(seq), Position: "x", Status: burr.StatusCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	var rows, seq int
	if err := db.QueryRow(`SELECT count(*), max(sequence_id) FROM burr_state_claims`).Scan(&rows, &seq); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || seq != 9 {
		t.Errorf("claims table holds %d rows, the latest for sequence id %d; want 1 row, for 9 (a claim replaces the app's earlier one)", rows, seq)
	}
	info, err := db.Query(`SELECT name, type, pk FROM pragma_table_info('burr_state_claims') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for info.Next() {
		var name, typ string
		var pk int
		if err := info.Scan(&name, &typ, &pk); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, fmt.Sprintf("%s %s %d", name, typ, pk))
	}
	info.Close()
	if got, want := strings.Join(cols, ", "), "partition_key TEXT 1, app_id TEXT 2, sequence_id INTEGER 0, expires_at INTEGER 0"; got != want {
		t.Errorf("claims table columns = %s, want %s", got, want)
	}

	// Without the claims table (a table Python Burr created has none):
	// initialized, saves work, and the first claim creates it, so that the
	// database changes only when an application uses claims.
	other := open(t, path, sqlite.WithTable("other"))
	if _, err := db.Exec(`DROP TABLE other_claims`); err != nil {
		t.Fatal(err)
	}
	if err := other.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'other_claims'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("Initialize of an existing table created its claims table (%d, %v)", n, err)
	}
	if ok, err := other.Initialized(t.Context()); err != nil || !ok {
		t.Fatalf("Initialized without the claims table = %v, %v; want true", ok, err)
	}
	if err := other.Save(t.Context(), burr.Record{StepRef: app.At(0), Position: "x", Status: burr.StatusCompleted}); err != nil {
		t.Fatalf("Save without the claims table: %v", err)
	}
	if err := other.Claim(t.Context(), app.At(1), time.Hour); err != nil {
		t.Fatalf("first Claim without the claims table: %v", err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM other_claims`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the first claim left %d rows in other_claims: %v", n, err)
	}
	if err := other.Claim(t.Context(), app.At(0), time.Hour); !errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "claimed until") {
		t.Fatalf("Claim of a step before a live claim: error = %v, want ErrConflict saying it is claimed", err)
	}

	// A database without the table at all: claims say to call Initialize.
	bare := filepath.Join(t.TempDir(), "bare.db")
	rawDB(t, bare).Exec(`CREATE TABLE unrelated (x)`)
	p2, err := sqlite.Open(t.Context(), bare, sqlite.WithTable("missing"))
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if _, err := rawDB(t, bare).Exec(`DROP TABLE missing`); err != nil {
		t.Fatal(err)
	}
	if err := p2.Claim(t.Context(), app.At(0), time.Hour); err == nil || errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "Initialize") {
		t.Fatalf("Claim without the table: error = %v, want one saying to call Initialize", err)
	}
}
