package memory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
)

// Claims expire by the persister's clock.
func TestClaimsExpireByTheClock(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := memory.New(memory.WithClock(func() time.Time { return now }))
	at := burr.AppRef{AppID: "a"}.At(3)
	if err := p.Claim(t.Context(), at, time.Minute); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute - time.Nanosecond)
	if err := p.Claim(t.Context(), at, time.Minute); !errors.Is(err, burr.ErrConflict) || !strings.Contains(err.Error(), "claimed until 2025-01-01T00:01:00Z") {
		t.Fatalf("Claim before the claim expires: error = %v, want ErrConflict saying until when", err)
	}
	if err := p.Claim(t.Context(), burr.AppRef{AppID: "a"}.At(2), time.Minute); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("Claim of an earlier step before the claim expires: error = %v, want ErrConflict", err)
	}
	now = now.Add(time.Nanosecond)
	if err := p.Claim(t.Context(), burr.AppRef{AppID: "a"}.At(2), time.Minute); err != nil {
		t.Fatalf("Claim once the claim expired: %v", err)
	}
}
