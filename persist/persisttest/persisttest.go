// Package persisttest is the conformance suite for [burr.Persister]
// implementations, in the manner of testing/slogtest: a backend's tests call
// Run with a function that makes an empty persister, and the suite checks every
// behaviour [burr.Application] relies on.
//
//	func TestConformance(t *testing.T) {
//		persisttest.Run(t, func(t *testing.T) burr.Persister {
//			p := mybackend.New(...)
//			t.Cleanup(func() { p.Close() })
//			return p
//		})
//	}
//
// Backends that several processes share (a database server) should also call
// RunShared with two persisters on the same store, as two servers would have.
package persisttest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// Run runs the conformance suite, each check as a subtest. newPersister is
// called once per subtest and must return a persister over empty storage (a
// fresh table, database, key prefix, …); it registers its own cleanup with
// t.Cleanup.
//
// The suite checks: save and load round trips (key order and number types
// kept); Latest is the highest sequence id whatever the status; exact sequence
// ids; [burr.ErrNotFound]; ListAppIDs per partition key, the empty one
// included, most recent first; [burr.ErrConflict] for a second Save of a
// sequence id, with nothing overwritten; concurrent saves; failed records; and
// an Application saving, resuming, retrying a failed step, forking and
// restarting through the persister. For a persister that is a [burr.Claimer]
// it checks claims too (they are skipped for one that is not): a live claim
// keeps others from the step and from earlier ones; a saved step cannot be
// claimed; a later claim replaces an application's earlier one; concurrent
// claimers, one winner; an expired claim no longer counts; and Applications
// with [burr.WithClaims] (see [RunSharedClaims]).
func Run(t *testing.T, newPersister func(t *testing.T) burr.Persister) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, burr.Persister)
	}{
		{"RoundTrip", testRoundTrip},
		{"Latest", testLatest},
		{"ExactSequenceID", testExact},
		{"NotFound", testNotFound},
		{"ListAppIDs", testListAppIDs},
		{"Conflict", testConflict},
		{"ConcurrentSameSequenceID", testConcurrentSameSeq},
		{"ConcurrentApps", testConcurrentApps},
		{"StatusFailed", testStatusFailed},
		{"Application", testApplication},
		{"SharedStore", func(t *testing.T, p burr.Persister) { RunShared(t, p, p) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newPersister(t))
		})
	}
	for _, tc := range claimChecks {
		t.Run(tc.name, func(t *testing.T) {
			p := newPersister(t)
			c, ok := p.(burr.Claimer)
			if !ok {
				t.Skipf("%T is not a burr.Claimer", p)
			}
			tc.fn(t, p, c)
		})
	}
}

// sampleState holds every JSON kind, keys deliberately out of sorted order.
func sampleState() burr.State {
	return burr.State{}.
		Set("zeta", "last letter first").
		Set("alpha", 42).
		Set("big", 9007199254740993). // 2^53+1: must not pass through float64
		Set("negative", -7).
		Set("ratio", 2.5).
		Set("whole", 3.0).
		Set("flag", true).
		Set("nothing", nil).
		Set("unicode", "héllo ☃ 𝄞 \"quoted\" \\ \n").
		Set("list", []any{1, "two", 3.5, false, nil, []any{}}).
		Set("nested", map[string]any{"b": 1, "a": []any{map[string]any{"x": 1.5}}}).
		Set(burr.SequenceIDKey, 3).
		Set(burr.PriorStepKey, "step")
}

func save(t *testing.T, p burr.Saver, r burr.Record) {
	t.Helper()
	if err := p.Save(t.Context(), r); err != nil {
		t.Fatalf("Save(%q, %q, %d): %v", r.PartitionKey, r.AppID, r.SequenceID, err)
	}
}

func load(t *testing.T, p burr.Loader, pk, app string, seq int) burr.Record {
	t.Helper()
	r, err := p.Load(t.Context(), burr.AppRef{AppID: app, PartitionKey: pk}.At(seq))
	if err != nil {
		t.Fatalf("Load(%q, %q, %d): %v", pk, app, seq, err)
	}
	return r
}

