package burr

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ChildItem is one item a child of a streaming parallel action streamed: the
// parent's stream yields a *ChildItem per item, tagged with the child it came
// from.
//
// The *ChildItem is valid until the loop body (and the parent's item hooks)
// return: the framework reuses its memory for later items, so that merging
// allocates nothing per item. Keep a copy of the struct (ci := *item), or of
// its fields, to use it later.
type ChildItem struct {
	Index int    // the task's index
	AppID string // the child's app id
	Item  any    // the item the child's action yielded
}

// NewStreamingParallelAction returns a streaming action that runs the tasks
// tasks returns as child applications, in parallel, each streaming the action
// its subgraph halts after (earlier actions of the subgraph run as ordinary
// steps, and a halt-after action that does not stream yields nothing). The
// action's stream yields the children's items merged in the order they
// arrive, each as a [*ChildItem]; when every child has ended, reduce folds
// their final states, in task order, into the action's.
//
// The children are real applications with real streams, so each child's
// hooks (its inherited tracker among them) see one whole stream, and the
// parent's hooks see the merged one. How the parent's stream ends reaches
// every child:
//
//   - Stop on the parent's stream stops every child ([Stream.Stop]): each
//     commits its partial result, a child not yet started stops at once, and
//     reduce sees those partial states; the parent commits what reduce
//     returns.
//   - Close, breaking out of the loop or cancelling the context abandons
//     every child ([Stream.Close]): no child and not the parent commits.
//   - A child that fails cancels the others, as in [RunChildren] (or, with
//     [CollectErrors], lets them finish); the step fails with the child's
//     [*ChildError].
//
// Every subgraph must name its halt-after action. Children run as
// [RunChildren] runs them: bounded by [MaxConcurrency], on the application's
// [Executor], with ids from [ChildAppID].
func NewStreamingParallelAction(name string, tasks TasksFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	a := newAction(name, kindStreamFunc, "", opts)
	if tasks == nil {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the tasks function is nil", name))
	} else {
		a.code = funcCode(tasks)
	}
	checkReduce(a, reduce)
	a.sfn = streamAndReduce(tasks, reduce)
	return a
}

// StreamingMapStates returns a streaming parallel action that runs sub once
// per state states returns, each child streaming the action sub halts after,
// and yields their items merged as [NewStreamingParallelAction] does; reduce
// then folds the children's final states, in the order of the states (the
// streaming form of [MapStates]). sub must name its halt-after action, and
// each child receives the action's declared inputs.
//
// The streaming forms of [MapActions] and [MapActionsAndStates] are
// [NewStreamingParallelAction] with a [TasksFunc] that returns one [Task] per
// subgraph (and state).
func StreamingMapStates(name string, sub *Subgraph, states StatesFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	a := newAction(name, kindStreamFunc, "", opts)
	switch err := sub.Err(); {
	case err != nil:
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: subgraph: %v", name, err.(*GraphError).Problems[0]))
	case len(sub.haltAfter) == 0:
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the subgraph must name the action to stream (NewSubgraph with a halt-after name)", name))
	}
	if states == nil {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the states function is nil", name))
	}
	checkReduce(a, reduce)
	if reduce != nil {
		a.code = funcCode(reduce)
	}
	a.sfn = streamAndReduce(func(ctx context.Context, s State, in Inputs) ([]Task, error) {
		ss, err := states(ctx, s, in)
		if err != nil {
			return nil, err
		}
		tasks := make([]Task, len(ss))
		for i, st := range ss {
			tasks[i] = Task{Subgraph: sub, State: st, Inputs: in}
		}
		return tasks, nil
	}, reduce)
	return a
}

