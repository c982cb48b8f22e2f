package postgres_test

import (
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// Claims live in a table of their own, one row per application, created by
// Initialize.
func TestClaimsTable(t *testing.T) {
	table := newTable(t)
	p := open(t, table)
	app := burr.AppRef{AppID: "a", PartitionKey: "pk"}
	for seq := range 5 {
		if err := p.Claim(t.Context(), app.At(seq), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var rows, seq int
	if err := p.Pool().QueryRow(t.Context(), "SELECT count(*), max(sequence_id) FROM "+table+"_claims").Scan(&rows, &seq); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || seq != 4 {
		t.Errorf("claims table holds %d rows, the latest for sequence id %d; want 1 row, for 4", rows, seq)
	}
	if _, err := p.Pool().Exec(t.Context(), "DROP TABLE "+table+"_claims"); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Initialized(t.Context()); err != nil || ok {
		t.Fatalf("Initialized without the claims table = %v, %v; want false", ok, err)
	}
	if err := p.Claim(t.Context(), app.At(5), time.Hour); err == nil {
		t.Fatal("Claim without the claims table succeeded")
	}
	if err := p.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Initialized(t.Context()); err != nil || !ok {
		t.Fatalf("Initialized after Initialize = %v, %v", ok, err)
	}
	if err := p.Claim(t.Context(), app.At(5), time.Hour); err != nil {
		t.Fatal(err)
	}
}
