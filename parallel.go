package burr

import (
	"context"
	"fmt"
)

// ReduceFunc folds the final states of a parallel action's children, in task
// order, into the parent's state. s is the state the parallel action started
// from; children holds one state per task, without the framework's internal
// keys. The returned state is checked against the action's [Writes] like any
// action's.
type ReduceFunc func(ctx context.Context, s State, children []State) (State, error)

// StatesFunc returns the states to run a subgraph over: one child per state.
type StatesFunc func(ctx context.Context, s State, in Inputs) ([]State, error)

// TasksFunc returns the tasks of a parallel action: one child per task.
type TasksFunc func(ctx context.Context, s State, in Inputs) ([]Task, error)

// parallelOptions are the fan-out settings an action was declared with.
type parallelOptions struct {
	limit        int
	collect      bool
	persister    Saver
	persisterSet bool
	hooks        []any
	hooksSet     bool
}

func (a *Action) parallel() *parallelOptions {
	if a.par == nil {
		a.par = &parallelOptions{}
	}
	return a.par
}

// MaxConcurrency bounds how many children of the action run at once (at least
// 1). It applies to the parallel actions and to [RunChildren] called from
// inside the action; the default is the application's ([WithMaxConcurrency]),
// else [DefaultMaxConcurrency].
func MaxConcurrency(n int) ActionOption {
	return actionOptionFunc(func(a *Action) {
		if n < 1 {
			a.problems = append(a.problems, fmt.Sprintf("action %q: MaxConcurrency(%d): the limit must be at least 1", a.name, n))
			return
		}
		a.parallel().limit = n
	})
}

// CollectErrors makes a failing child leave its siblings running: the
// action's children all run to their end, and the error joins every failed
// child's [*ChildError] in task order. By default the first child error cancels
// the others.
func CollectErrors() ActionOption {
	return actionOptionFunc(func(a *Action) { a.parallel().collect = true })
}

// ChildPersister makes the action's children save their steps to p (and, when
// p is a [Loader], resume from it) instead of the parent's persister. A nil p
// leaves the children without persistence.
func ChildPersister(p Saver) ActionOption {
	return actionOptionFunc(func(a *Action) {
		o := a.parallel()
		o.persister, o.persisterSet = p, true
	})
}

// ChildHooks gives the action's children exactly these hooks instead of the
// parent's inheritable ones ([Inheritable]); with no hooks, the children have
// none.
func ChildHooks(hooks ...any) ActionOption {
	return actionOptionFunc(func(a *Action) {
		o := a.parallel()
		o.hooks, o.hooksSet = append([]any(nil), hooks...), true
	})
}

// NewParallelAction returns an action that runs the tasks tasks returns as
// child applications, in parallel, then folds their final states into its
// own with reduce (Burr's TaskBasedParallelAction). Declare its [Reads] and
// [Writes] like any action's; its declared inputs reach tasks. Children run as
// [RunChildren] runs them: bounded ([MaxConcurrency]), cancelled together on the
// first error (or not: [CollectErrors]), with ids derived from the step, and
// resumed from their own saved state when the application has a persister.
//
// An empty task list is no error: reduce then receives no states.
func NewParallelAction(name string, tasks TasksFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	a := newAction(name, kindFunc, "", opts)
	if tasks == nil {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the tasks function is nil", name))
	} else {
		a.code = funcCode(tasks)
	}
	checkReduce(a, reduce)
	a.fn = func(ctx context.Context, s State, in Inputs) (Result, State, error) {
		ts, err := tasks(ctx, s.WithoutInternal(), in)
		if err != nil {
			return nil, s, err
		}
		return runAndReduce(ctx, s, len(ts), func(i int) Task { return ts[i] }, reduce)
	}
	return a
}

// MapStates returns a parallel action that runs sub once per state states
// returns, then folds the children's final states with reduce (Burr's
// MapStates). Each child receives the action's declared inputs.
func MapStates(name string, sub *Subgraph, states StatesFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	if states == nil {
		a := newAction(name, kindFunc, "", opts)
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the states function is nil", name))
		return a
	}
	return mapAction(name, []*Subgraph{sub}, states, reduce, opts)
}