// record returns a completed record whose state carries counter and the
// internal keys, as an Application saves it.
func record(pk, app string, seq int, counter int) burr.Record {
	return burr.Record{
		StepRef: burr.AppRef{AppID: app, PartitionKey: pk}.At(seq), Position: "count", Status: burr.StatusCompleted,
		State:     burr.State{}.Set("counter", counter).Set(burr.SequenceIDKey, seq).Set(burr.PriorStepKey, "count"),
		CreatedAt: time.Now(),
	}
}

// checkState fails unless got has want's keys in want's order, with equal
// values of the same Go types.
func checkState(t *testing.T, got, want burr.State) {
	t.Helper()
	if gk, wk := got.Keys(), want.Keys(); !slices.Equal(gk, wk) {
		t.Fatalf("state keys = %q, want %q (order matters)", gk, wk)
	}
	for k, w := range want.All() {
		g, _ := got.Get(k)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("state[%q] = %#v (%T), want %#v (%T)", k, g, g, w, w)
		}
	}
}

func checkRecord(t *testing.T, got, want burr.Record) {
	t.Helper()
	if got.PartitionKey != want.PartitionKey || got.AppID != want.AppID || got.SequenceID != want.SequenceID ||
		got.Position != want.Position || got.Status != want.Status {
		t.Fatalf("record = (%q, %q, %d, %q, %q), want (%q, %q, %d, %q, %q)",
			got.PartitionKey, got.AppID, got.SequenceID, got.Position, got.Status,
			want.PartitionKey, want.AppID, want.SequenceID, want.Position, want.Status)
	}
	if got.CreatedAt.IsZero() {
		t.Errorf("record CreatedAt is zero")
	} else if d := time.Since(got.CreatedAt); d < -time.Hour || d > time.Hour {
		t.Errorf("record CreatedAt = %v, more than an hour from now (time zone mix-up?)", got.CreatedAt)
	}
	checkState(t, got.State, want.State)
}

func testRoundTrip(t *testing.T, p burr.Persister) {
	for _, pk := range []string{"", "user-1"} {
		want := burr.Record{StepRef: burr.AppRef{AppID: "app", PartitionKey: pk}.At(3), Position: "step",
			State: sampleState(), Status: burr.StatusCompleted, CreatedAt: time.Now()}
		save(t, p, want)
		checkRecord(t, load(t, p, pk, "app", 3), want)
		checkRecord(t, load(t, p, pk, "app", burr.Latest), want)
	}
	// An empty state round-trips too.
	empty := burr.Record{StepRef: burr.AppRef{AppID: "empty"}.At(0), Position: "a", Status: burr.StatusCompleted}
	save(t, p, empty)
	if got := load(t, p, "", "empty", 0); got.State.Len() != 0 {
		t.Errorf("empty state loaded as %v", got.State)
	}
}

func testLatest(t *testing.T, p burr.Persister) {
	for seq := range 3 {
		save(t, p, record("pk", "app", seq, seq))
	}
	failed := record("pk", "app", 3, 2)
	failed.Status = burr.StatusFailed
	save(t, p, failed)
	if got := load(t, p, "pk", "app", burr.Latest); got.SequenceID != 3 || got.Status != burr.StatusFailed {
		t.Errorf("Latest = sequence id %d %s, want 3 failed (the highest, whatever its status)", got.SequenceID, got.Status)
	}
	// Highest, not last saved.
	save(t, p, record("pk", "gaps", 7, 7))
	save(t, p, record("pk", "gaps", 5, 5))
	if got := load(t, p, "pk", "gaps", burr.Latest); got.SequenceID != 7 {
		t.Errorf("Latest = sequence id %d, want 7 (the highest, not the last saved)", got.SequenceID)
	}
}

func testExact(t *testing.T, p burr.Persister) {
	for seq := range 4 {
		save(t, p, record("pk", "app", seq, seq*10))
	}
	for seq := range 4 {
		got := load(t, p, "pk", "app", seq)
		checkRecord(t, got, record("pk", "app", seq, seq*10))
	}
}

