package persisttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// claimChecks are the checks Run makes of a persister that is a
// burr.Claimer.
var claimChecks = []struct {
	name string
	fn   func(*testing.T, burr.Persister, burr.Claimer)
}{
	{"Claim", testClaim},
	{"ClaimSavedStep", testClaimSaved},
	{"ClaimLaterStep", testClaimLater},
	{"ClaimConcurrent", testClaimConcurrent},
	{"ClaimExpires", testClaimExpires},
	{"ClaimInvalid", testClaimInvalid},
	{"ClaimApplication", testClaimApplication},
}

// longTTL is a ttl no test outlives.
const longTTL = time.Hour

func ref(pk, app string, seq int) burr.StepRef {
	return burr.AppRef{AppID: app, PartitionKey: pk}.At(seq)
}

func claimOK(t *testing.T, c burr.Claimer, at burr.StepRef, ttl time.Duration) {
	t.Helper()
	if err := c.Claim(t.Context(), at, ttl); err != nil {
		t.Fatalf("Claim(%q, %q, %d): %v", at.PartitionKey, at.AppID, at.SequenceID, err)
	}
}

func claimConflict(t *testing.T, c burr.Claimer, at burr.StepRef, why string) {
	t.Helper()
	if err := c.Claim(t.Context(), at, longTTL); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("Claim(%q, %q, %d) %s: error = %v, want one wrapping burr.ErrConflict", at.PartitionKey, at.AppID, at.SequenceID, why, err)
	}
}

// A live claim keeps others from claiming the step, and is not a record.
func testClaim(t *testing.T, p burr.Persister, c burr.Claimer) {
	claimOK(t, c, ref("pk", "app", 0), longTTL)
	claimConflict(t, c, ref("pk", "app", 0), "while another claim of it lives")
	// The same step of another app or partition is free.
	claimOK(t, c, ref("pk", "app2", 0), longTTL)
	claimOK(t, c, ref("pk2", "app", 0), longTTL)
	claimOK(t, c, ref("", "app", 0), longTTL)
	// A claim is not a record: nothing to load or list.
	if _, err := p.Load(t.Context(), ref("pk", "app", burr.Latest)); !errors.Is(err, burr.ErrNotFound) {
		t.Errorf("Load(Latest) of an app with a claim and no record: error = %v, want burr.ErrNotFound", err)
	}
	if ids, err := p.ListAppIDs(t.Context(), "pk"); err != nil || len(ids) != 0 {
		t.Errorf("ListAppIDs of a partition with claims and no record = %q, %v; want none", ids, err)
	}
	// Saving the claimed step succeeds (Save does not look at claims), and
	// the next step can be claimed.
	save(t, p, record("pk", "app", 0, 1))
	claimOK(t, c, ref("pk", "app", 1), longTTL)
	claimConflict(t, c, ref("pk", "app", 1), "while another claim of it lives")
}

// A saved step cannot be claimed, live claim or not.
func testClaimSaved(t *testing.T, p burr.Persister, c burr.Claimer) {
	save(t, p, record("pk", "app", 0, 0))
	save(t, p, record("pk", "app", 1, 1))
	claimConflict(t, c, ref("pk", "app", 0), "of a saved step")
	claimConflict(t, c, ref("pk", "app", 1), "of a saved step")
	claimOK(t, c, ref("pk", "app", 2), longTTL)
	// The record of the same sequence id under another app or partition does
	// not count.
	claimOK(t, c, ref("pk", "other", 0), longTTL)
	claimOK(t, c, ref("pk2", "app", 0), longTTL)
}

// An application holds one claim: a claim of a later step replaces it, and a
// live claim keeps earlier steps from being claimed.
func testClaimLater(t *testing.T, p burr.Persister, c burr.Claimer) {
	claimOK(t, c, ref("pk", "app", 3), longTTL)
	claimConflict(t, c, ref("pk", "app", 2), "while a claim of a later step lives")
	claimOK(t, c, ref("pk", "app", 4), longTTL) // replaces the claim of 3
	claimConflict(t, c, ref("pk", "app", 3), "while a claim of a later step lives")
	claimConflict(t, c, ref("pk", "app", 4), "while another claim of it lives")
	claimOK(t, c, ref("pk", "app", 5), longTTL)
}

