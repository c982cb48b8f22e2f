package burr

import (
	"context"
	"errors"
	"fmt"
)

// InitOption configures WithInitializeFrom.
type InitOption func(*initConfig)

type initConfig struct {
	loader            Loader
	resume            bool
	defaultState      State
	defaultEntrypoint string
	forkAppID         string
	forkPartitionKey  string
	forkSeq           int
	forkSeqSet        bool
}

// WithInitializeFrom loads the application's state from loader when it is
// created (Burr's initialize_from). It looks up the record of this
// application's app id and partition key (or of the fork source), then:
//
//   - nothing found (also when forking): start from DefaultState at
//     DefaultEntrypoint;
//   - found, ResumeAtNextAction, completed: continue with the action after the
//     saved one;
//   - found, ResumeAtNextAction, failed: retry the saved action;
//   - found, without ResumeAtNextAction: keep the state, restart at
//     DefaultEntrypoint.
//
// The next step's sequence id follows the loaded one. It cannot be combined
// with WithState or WithEntrypoint.
func WithInitializeFrom(loader Loader, opts ...InitOption) Option {
	return func(c *config) {
		ic := &initConfig{loader: loader}
		for _, o := range opts {
			o(ic)
		}
		c.init = ic
	}
}

// ResumeAtNextAction continues a loaded application where it left off.
func ResumeAtNextAction() InitOption { return func(c *initConfig) { c.resume = true } }

// DefaultState is the state used when the loader has no record.
func DefaultState(s State) InitOption { return func(c *initConfig) { c.defaultState = s } }

// DefaultEntrypoint is where the application starts when nothing is loaded, or
// when a loaded application is not resumed. It is required.
func DefaultEntrypoint(name string) InitOption {
	return func(c *initConfig) { c.defaultEntrypoint = name }
}

// ForkFrom starts this application from another application's saved state
// (its latest record unless ForkFromSequenceID is given). The new application
// keeps a pointer to its parent.
func ForkFrom(appID, partitionKey string) InitOption {
	return func(c *initConfig) { c.forkAppID, c.forkPartitionKey = appID, partitionKey }
}

// ForkFromSequenceID forks from the record with this sequence id.
func ForkFromSequenceID(seq int) InitOption {
	return func(c *initConfig) { c.forkSeq, c.forkSeqSet = seq, true }
}

// initialize applies c.init to the config, returning the state, entrypoint and
// fork parent to use.
func (c *config) initialize(ctx context.Context) (State, string, *Pointer, error) {
	ic := c.init
	if c.stateSet || c.entrypoint != "" {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom cannot be combined with WithState or WithEntrypoint")
	}
	if ic.loader == nil {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom needs a loader")
	}
	if ic.forkAppID == "" && (ic.forkPartitionKey != "" || ic.forkSeqSet) {
		return State{}, "", nil, errors.New("burr: a fork partition key or sequence id needs a fork app id (ForkFrom)")
	}
	if ic.forkAppID != "" && ic.forkAppID == c.appID {
		return State{}, "", nil, fmt.Errorf("burr: cannot fork and save to the same app id %q", c.appID)
	}
	if ic.defaultEntrypoint == "" {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom needs DefaultEntrypoint")
	}
	pk, appID, seq := c.partitionKey, c.appID, Latest
	if c.seqSet {
		seq = c.seq
	}
	if ic.forkAppID != "" {
		pk, appID, seq = ic.forkPartitionKey, ic.forkAppID, Latest
		if ic.forkSeqSet {
			seq = ic.forkSeq
		}
	}
	rec, err := ic.loader.Load(ctx, pk, appID, seq)
	if errors.Is(err, ErrNotFound) {
		return ic.defaultState, ic.defaultEntrypoint, nil, nil
	}
	if err != nil {
		return State{}, "", nil, fmt.Errorf("burr: loading app %q (partition %q, sequence id %s): %w", appID, pk, seqText(seq), err)
	}
	s := rec.State.withSeq(rec.SequenceID)
	entry := ic.defaultEntrypoint
	switch {
	case ic.resume && rec.Status == StatusCompleted:
		s = s.withPrior(rec.Position)
	case ic.resume:
		entry = rec.Position
		s.hasPrev, s.prior = false, ""
	default:
		s.hasPrev, s.prior = false, ""
	}
	var parent *Pointer
	if ic.forkAppID != "" {
		parent = &Pointer{AppID: ic.forkAppID, SequenceID: rec.SequenceID, PartitionKey: ic.forkPartitionKey}
	}
	return s, entry, parent, nil
}

func seqText(seq int) string {
	if seq == Latest {
		return "latest"
	}
	return fmt.Sprint(seq)
}
