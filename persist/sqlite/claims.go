package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
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
// Like Save, a claim is a write, and waits for the write lock at most the
// busy timeout. In a database in WAL mode it is not synced to disk on its own
// (with [SyncFull], the connection runs it under synchronous=NORMAL, which in
// WAL mode may lose the last commits to a power failure but never corrupts):
// a claim lost that way costs nothing, since the processes sharing the file
// stopped with it and a claim only saves work; the step's save syncs it.
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
	a := &p.cargs
	for i := range a {
		a[i].Ordinal = i + 1
	}
	a[0].Value, a[1].Value, a[2].Value = p.boxed[0].value(at.PartitionKey), p.boxed[1].value(at.AppID), int64(at.SequenceID)
	a[3].Value, a[4].Value = expires, now
	// Once started, the statement runs to its end, as a save does, so that a
	// claim taken is never reported as failed.
	var n int64
	err = p.w.Raw(func(any) error {
		bg := context.Background()
		if st.relax != nil {
			if _, err := st.relax.(driver.StmtExecContext).ExecContext(bg, nil); err != nil {
				return err
			}
			p.relaxed = true
		}
		res, err := st.claim.(driver.StmtExecContext).ExecContext(bg, a[:])
		if err == nil {
			n, err = res.RowsAffected()
		}
		if st.relax != nil {
			err = errors.Join(err, p.restoreSync(st))
		}
		return err
	})
	for i := range a {
		a[i].Value = nil
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
//
// claim is prepared on the driver connection, as the insert of a save is, to
// spare database/sql's per-call work on every step; holder is used only when
// a claim is lost. relax and restore set the connection's synchronous mode
// around a claim (nil unless the mode is SyncFull on a database in WAL mode).
type claimStmts struct {
	claim          driver.Stmt
	relax, restore driver.Stmt
	holder         *sql.Stmt
}

// restoreSync puts the write connection back in synchronous=FULL after a
// claim. The caller holds p.mu, inside p.w.Raw.
func (p *Persister) restoreSync(st *claimStmts) error {
	if _, err := st.restore.(driver.StmtExecContext).ExecContext(context.Background(), nil); err != nil {
		return fmt.Errorf("restoring synchronous=FULL: %w", err)
	}
	p.relaxed = false
	return nil
}

// synced makes sure the write connection is in its synchronous mode before a
// save: a claim whose restoring failed left it relaxed. The caller holds p.mu.
func (p *Persister) synced() error {
	if !p.relaxed {
		return nil
	}
	return p.w.Raw(func(any) error { return p.restoreSync(p.claims) })
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
	relax := false
	if p.opts.sync == SyncFull && !p.memory {
		var mode string
		if err := p.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			return nil, fmt.Errorf("sqlite: reading the journal mode: %w", err)
		}
		relax = strings.EqualFold(mode, "wal")
	}
	st := &claimStmts{}
	err = p.w.Raw(func(dc any) error {
		prep := func(dst *driver.Stmt, q string) error {
			s, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, q)
			if err == nil {
				*dst = s // only then: a failed prepare may return a typed nil
			}
			return err
		}
		if err := prep(&st.claim, p.sqlFor(claimSQL)); err != nil || !relax {
			return err
		}
		if err := prep(&st.relax, "PRAGMA synchronous = NORMAL"); err != nil {
			return err
		}
		return prep(&st.restore, "PRAGMA synchronous = FULL")
	})
	if err == nil {
		st.holder, err = p.w.PrepareContext(ctx, p.sqlFor(claimHolderSQL))
	}
	if err != nil {
		p.closeDriverStmts(st)
		return nil, fmt.Errorf("sqlite: preparing the claim statements: %w", err)
	}
	p.claims = st
	return p.claims, nil
}

// closeDriverStmts closes the statements of st prepared on the driver
// connection. The caller holds p.mu.
func (p *Persister) closeDriverStmts(st *claimStmts) error {
	return p.w.Raw(func(any) error {
		var errs []error
		for _, s := range []driver.Stmt{st.claim, st.relax, st.restore} {
			if s != nil {
				errs = append(errs, s.Close())
			}
		}
		return errors.Join(errs...)
	})
}

// closeClaims closes the claim statements. The caller holds p.mu.
func (p *Persister) closeClaims() error {
	if p.claims == nil {
		return nil
	}
	st := p.claims
	err := errors.Join(p.closeDriverStmts(st), st.holder.Close())
	p.claims = nil
	return err
}