func testNotFound(t *testing.T, p burr.Persister) {
	save(t, p, record("pk", "app", 0, 0))
	for _, c := range []struct {
		pk, app string
		seq     int
	}{
		{"pk", "other", burr.Latest},
		{"pk", "other", 0},
		{"pk", "app", 1},
		{"other", "app", 0},
		{"", "app", burr.Latest},
	} {
		_, err := p.Load(t.Context(), burr.AppRef{AppID: c.app, PartitionKey: c.pk}.At(c.seq))
		if !errors.Is(err, burr.ErrNotFound) {
			t.Errorf("Load(%q, %q, %d) error = %v, want one wrapping burr.ErrNotFound", c.pk, c.app, c.seq, err)
		}
	}
}

func testListAppIDs(t *testing.T, p burr.Persister) {
	list := func(pk string) []string {
		t.Helper()
		ids, err := p.ListAppIDs(t.Context(), pk)
		if err != nil {
			t.Fatalf("ListAppIDs(%q): %v", pk, err)
		}
		return ids
	}
	if ids := list("p1"); len(ids) != 0 {
		t.Fatalf("ListAppIDs on empty storage = %q, want none", ids)
	}
	save(t, p, record("p1", "a", 0, 0))
	save(t, p, record("p1", "a", 1, 1))
	time.Sleep(2 * time.Millisecond)
	save(t, p, record("p1", "b", 0, 0))
	save(t, p, record("p2", "c", 0, 0))
	save(t, p, record("", "d", 0, 0))
	for _, c := range []struct {
		pk   string
		want []string
	}{
		{"p1", []string{"b", "a"}},
		{"p2", []string{"c"}},
		{"", []string{"d"}},
		{"p3", nil},
	} {
		if got := list(c.pk); !slices.Equal(got, c.want) {
			t.Errorf("ListAppIDs(%q) = %q, want %q (most recent first)", c.pk, got, c.want)
		}
	}
}

func testConflict(t *testing.T, p burr.Persister) {
	first := record("pk", "app", 0, 1)
	save(t, p, first)
	second := record("pk", "app", 0, 2)
	second.Position = "other"
	second.Status = burr.StatusFailed
	err := p.Save(t.Context(), second)
	if !errors.Is(err, burr.ErrConflict) {
		t.Fatalf("second Save of sequence id 0: error = %v, want one wrapping burr.ErrConflict", err)
	}
	checkRecord(t, load(t, p, "pk", "app", 0), first)
	checkRecord(t, load(t, p, "pk", "app", burr.Latest), first)
	// The same sequence id under another app or partition is no conflict.
	save(t, p, record("pk", "app2", 0, 1))
	save(t, p, record("pk2", "app", 0, 1))
}

func testConcurrentSameSeq(t *testing.T, p burr.Persister) {
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = p.Save(context.Background(), record("pk", "race", 0, i))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both saved sequence id 0", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, burr.ErrConflict):
			t.Errorf("writer %d: error = %v, want nil or one wrapping burr.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer saved sequence id 0")
	}
	checkRecord(t, load(t, p, "pk", "race", 0), record("pk", "race", 0, winner))
}

func testConcurrentApps(t *testing.T, p burr.Persister) {
	const apps, steps = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, apps)
	for a := range apps {
		wg.Go(func() {
			for seq := range steps {
				if err := p.Save(context.Background(), record("pk", fmt.Sprint("app-", a), seq, seq)); err != nil {
					errs <- fmt.Errorf("app %d sequence id %d: %w", a, seq, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for a := range apps {
		id := fmt.Sprint("app-", a)
		for seq := range steps {
			if got := load(t, p, "pk", id, seq); got.State.Value("counter") != seq {
				t.Errorf("%s sequence id %d: counter = %v, want %d", id, seq, got.State.Value("counter"), seq)
			}
		}
		if got := load(t, p, "pk", id, burr.Latest); got.SequenceID != steps-1 {
			t.Errorf("%s Latest = %d, want %d", id, got.SequenceID, steps-1)
		}
	}
	ids, err := p.ListAppIDs(t.Context(), "pk")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != apps {
		t.Errorf("ListAppIDs = %q, want %d apps", ids, apps)
	}
}

func testStatusFailed(t *testing.T, p burr.Persister) {
	r := record("pk", "app", 4, 3)
	r.Status = burr.StatusFailed
	save(t, p, r)
	checkRecord(t, load(t, p, "pk", "app", 4), r)
}
