package burr_test

import (
	"regexp"
	"testing"

	"github.com/burrgo/burr"
)

func TestNewAppID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 10000 {
		id := burr.NewAppID()
		if !re.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	if id := mustNew(t, burr.WithActions(counterAction("c")), burr.WithEntrypoint("c")).Ref().AppID; !re.MatchString(id) {
		t.Fatalf("default app id %q", id)
	}
}
