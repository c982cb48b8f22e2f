package burr

import (
	"context"
	"errors"
	"fmt"
)

// InitOption configures [WithInitializeFrom]: [ResumeAtNextAction],
// [DefaultState], [DefaultEntrypoint], [ForkFrom].
type InitOption interface {
	applyInit(*initConfig)
}

// initOptionFunc is the one implementation of [InitOption].
type initOptionFunc func(*initConfig)

func (f initOptionFunc) applyInit(c *initConfig) { f(c) }

type initConfig struct {
	loader            Loader
	resume            bool
	defaultState      State
	defaultEntrypoint string
	fork              *StepRef
}

// WithInitializeFrom loads the application's state from loader when it is
// created (Burr's initialize_from). It looks up the latest record of this
// application's [AppRef] (or the record [WithSequenceID] names, or the fork
// source's), then:
//
//   - nothing found (also when forking): start from [DefaultState] at
//     [DefaultEntrypoint];
//   - found, [ResumeAtNextAction], completed: continue with the action after
//     the saved one;
//   - found, ResumeAtNextAction, failed: retry the saved action;
//   - found, without ResumeAtNextAction: keep the state, restart at
//     DefaultEntrypoint.
//
// The next step's sequence id follows the loaded one. It cannot be combined
// with [WithState] or [WithEntrypoint].
func WithInitializeFrom(loader Loader, opts ...InitOption) Option {
	return optionFunc(func(c *config) {
		ic := &initConfig{loader: loader}
		for _, o := range opts {
			o.applyInit(ic)
		}
		c.init = ic
	})
}

// ResumeAtNextAction continues a loaded application where it left off.
func ResumeAtNextAction() InitOption { return initOptionFunc(func(c *initConfig) { c.resume = true }) }

// DefaultState is the state used when the loader has no record.
func DefaultState(s State) InitOption {
	return initOptionFunc(func(c *initConfig) { c.defaultState = s })
}

// DefaultEntrypoint is where the application starts when nothing is loaded, or
// when a loaded application is not resumed. It is required.
func DefaultEntrypoint(name string) InitOption {
	return initOptionFunc(func(c *initConfig) { c.defaultEntrypoint = name })
}

// ForkFrom starts this application from a step another application saved:
// from.SequenceID, or its latest record when that is [Latest]
// (from = parent.At(burr.Latest)). The new application has an app id of its
// own and keeps a pointer to its parent ([Application.Parent]).
func ForkFrom(from StepRef) InitOption {
	return initOptionFunc(func(c *initConfig) { c.fork = &from })
}

// initialize applies c.init to the config, returning the state, entrypoint and
// fork parent to use.
func (c *config) initialize(ctx context.Context) (State, string, *StepRef, error) {
	ic := c.init
	if c.stateSet || c.entrypoint != "" {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom cannot be combined with WithState or WithEntrypoint")
	}
	if ic.loader == nil {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom needs a loader")
	}
	if ic.fork != nil && ic.fork.AppID == "" {
		return State{}, "", nil, errors.New("burr: ForkFrom needs the app id to fork from")
	}
	if ic.fork != nil && ic.fork.AppID == c.ref.AppID {
		return State{}, "", nil, fmt.Errorf("burr: cannot fork and save to the same app id %q", c.ref.AppID)
	}
	if ic.defaultEntrypoint == "" {
		return State{}, "", nil, errors.New("burr: WithInitializeFrom needs DefaultEntrypoint")
	}
	at := c.ref.At(Latest)
	if c.seqSet {
		at.SequenceID = c.seq
	}
	if ic.fork != nil {
		at = *ic.fork
	}
	rec, err := ic.loader.Load(ctx, at)
	if errors.Is(err, ErrNotFound) {
		return ic.defaultState, ic.defaultEntrypoint, nil, nil
	}
	if err != nil {
		return State{}, "", nil, fmt.Errorf("burr: loading app %q (partition %q, sequence id %s): %w", at.AppID, at.PartitionKey, seqText(at.SequenceID), err)
	}
	if rec.SequenceID < 0 {
		return State{}, "", nil, fmt.Errorf("burr: loading app %q (partition %q): the loaded record has sequence id %d, and a sequence id cannot be negative", at.AppID, at.PartitionKey, rec.SequenceID)
	}
	// As in Burr: the prior step first, then the sequence id (each keeps its
	// place when the loaded state has it, or goes last).
	s := rec.State
	entry := ic.defaultEntrypoint
	if rec.Status == StatusInterrupted {
		payload, _ := s.Get(InterruptKey)
		s = s.Delete(InterruptKey)
		if ic.resume && ic.fork == nil {
			// The loaded application waits on the question again.
			c.interrupted = &Interrupt{Action: rec.Position, SequenceID: rec.SequenceID, Payload: payload}
		}
	}
	switch {
	case ic.resume && rec.Status == StatusCompleted:
		s = s.withPrior(rec.Position)
	case ic.resume:
		entry = rec.Position
		s = s.withoutPrior()
	default:
		s = s.withoutPrior()
	}
	s = s.withSeq(rec.SequenceID)
	var parent *StepRef
	if ic.fork != nil {
		p := ic.fork.At(rec.SequenceID)
		parent = &p
	}
	return s, entry, parent, nil
}

func seqText(seq int) string {
	if seq == Latest {
		return "latest"
	}
	return fmt.Sprint(seq)
}