// MapActions returns a parallel action that runs every subgraph of subs on the
// action's state, then folds the children's final states with reduce (Burr's
// MapActions). Each child receives the action's declared inputs. Wrap a
// single action with [SubgraphOf].
func MapActions(name string, subs []*Subgraph, reduce ReduceFunc, opts ...ActionOption) *Action {
	return mapAction(name, subs, nil, reduce, opts)
}

// MapActionsAndStates returns a parallel action that runs every subgraph of
// subs on every state states returns — the product, in action-major order
// (sub 0 on every state, then sub 1, …), which is also the order reduce sees
// (Burr's MapActionsAndStates).
func MapActionsAndStates(name string, subs []*Subgraph, states StatesFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	if states == nil {
		a := newAction(name, kindFunc, "", opts)
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the states function is nil", name))
		return a
	}
	return mapAction(name, subs, states, reduce, opts)
}

// mapAction builds the Map forms. A nil states runs every sub on the action's
// own state.
func mapAction(name string, subs []*Subgraph, states StatesFunc, reduce ReduceFunc, opts []ActionOption) *Action {
	a := newAction(name, kindFunc, "", opts)
	if len(subs) == 0 {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: no subgraphs to run", name))
	}
	for i, sg := range subs {
		if err := sg.Err(); err != nil {
			a.problems = append(a.problems, fmt.Sprintf("parallel action %q: subgraph %d: %v", name, i, err.(*GraphError).Problems[0]))
		}
	}
	checkReduce(a, reduce)
	a.code = funcCode(reduce)
	subs = append([]*Subgraph(nil), subs...)
	a.fn = func(ctx context.Context, s State, in Inputs) (Result, State, error) {
		base := s.WithoutInternal()
		ss := []State{base}
		if states != nil {
			var err error
			if ss, err = states(ctx, base, in); err != nil {
				return nil, s, err
			}
		}
		// Task i runs sub i/len(ss) on state i%len(ss): action-major.
		task := func(i int) Task { return Task{Subgraph: subs[i/len(ss)], State: ss[i%len(ss)], Inputs: in} }
		return runAndReduce(ctx, s, len(subs)*len(ss), task, reduce)
	}
	return a
}

func checkReduce(a *Action, reduce ReduceFunc) {
	if reduce == nil {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the reduce function is nil", a.name))
		a.code = "reduce: nil"
	}
}

// runAndReduce runs the n tasks task returns as children of the running step
// and folds their states into s. Only the children's final states are kept
// for reduce.
func runAndReduce(ctx context.Context, s State, n int, task func(i int) Task, reduce ReduceFunc) (Result, State, error) {
	states := make([]State, n)
	sc := ctx.Value(appCtxKey{}).(*stepContext)
	err := fanOut(ctx, sc, n, task, func(i int, r StepResult) { states[i] = r.State.WithoutInternal() })
	if err != nil {
		return nil, s, err
	}
	ns, err := reduce(ctx, s, states)
	if err != nil {
		return nil, s, fmt.Errorf("reduce: %w", err)
	}
	return nil, ns, nil
}

// WithMaxConcurrency sets how many children of one fan-out run at once in
// this application and the children it runs (at least 1; the default is
// [DefaultMaxConcurrency]). An action's [MaxConcurrency] overrides it.
func WithMaxConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Sprintf("WithMaxConcurrency(%d): the limit must be at least 1", n))
			return
		}
		c.limit = n
	})
}

// WithExecutor runs the children of this application's fan-outs, and of its
// children's, on e instead of [DefaultExecutor].
func WithExecutor(e Executor) Option {
	return optionFunc(func(c *config) {
		if e == nil {
			c.errs = append(c.errs, "WithExecutor: the executor is nil")
			return
		}
		c.executor = e
	})
}