// streamAndReduce is the body of a streaming parallel action: it streams the
// children tasks returns, then reduces their final states.
func streamAndReduce(tasks TasksFunc, reduce ReduceFunc) func(context.Context, State, Inputs, Yield) (Result, State, error) {
	return func(ctx context.Context, s State, in Inputs, yield Yield) (Result, State, error) {
		ts, err := tasks(ctx, s.WithoutInternal(), in)
		if err != nil {
			return nil, s, err
		}
		sc := ctx.Value(appCtxKey{}).(*stepContext)
		results, err := streamChildren(ctx, sc, ts, yield)
		if err != nil {
			return nil, s, err
		}
		states := make([]State, len(results))
		for i, r := range results {
			states[i] = r.State.WithoutInternal()
		}
		ns, err := reduce(ctx, s, states)
		if err != nil {
			return nil, s, fmt.Errorf("reduce: %w", err)
		}
		return nil, ns, nil
	}
}

// streamChildren runs tasks as streaming children of the step sc and yields
// their items merged, until every child has ended.
func streamChildren(ctx context.Context, sc *stepContext, tasks []Task, yield Yield) ([]StepResult, error) {
	sp := newSpawner(sc)
	first := sc.nextChildren(len(tasks))
	n := len(tasks)
	results := make([]StepResult, n)
	if n == 0 {
		return results, nil
	}
	if err := sp.prepare(ctx); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m := newMerger(n)
	var (
		emu      sync.Mutex
		firstErr error
		errs     []error
	)
	if sp.collect {
		errs = make([]error, n)
	}
	fail := func(i int, err error) {
		ce := &ChildError{Action: sc.action.name, Index: first + i, AppID: sp.childID(first + i), Err: err}
		emu.Lock()
		defer emu.Unlock()
		if errs != nil {
			errs[i] = ce
		} else if firstErr == nil {
			firstErr = ce
			cancel(ce)
		}
	}
	ran := make([]bool, n)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sp.exec.Execute(cctx, n, sp.limit, func(i int) {
			ran[i] = true
			defer m.done()
			err := safeCall(func() error {
				res, err := sp.streamOne(cctx, m, tasks[i], first+i, i)
				results[i] = res
				return err
			})
			if err != nil {
				fail(i, err)
			}
		})
		// Tasks the executor never started end too.
		for i := range n {
			if !ran[i] {
				m.done()
			}
		}
	}()

	var stopping <-chan struct{}
	if sc.stream != nil {
		stopping = sc.stream.stopping()
	}
	m.run(yield, stopping, ctx.Done(), func() {
		how := int32(interruptStop)
		if (sc.stream != nil && sc.stream.interrupt.Load() == interruptClose) || ctx.Err() != nil {
			how = interruptClose
		}
		m.end(how)
	})
	wg.Wait()
	if m.ending == interruptClose {
		return nil, ErrStreamClosed
	}
	if firstErr != nil {
		return nil, firstErr
	}
	var joined []error
	for i := range n {
		switch {
		case errs != nil && errs[i] != nil:
			joined = append(joined, errs[i])
		case !ran[i]:
			joined = append(joined, sp.notRun(ctx, first+i))
		}
	}
	if len(joined) > 0 {
		return nil, errors.Join(joined...)
	}
	return results, nil
}

// streamOne builds the child with index index (task i of this fan-out) and
// streams its halt-after action into m.
func (sp *spawner) streamOne(ctx context.Context, m *merger, t Task, index, i int) (StepResult, error) {
	id := sp.childID(index)
	if t.Subgraph != nil && t.Subgraph.problem == "" && len(t.Subgraph.haltAfter) == 0 {
		return StepResult{}, errors.New("burr: a streaming parallel action needs subgraphs with a halt-after action")
	}
	app, done, err := sp.build(ctx, t, id)
	if err != nil {
		return StepResult{}, err
	}
	if done {
		return StepResult{Action: app.graph.actions[app.cur], State: app.State()}, nil
	}
	st, err := app.StreamResult(ctx, HaltAfter(t.Subgraph.haltAfter...), WithInputs(t.Inputs))
	if err != nil {
		return StepResult{}, err
	}
	m.register(i, st)
	for item := range st.All() {
		// Once the parent takes no more items, the child is being stopped
		// or closed: keep draining it (breaking out would close it) until
		// it ends.
		m.push(i, ChildItem{Index: index, AppID: id, Item: item})
	}
	r, s, err := st.Get()
	return StepResult{Action: st.Action(), Result: r, State: s}, err
}
