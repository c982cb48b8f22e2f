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
// The zero Persister is empty and ready to use.
type Persister struct {
	mu    sync.RWMutex
	parts map[string]*partition
	clock int64 // orders saves for ListAppIDs; guarded by mu
}

type partition struct {
	apps map[string]*app
}

type app struct {
	records  map[int]burr.Record
	latest   int   // highest sequence id stored
	lastSave int64 // clock of the app's last save
}

// New returns an empty Persister.
func New() *Persister { return &Persister{} }

var _ burr.Persister = (*Persister)(nil)

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
