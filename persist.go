package burr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is the outcome of the step a persisted [Record] was saved after.
type Status string

// The statuses a [Record] can have, as Burr stores them.
const (
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	// StatusInterrupted is a step whose action asked a question ([Ask]):
	// the state is the one before the step, with the question's payload
	// under [InterruptKey]. Burr's readers take it as a step to run again,
	// as a failed one.
	StatusInterrupted Status = "interrupted"
)

// Record is one saved state of an application: what a persister stores after
// every step. The embedded [StepRef] names the step (rec.AppID,
// rec.PartitionKey, rec.SequenceID).
type Record struct {
	StepRef
	Position  string // the action of the step
	State     State
	Status    Status
	CreatedAt time.Time
}

// Saver stores records. Save must be idempotent-safe: when a record with the
// same partition key, app id and sequence id already exists it stores nothing
// and returns an error that wraps [ErrConflict], so that two processes driving
// the same application cannot overwrite each other's steps.
type Saver interface {
	Save(ctx context.Context, r Record) error
}

// Loader loads records. Load returns the record of step at, or the one with
// the highest sequence id when at.SequenceID is [Latest]; an error wrapping
// [ErrNotFound] when there is none.
type Loader interface {
	Load(ctx context.Context, at StepRef) (Record, error)
}

// AppLister is implemented by persisters that can list the app ids stored under
// a partition key, most recently created first.
type AppLister interface {
	ListAppIDs(ctx context.Context, partitionKey string) ([]string, error)
}

// Persister is a [Saver], [Loader] and [AppLister]: a complete state store.
//
// A persister may have optional capabilities, found by type assertion as in
// database/sql/driver: an [Initializer] has a schema to create, a [Claimer]
// can reserve a step before it runs, and an [io.Closer] holds resources to
// release. Every backend in this module checks
// at compile time which ones it has.
type Persister interface {
	Saver
	Loader
	AppLister
}

// Initializer is a persister with a schema to create before first use (a
// table, an index). [New] checks Initialized for a persister given to
// [WithPersister] and fails when it reports false.
type Initializer interface {
	// Initialize creates what is missing; it is safe to call more than once.
	Initialize(ctx context.Context) error
	// Initialized reports whether Initialize has nothing left to do.
	Initialized(ctx context.Context) (bool, error)
}

// Claimer is a persister that can reserve a step before it runs, so that of
// several servers about to run the same step of one application (two turns
// of a conversation sent at once) only one runs it: the others learn it
// before they call a model, rather than when they save. [WithClaims] makes
// every step of an application claim its sequence id first.
//
// Claims are advisory: they save work, while [Saver]'s conflict check keeps
// the store correct. A claim that expired while its step still ran lets
// another writer claim the step too, and the second to save gets
// [ErrConflict] as without claims.
type Claimer interface {
	// Claim reserves step at (at.SequenceID is 0 or more) for ttl. It fails
	// with an error wrapping [ErrConflict] when a record of that step is
	// saved, or when a claim of that step or of a later step of the same
	// application has not expired. An application holds one claim at a time:
	// a successful claim replaces its earlier claims, expired or not, so a
	// saved step's claim is superseded by the next step's and old claims cost
	// nothing to clean.
	Claim(ctx context.Context, at StepRef, ttl time.Duration) error
}

// save writes the record of step seq: the action a, and the state the step
// commits (completed) or the state before it (failed). ctx is the caller's
// context; when it is already cancelled (which may be why the step failed),
// the record is still written, within a bound of its own. A save that loses a
// write conflict marks the application stale.
func (app *Application) save(ctx context.Context, seq int, a *Action, s State, status Status, at time.Time) error {
	rec := Record{StepRef: app.ref.At(seq), Position: a.name, State: s, Status: status, CreatedAt: at}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), failedSaveTimeout)
		defer cancel()
	}
	err := safeCall(func() error { return app.persister.Save(ctx, rec) })
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrConflict) {
		app.conflict = fmt.Errorf("burr: app %q lost a write conflict at sequence id %d to another writer; "+
			"build a new Application with WithInitializeFrom to reload it: %w", app.ref.AppID, seq, ErrConflict)
	}
	return fmt.Errorf("burr: saving the step: %w", err)
}

// failedSaveTimeout bounds the save of a step whose caller's context is
// already cancelled.
const failedSaveTimeout = 10 * time.Second
