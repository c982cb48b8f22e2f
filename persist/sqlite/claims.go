package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/burrgo/burr"
)

var _ burr.Claimer = (*Persister)(nil)

// Claim reserves step at for ttl (rounded up to a millisecond), for
// [burr.WithClaims]. It fails with an error wrapping [burr.ErrConflict] when
// the step is saved, or when the application's claim of it or of a later
// step has not expired; otherwise the claim replaces the application's
// earlier one. Claims are rows of the table <table>_claims (see the package
// documentation), one per application; they expire by the persister's clock
// ([WithClock]), which the processes sharing a database file share.
//
// Like Save, a claim is a write: it is synced as Save is and waits for the
// write lock at most the busy timeout.
func (p *Persister) Claim(ctx context.Context, at burr.StepRef, ttl time.Duration) error {
	if at.SequenceID < 0 {
		return fmt.Errorf("sqlite: claiming app %q (partition %q): sequence id %d is not a step", at.AppID, at.PartitionKey, at.SequenceID)
	}
	if ttl <= 0 {
		return fmt.Errorf("sqlite: claiming app %q (partition %q) sequence id %d: the ttl %v is not positive", at.AppID, at.PartitionKey, at.SequenceID, ttl)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: claiming app %q (partition %q) sequence id %d: %w", at.AppID, at.PartitionKey, at.SequenceID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.claimStatements(ctx)
	if err != nil {
		return err
	}
	now := p.opts.now().UnixMilli()
	expires := now + (ttl + time.Millisecond - 1).Milliseconds()
	// Once started, the statement runs to its end, as a save does, so that a
	// claim taken is never reported as failed.
	res, err := st.claim.ExecContext(context.WithoutCancel(ctx), at.PartitionKey, at.AppID, at.SequenceID, expires, now)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return fmt.Errorf("sqlite: claiming app %q (partition %q) sequence id %d: %w", at.AppID, at.PartitionKey, at.SequenceID, err)
	}
	if n > 0 {
		return nil
	}
	// Lost: say to what, when the claim that won can still be read.
	var seq, until int64
	err = st.holder.QueryRowContext(ctx, at.PartitionKey, at.AppID).Scan(&seq, &until)
	if err == nil && seq >= int64(at.SequenceID) && until > now {
		return fmt.Errorf("sqlite: app %q (partition %q) sequence id %d: sequence id %d is claimed until %s: %w",
			at.AppID, at.PartitionKey, at.SequenceID, seq, time.UnixMilli(until).UTC().Format(time.RFC3339Nano), burr.ErrConflict)
	}
	return fmt.Errorf("sqlite: app %q (partition %q) sequence id %d is saved: %w", at.AppID, at.PartitionKey, at.SequenceID, burr.ErrConflict)
}

// claimStmts are the statements of claims, prepared on the write connection
// on first use, which creates the claims table if need be: a database
// without it (Python Burr's) is changed only when an application asks for
// claims.
type claimStmts struct {
	claim, holder *sql.Stmt
}

// claimStatements returns the claim statements, preparing them on first use.
// The caller holds p.mu.
func (p *Persister) claimStatements(ctx context.Context) (*claimStmts, error) {
	if p.claims != nil {
		return p.claims, nil
	}
	if p.w == nil {
		return nil, errClosed
	}
	exists, err := tableExists(ctx, p.w, p.opts.table)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("sqlite: table %q does not exist in %s: call Initialize to create it", p.opts.table, p.path)
	}
	if _, err := p.w.ExecContext(ctx, p.sqlFor(createClaimsSQL)); err != nil {
		return nil, fmt.Errorf("sqlite: creating the claims table %q: %w", p.opts.table+"_claims", err)
	}
	claim, err := p.w.PrepareContext(ctx, p.sqlFor(claimSQL))
	if err != nil {
		return nil, fmt.Errorf("sqlite: preparing the claim statement: %w", err)
	}
	holder, err := p.w.PrepareContext(ctx, p.sqlFor(claimHolderSQL))
	if err != nil {
		claim.Close()
		return nil, fmt.Errorf("sqlite: preparing the claim statement: %w", err)
	}
	p.claims = &claimStmts{claim: claim, holder: holder}
	return p.claims, nil
}

// closeClaims closes the claim statements. The caller holds p.mu.
func (p *Persister) closeClaims() error {
	if p.claims == nil {
		return nil
	}
	err := errors.Join(p.claims.claim.Close(), p.claims.holder.Close())
	p.claims = nil
	return err
}