// Of writers claiming one step at once, exactly one gets it.
func testClaimConcurrent(t *testing.T, _ burr.Persister, c burr.Claimer) {
	const writers = 8
	for seq := range 3 {
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range writers {
			wg.Go(func() {
				<-start
				errs[i] = c.Claim(context.Background(), ref("pk", "race", seq), longTTL)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, burr.ErrConflict):
				t.Errorf("sequence id %d, writer %d: error = %v, want nil or one wrapping burr.ErrConflict", seq, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("sequence id %d: %d writers claimed it, want exactly 1", seq, won)
		}
	}
}

// An expired claim no longer counts: the step it held can be claimed again,
// and so can an earlier step. The check waits (up to a minute) for a claim
// of one millisecond to expire on the store's clock.
func testClaimExpires(t *testing.T, _ burr.Persister, c burr.Claimer) {
	claimOK(t, c, ref("pk", "app", 0), time.Millisecond)
	awaitClaim(t, c, ref("pk", "app", 0))
	claimConflict(t, c, ref("pk", "app", 0), "while the claim that replaced the expired one lives")

	claimOK(t, c, ref("pk", "later", 5), time.Millisecond)
	awaitClaim(t, c, ref("pk", "later", 4))
}

// awaitClaim claims at for longTTL, retrying while it conflicts with a claim
// about to expire.
func awaitClaim(t *testing.T, c burr.Claimer, at burr.StepRef) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.Claim(t.Context(), at, longTTL)
		if err == nil {
			return
		}
		if !errors.Is(err, burr.ErrConflict) {
			t.Fatalf("Claim(%q, %q, %d) after a claim expired: %v", at.PartitionKey, at.AppID, at.SequenceID, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a claim of one millisecond still blocks Claim(%q, %q, %d) a minute later: %v", at.PartitionKey, at.AppID, at.SequenceID, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// A claim names a step (not Latest) and lasts a positive time.
func testClaimInvalid(t *testing.T, _ burr.Persister, c burr.Claimer) {
	for _, tc := range []struct {
		at  burr.StepRef
		ttl time.Duration
	}{
		{ref("pk", "app", burr.Latest), longTTL},
		{ref("pk", "app", 0), 0},
		{ref("pk", "app", 0), -time.Second},
	} {
		err := c.Claim(t.Context(), tc.at, tc.ttl)
		if err == nil || errors.Is(err, burr.ErrConflict) {
			t.Errorf("Claim(sequence id %d, ttl %v): error = %v, want one saying what is wrong", tc.at.SequenceID, tc.ttl, err)
		}
	}
	claimOK(t, c, ref("pk", "app", 0), longTTL) // the refused claims took nothing
}

// testClaimApplication drives Applications with burr.WithClaims over the
// persister.
func testClaimApplication(t *testing.T, p burr.Persister, _ burr.Claimer) {
	RunSharedClaims(t, p, p)
}

// RunSharedClaims checks [burr.WithClaims] with two persisters over the same
// storage, as two servers would have: while one Application runs a step,
// another with the same app id that tries the same step fails with
// [burr.ErrConflict] before its action runs, and is stale afterwards; claims
// do not keep an Application from running its own next steps. a and b may be
// the same persister; both must be [burr.Claimer]s.
func RunSharedClaims(t *testing.T, a, b burr.Persister) {
	t.Helper()
	const pk = "fleet"
	id := fmt.Sprintf("claims-%p-%p", a, b)
	var runs atomic.Int64
	entered := make(chan struct{}, 1)
	var hold atomic.Pointer[chan struct{}]
	work := burr.NewAction("work", func(ctx context.Context, s burr.State) (burr.State, error) {
		runs.Add(1)
		if h := hold.Load(); h != nil {
			entered <- struct{}{}
			<-*h
		}
		return s.Increment("n", 1)
	}, burr.Reads("n"), burr.Writes("n"))
	build := func(p burr.Persister) (*burr.Application, error) {
		return burr.New(t.Context(), burr.WithActions(work), burr.WithTransitions(burr.From("work").To("work")),
			burr.WithAppID(id), burr.WithPartitionKey(pk), burr.WithPersister(p), burr.WithClaims(longTTL),
			burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultState(burr.State{}.Set("n", 0)), burr.DefaultEntrypoint("work")))
	}
	mustBuild := func(p burr.Persister) *burr.Application {
		t.Helper()
		app, err := build(p)
		if err != nil {
			t.Fatal(err)
		}
		return app
	}

	// An Application claims its own steps one after the other.
	appA := mustBuild(a)
	for seq := range 3 {
		if _, err := appA.Step(t.Context()); err != nil {
			t.Fatalf("step %d with claims: %v", seq, err)
		}
	}

	// A runs step 3 and holds it; B, loaded at step 2, tries step 3.
	appB := mustBuild(b)
	release := make(chan struct{})
	hold.Store(&release)
	done := make(chan error, 1)
	go func() {
		_, err := appA.Step(context.Background())
		done <- err
	}()
	<-entered
	hold.Store(nil)
	before := runs.Load()
	if _, err := appB.Step(t.Context()); !errors.Is(err, burr.ErrConflict) {
		close(release)
		<-done
		t.Fatalf("step 3 while another writer runs it: error = %v, want one wrapping burr.ErrConflict", err)
	}
	if n := runs.Load(); n != before {
		t.Errorf("the action ran %d times for a step another writer had claimed, want 0", n-before)
	}
	if got := appB.State().Value("n"); got != 3 {
		t.Errorf("after losing the claim the state's n = %v, want 3 (unchanged)", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the claim holder's step: %v", err)
	}
	if r := load(t, a, pk, id, burr.Latest); r.SequenceID != 3 || r.State.Value("n") != 4 {
		t.Fatalf("latest record = (%d, n %v), want (3, 4): the holder's step", r.SequenceID, r.State.Value("n"))
	}

	// The loser is stale, even now that the step is saved; rebuilt, it
	// continues.
	if _, err := appB.Step(t.Context()); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("a stale Application's next step: error = %v, want one wrapping burr.ErrConflict", err)
	}
	appB = mustBuild(b)
	if _, err := appB.Step(t.Context()); err != nil {
		t.Fatalf("the rebuilt Application's step: %v", err)
	}
	// A, now behind, loses at once: step 4 is saved.
	before = runs.Load()
	if _, err := appA.Step(t.Context()); !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("a step another writer saved: error = %v, want one wrapping burr.ErrConflict", err)
	}
	if runs.Load() != before {
		t.Error("the action ran for a step another writer had saved")
	}
	if r := load(t, b, pk, id, burr.Latest); r.SequenceID != 4 || r.State.Value("n") != 5 {
		t.Fatalf("latest record = (%d, n %v), want (4, 5)", r.SequenceID, r.State.Value("n"))
	}
}
