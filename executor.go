package burr

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultMaxConcurrency is how many children of one fan-out run at once
// unless the action ([MaxConcurrency]) or the application ([WithMaxConcurrency])
// says otherwise. It does not depend on the number of CPUs on purpose:
// children usually wait on models and services rather than compute, and a
// fan-out should behave the same on a laptop and on a large server.
const DefaultMaxConcurrency = 16

// Executor runs the children of a fan-out ([RunChildren] and the parallel
// actions). The default, [DefaultExecutor], runs them in this process on a
// bounded set of goroutines.
//
// Execute calls run(i) once for each i in [0, n), with at most limit calls
// running at a time, and returns once every call it made has returned. It may
// stop making calls once ctx is done: an index it never ran is reported as
// cancelled. run never panics and may be called from any goroutine; it does
// all the work of one child — building the application, running it, saving
// its steps and recording its error — so an Executor only decides where and
// when each call happens.
//
// # Children on other machines
//
// An Executor runs Go functions, so it cannot ship a child to another
// process. For fan-outs that outgrow one machine, keep the fan-out here and
// move the work: make the child's action submit its job to the engine of your
// choice (a job queue, a workflow engine, a batch service) and wait for its
// answer, with a persister shared by every machine. The child's app id is
// deterministic ([ChildAppID]), so a remote worker can load and save the
// child's state under it, and a parent that is resumed after a crash finds
// every child where it stopped.
type Executor interface {
	Execute(ctx context.Context, n, limit int, run func(i int))
}

// DefaultExecutor runs children on at most limit goroutines of this process,
// started for the fan-out and ended with it. One child runs on the caller's
// goroutine.
var DefaultExecutor Executor = poolExecutor{}

type poolExecutor struct{}

func (poolExecutor) Execute(ctx context.Context, n, limit int, run func(i int)) {
	if n <= 0 {
		return
	}
	done := ctx.Done()
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			if done != nil {
				select {
				case <-done:
					return
				default:
				}
			}
			run(i)
		}
	}
	workers := min(n, limit)
	if workers <= 1 {
		work()
		return
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// RunChildren runs every task as a child application of the step running with
// ctx, as [RunChild] runs one, and returns their results in task order,
// whatever order they finish in. It must be called from inside an action.
//
// Children run on the application's [Executor], at most [MaxConcurrency] of the
// running action (or [WithMaxConcurrency] of the application, or
// [DefaultMaxConcurrency]) at a time; each gets the next child index of the step
// and the app id [ChildAppID] derives from it. Every child runs with a context
// derived from ctx. The first child that fails cancels the others, with that
// child's [*ChildError] as the cause, and RunChildren returns that error; a
// panic in a child is an error like any other. When the action was declared
// with [CollectErrors], every child runs to its end and the error joins every
// child's *ChildError, in task order. An empty task list is no error.
func RunChildren(ctx context.Context, tasks []Task) ([]StepResult, error) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return nil, errors.New("burr: RunChildren needs the context of a running action")
	}
	results := make([]StepResult, len(tasks))
	err := fanOut(ctx, sc, len(tasks), func(i int) Task { return tasks[i] }, func(i int, r StepResult) { results[i] = r })
	if err != nil {
		return nil, err
	}
	return results, nil
}

// fanOut runs the n tasks task returns as children of the step sc, with the
// step's next child indices, and hands each child's result to keep. Tasks
// are built as children start, and only what keep keeps stays: a fan-out to
// many children holds no more than that.
func fanOut(ctx context.Context, sc *stepContext, n int, task func(i int) Task, keep func(i int, r StepResult)) error {
	sp := newSpawner(sc)
	first := sc.nextChildren(n)
	if n == 0 {
		return nil
	}
	if err := sp.prepare(ctx); err != nil {
		return err
	}
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu       sync.Mutex
		firstErr error
		errs     []error // per task, in collect mode
		ran      = make([]bool, n)
	)
	if sp.collect {
		errs = make([]error, n)
	}
	name := sp.sc.action.name
	sp.exec.Execute(cctx, n, sp.limit, func(i int) {
		ran[i] = true
		id := sp.childID(first + i)
		var res StepResult
		err := safeCall(func() (err error) {
			res, err = sp.runOne(cctx, task(i), id)
			return err
		})
		if err == nil {
			keep(i, res)
			return
		}
		ce := &ChildError{Action: name, Index: first + i, AppID: id, Err: err}
		if errs != nil {
			errs[i] = ce
			return
		}
		mu.Lock()
		if firstErr == nil {
			firstErr = ce
			cancel(ce)
		}
		mu.Unlock()
	})
	if firstErr != nil {
		return firstErr
	}
	var joined []error
	for i, e := range errs {
		if e != nil {
			joined = append(joined, e)
		} else if !ran[i] {
			joined = append(joined, sp.notRun(ctx, first+i))
		}
	}
	if errs == nil {
		for i, r := range ran {
			if !r {
				return sp.notRun(ctx, first+i)
			}
		}
	}
	if len(joined) > 0 {
		return errors.Join(joined...)
	}
	return nil
}

// notRun is the error of a task the executor never started.
func (sp *spawner) notRun(ctx context.Context, index int) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = errors.New("burr: the executor did not run the child")
	}
	return &ChildError{Action: sp.sc.action.name, Index: index, AppID: sp.childID(index), Err: cause}
}

// prepare checks, once per fan-out, a persister the action gave its children.
func (sp *spawner) prepare(ctx context.Context) error {
	if !sp.checkInit {
		return nil
	}
	sp.checkInit = false
	return checkInitialized(ctx, sp.persister)
}

// checkInitialized fails when p can tell it is not ready.
func checkInitialized(ctx context.Context, p Saver) error {
	ini, ok := p.(interface {
		Initialized(context.Context) (bool, error)
	})
	if !ok {
		return nil
	}
	ready, err := ini.Initialized(ctx)
	if err != nil {
		return fmt.Errorf("burr: checking the persister: %w", err)
	}
	if !ready {
		return fmt.Errorf("burr: the persister %T is not initialized: call its Initialize method first", p)
	}
	return nil
}
