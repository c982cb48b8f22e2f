// Package memory provides an in-memory [burr.Persister]: for tests, examples
// and single-process tools that do not need their state to outlive the
// process.
//
// Like every backend of this module, it follows one rule for construction:
// New wraps what it is given (here: nothing) without I/O, Open connects from a
// path or DSN and creates the schema. An in-memory store has nothing to
// connect to, so it only has [New].
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/burrgo/burr"
)

// Persister keeps records in memory. It is safe for concurrent use by any
// number of applications, and detects conflicts like the database backends: a
// second Save of the same (partition key, app id, sequence id) stores nothing
// and returns an error wrapping [burr.ErrConflict].
//
// States are stored as they are given. [burr.State] is immutable, but the maps
// and slices it holds are shared, not copied: a value changed in place after
// it was saved changes the stored record too (the database backends store a
// copy, as JSON).
//
// It is a [burr.Claimer]: an application's claim ([burr.WithClaims]) is kept
// beside its records, one per application, and expires by the persister's
// clock ([WithClock]).
//
// The zero Persister is empty and ready to use.
type Persister struct {
	mu     sync.RWMutex
	parts  map[string]*partition
	clock  int64 // orders saves for ListAppIDs; guarded by mu
	claims map[burr.AppRef]claim
	now    func() time.Time // nil for time.Now
}

// claim is an application's claim of a step.
type claim struct {
	seq     int
	expires time.Time
}

type partition struct {
	apps map[string]*app
}

type app struct {
	records  map[int]burr.Record
	latest   int   // highest sequence id stored
	lastSave int64 // clock of the app's last save
}

// Option configures a Persister.
type Option func(*Persister)

// WithClock makes claims expire by now instead of time.Now: to test what
// happens when a claim expires without waiting for it.
func WithClock(now func() time.Time) Option { return func(p *Persister) { p.now = now } }

// New returns an empty Persister.
func New(opts ...Option) *Persister {
	p := &Persister{}
	for _, o := range opts {
		o(p)
	}
	return p
}

var (
	_ burr.Persister = (*Persister)(nil)
	_ burr.Claimer   = (*Persister)(nil)
)

// Save stores r. CreatedAt is set to the current time when it is zero.
func (p *Persister) Save(ctx context.Context, r burr.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.parts == nil {
		p.parts = make(map[string]*partition)
	}
	part := p.parts[r.PartitionKey]
	if part == nil {
		part = &partition{apps: make(map[string]*app)}
		p.parts[r.PartitionKey] = part
	}
	a := part.apps[r.AppID]
	if a == nil {
		a = &app{records: make(map[int]burr.Record), latest: r.SequenceID}
		part.apps[r.AppID] = a
	}
	if _, dup := a.records[r.SequenceID]; dup {
		return fmt.Errorf("memory: app %q (partition %q) sequence id %d: %w", r.AppID, r.PartitionKey, r.SequenceID, burr.ErrConflict)
	}
	a.records[r.SequenceID] = r
	a.latest = max(a.latest, r.SequenceID)
	p.clock++
	a.lastSave = p.clock
	return nil
}

// Claim reserves step at for ttl: it fails with an error wrapping
// [burr.ErrConflict] when the step is saved or when the application's claim
// of it or of a later step has not expired; otherwise the claim replaces the
// application's earlier one.
func (p *Persister) Claim(ctx context.Context, at burr.StepRef, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkClaim(at, ttl); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.now != nil {
		now = p.now()
	}
	if part := p.parts[at.PartitionKey]; part != nil {
		if a := part.apps[at.AppID]; a != nil {
			if _, saved := a.records[at.SequenceID]; saved {
				return fmt.Errorf("memory: app %q (partition %q) sequence id %d is saved: %w", at.AppID, at.PartitionKey, at.SequenceID, burr.ErrConflict)
			}
		}
	}
	if c, ok := p.claims[at.AppRef]; ok && c.seq >= at.SequenceID && now.Before(c.expires) {
		return fmt.Errorf("memory: app %q (partition %q) sequence id %d: sequence id %d is claimed until %s: %w",
			at.AppID, at.PartitionKey, at.SequenceID, c.seq, c.expires.Format(time.RFC3339Nano), burr.ErrConflict)
	}
	if p.claims == nil {
		p.claims = make(map[burr.AppRef]claim)
	}
	p.claims[at.AppRef] = claim{seq: at.SequenceID, expires: now.Add(ttl)}
	return nil
}

func checkClaim(at burr.StepRef, ttl time.Duration) error {
	if at.SequenceID < 0 {
		return fmt.Errorf("memory: claiming app %q (partition %q): sequence id %d is not a step", at.AppID, at.PartitionKey, at.SequenceID)
	}
	if ttl <= 0 {
		return fmt.Errorf("memory: claiming app %q (partition %q) sequence id %d: the ttl %v is not positive", at.AppID, at.PartitionKey, at.SequenceID, ttl)
	}
	return nil
}

// Load returns the record of step at, or the one with the highest sequence id
// when at.SequenceID is [burr.Latest].
func (p *Persister) Load(ctx context.Context, at burr.StepRef) (burr.Record, error) {
	partitionKey, appID, sequenceID := at.PartitionKey, at.AppID, at.SequenceID
	if err := ctx.Err(); err != nil {
		return burr.Record{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var a *app
	if part := p.parts[partitionKey]; part != nil {
		a = part.apps[appID]
	}
	if a != nil {
		seq := sequenceID
		if seq == burr.Latest {
			seq = a.latest
		}
		if r, ok := a.records[seq]; ok {
			return r, nil
		}
	}
	return burr.Record{}, fmt.Errorf("memory: app %q (partition %q) sequence id %s: %w", appID, partitionKey, seqText(sequenceID), burr.ErrNotFound)
}

// ListAppIDs returns the app ids stored under partitionKey, the most recently
// saved first.
func (p *Persister) ListAppIDs(ctx context.Context, partitionKey string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	part := p.parts[partitionKey]
	if part == nil {
		return []string{}, nil
	}
	type entry struct {
		id   string
		last int64
	}
	entries := make([]entry, 0, len(part.apps))
	for id, a := range part.apps {
		entries = append(entries, entry{id, a.lastSave})
	}
	slices.SortFunc(entries, func(x, y entry) int { return cmp.Compare(y.last, x.last) })
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	return ids, nil
}

func seqText(seq int) string {
	if seq == burr.Latest {
		return "latest"
	}
	return fmt.Sprint(seq)
}
