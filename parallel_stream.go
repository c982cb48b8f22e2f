package burr

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ChildItem is one item a child of a streaming parallel action streamed: the
// parent's stream yields a *ChildItem per item, tagged with the child it came
// from. The pointer stays valid: items are never reused.
type ChildItem struct {
	Index int    // the task's index
	AppID string // the child's app id
	Item  any    // the item the child's action yielded
}

// mergeQueueMax bounds the items of one child waiting in a merged stream: a
// child that gets that far ahead of the consumer waits for it.
const mergeQueueMax = 256

// NewStreamingParallelAction returns a streaming action that runs the tasks
// tasks returns as child applications, in parallel, each streaming the action
// its subgraph halts after (earlier actions of the subgraph run as ordinary
// steps, and a halt-after action that does not stream yields nothing). The
// action's stream yields the children's items merged in the order they
// arrive, each as a *ChildItem; when every child has ended, reduce folds
// their final states, in task order, into the action's.
//
// The children are real applications with real streams, so each child's
// hooks (its inherited tracker among them) see one whole stream, and the
// parent's hooks see the merged one. How the parent's stream ends reaches
// every child:
//
//   - Stop on the parent's stream stops every child (Stream.Stop): each
//     commits its partial result, a child not yet started stops at once, and
//     reduce sees those partial states; the parent commits what reduce
//     returns.
//   - Close, breaking out of the loop or cancelling the context abandons
//     every child (Stream.Close): no child and not the parent commits.
//   - A child that fails cancels the others, as in RunChildren (or, with
//     CollectErrors, lets them finish); the step fails with the child's
//     *ChildError.
//
// Every subgraph must name its halt-after action. Children run as
// RunChildren runs them: bounded by MaxConcurrency, on the application's
// Executor, with ids from ChildAppID.
func NewStreamingParallelAction(name string, tasks TasksFunc, reduce ReduceFunc, opts ...ActionOption) *Action {
	a := newAction(name, kindStreamFunc, "", opts)
	if tasks == nil {
		a.problems = append(a.problems, fmt.Sprintf("parallel action %q: the tasks function is nil", name))
	} else {
		a.code = funcCode(tasks)
	}
	checkReduce(a, reduce)
	a.sfn = func(ctx context.Context, s State, in Inputs, yield Yield) (Result, State, error) {
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
	return a
}

// merger hands the items of many children, produced on their goroutines, to
// the parent's action on its own goroutine. Each child queues its items in a
// buffer of its own, under a lock nobody else takes while the buffer fills;
// the shared lock is taken once per batch, when a buffer turns non-empty and
// when the parent collects the buffers that did.
type merger struct {
	mu      sync.Mutex
	ready   []int         // children whose buffer turned non-empty
	wake    chan struct{} // the parent waits on it when nothing is ready
	waiting bool          // the parent is waiting
	live    int           // children still running
	ending  int           // 0, or interruptStop / interruptClose once decided
	streams []*Stream     // the children's streams, by task, to stop or close
	bufs    []childBuf
	quit    atomic.Bool // the parent takes no more items
}

type childBuf struct {
	mu   sync.Mutex
	room sync.Cond // signalled when the parent took the buffer
	q    []ChildItem
	_    [24]byte // keep neighbouring children's locks off one cache line
}

func newMerger(n int) *merger {
	m := &merger{wake: make(chan struct{}, 1), live: n, streams: make([]*Stream, n), bufs: make([]childBuf, n)}
	for i := range m.bufs {
		m.bufs[i].room.L = &m.bufs[i].mu
	}
	return m
}

// push queues an item of child i; it waits while the child's buffer is
// full. Once the parent takes no more items, it drops the item.
func (m *merger) push(i int, it ChildItem) {
	b := &m.bufs[i]
	b.mu.Lock()
	for len(b.q) >= mergeQueueMax && !m.quit.Load() {
		b.room.Wait()
	}
	if m.quit.Load() {
		b.mu.Unlock()
		return
	}
	if b.q == nil {
		b.q = make([]ChildItem, 0, 16)
	}
	b.q = append(b.q, it)
	first := len(b.q) == 1
	b.mu.Unlock()
	if first {
		m.mu.Lock()
		m.ready = append(m.ready, i)
		wake := m.waiting
		m.waiting = false
		m.mu.Unlock()
		if wake {
			select {
			case m.wake <- struct{}{}:
			default:
			}
		}
	}
}

// take returns the items of child i queued so far. The slice is the
// parent's: the child starts a new one.
func (m *merger) take(i int) []ChildItem {
	b := &m.bufs[i]
	b.mu.Lock()
	q := b.q
	b.q = nil
	b.room.Signal()
	b.mu.Unlock()
	return q
}

// done records the end of one child.
func (m *merger) done() {
	m.mu.Lock()
	m.live--
	wake := m.waiting && m.live == 0
	if wake {
		m.waiting = false
	}
	m.mu.Unlock()
	if wake {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// register records a child's stream, or ends it at once when the parent's
// stream has already been stopped or closed.
func (m *merger) register(i int, st *Stream) {
	m.mu.Lock()
	ending := m.ending
	if ending == 0 {
		m.streams[i] = st
	}
	m.mu.Unlock()
	switch ending {
	case interruptStop:
		st.Stop()
	case interruptClose:
		st.Close()
	}
}

// end stops or closes every child stream registered so far, and makes later
// ones end as they register.
func (m *merger) end(how int32) {
	m.mu.Lock()
	if m.ending != 0 {
		m.mu.Unlock()
		return
	}
	m.ending = int(how)
	m.quit.Store(true)
	for i := range m.bufs {
		b := &m.bufs[i]
		b.mu.Lock()
		b.q = nil
		b.room.Broadcast()
		b.mu.Unlock()
	}
	streams := append([]*Stream(nil), m.streams...)
	m.mu.Unlock()
	for _, st := range streams {
		if st == nil {
			continue
		}
		if how == interruptStop {
			st.Stop()
		} else {
			st.Close()
		}
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
	ctxDone := ctx.Done()
	ended := false
	endAll := func() {
		if ended {
			return
		}
		ended = true
		how := int32(interruptStop)
		if (sc.stream != nil && sc.stream.interrupt.Load() == interruptClose) || ctx.Err() != nil {
			how = interruptClose
		}
		m.end(how)
	}
	var ready []int
	for {
		m.mu.Lock()
		ready, m.ready = m.ready, ready[:0]
		if len(ready) == 0 && m.live > 0 {
			m.waiting = true
		}
		live := m.live
		m.mu.Unlock()
		for _, i := range ready {
			batch := m.take(i)
			for j := range batch {
				if !ended && !yield(&batch[j]) {
					endAll()
				}
			}
		}
		if len(ready) > 0 {
			continue
		}
		if live == 0 {
			break
		}
		select {
		case <-m.wake:
		case <-stopping:
			stopping = nil
			endAll()
		case <-ctxDone:
			ctxDone = nil
			endAll()
		}
	}
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
