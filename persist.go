package burr

import (
	"context"
	"time"
)

// Status is the outcome of the step a persisted Record was saved after.
type Status string

// The statuses a Record can have, as Burr stores them.
const (
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
)

// Latest asks a Loader for the record with the highest sequence id.
const Latest = -1

// Record is one saved state of an application: what a persister stores after
// every step.
type Record struct {
	PartitionKey string
	AppID        string
	SequenceID   int
	Position     string // the action of the step
	State        State
	Status       Status
	CreatedAt    time.Time
}

// Saver stores records. Save must be idempotent-safe: when a record with the
// same partition key, app id and sequence id already exists it stores nothing
// and returns an error that wraps ErrConflict, so that two processes driving
// the same application cannot overwrite each other's steps.
type Saver interface {
	Save(ctx context.Context, r Record) error
}

// Loader loads records. Load returns the record with the given sequence id, or
// the one with the highest sequence id when sequenceID is Latest; an error
// wrapping ErrNotFound when there is none.
type Loader interface {
	Load(ctx context.Context, partitionKey, appID string, sequenceID int) (Record, error)
}

// AppLister is implemented by persisters that can list the app ids stored under
// a partition key, most recently created first.
type AppLister interface {
	ListAppIDs(ctx context.Context, partitionKey string) ([]string, error)
}

// Persister is a Saver, Loader and AppLister: a complete state store.
// Optional capabilities (closing, schema setup, copying for child
// applications) are found by type assertion, as in database/sql/driver.
type Persister interface {
	Saver
	Loader
	AppLister
}
