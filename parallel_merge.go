package burr

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// mergeQueueMax bounds the items of one child waiting in a merged stream: a
// child that gets that far ahead of the consumer waits for it. It is also the
// size of the blocks a child's items are stored in.
const mergeQueueMax = 256

// mergeSpins is how many times the consumer of a merged stream that finds no
// item lets the children's goroutines run before it sleeps.
const mergeSpins = 2

// merger hands the items of many children, produced on their goroutines, to
// the parent's action on its own goroutine, a batch at a time.
//
// Each child appends its items to a buffer of its own, under a lock only the
// consumer also takes, once per batch. The consumer is woken only when it
// sleeps, by the item that makes a buffer non-empty, so an item reaches a
// waiting consumer at once; while it is busy, items pile up and it collects
// every non-empty buffer at its next look. A child whose buffer is full waits
// until the consumer takes it or the merge ends.
//
// Buffers are windows onto blocks of mergeQueueMax items that are never
// reused: the consumer hands out pointers into them (*ChildItem), which stay
// valid, and a block costs one allocation per mergeQueueMax items.
type merger struct {
	mu      sync.Mutex
	ready   []int         // children whose buffer turned non-empty
	wake    chan struct{} // the consumer waits on it when nothing is ready
	waiting bool          // the consumer is waiting
	live    int           // children still running
	ending  int           // 0, or interruptStop / interruptClose once decided
	streams []*Stream     // the children's streams, by task, to stop or close
	bufs    []childBuf
	quit    atomic.Bool // the consumer takes no more items
}

type childBuf struct {
	mu   sync.Mutex
	room sync.Cond   // signalled when the consumer took the buffer
	q    []ChildItem // the items not yet taken
	full bool        // the child waits for room
	_    [16]byte    // keep neighbouring children's locks off one cache line
}

func newMerger(n int) *merger {
	m := &merger{wake: make(chan struct{}, 1), live: n, streams: make([]*Stream, n), bufs: make([]childBuf, n)}
	for i := range m.bufs {
		m.bufs[i].room.L = &m.bufs[i].mu
	}
	return m
}

// push queues an item of child i; it waits while the child's buffer is
// full. Once the consumer takes no more items, it drops the item.
func (m *merger) push(i int, it ChildItem) {
	b := &m.bufs[i]
	b.mu.Lock()
	for len(b.q) >= mergeQueueMax && !m.quit.Load() {
		b.full = true
		b.room.Wait()
	}
	if m.quit.Load() {
		b.mu.Unlock()
		return
	}
	if len(b.q) == cap(b.q) {
		// The block is used up: the items not yet taken move to a new one.
		q := make([]ChildItem, len(b.q), mergeQueueMax)
		copy(q, b.q)
		b.q = q
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
			m.notify()
		}
	}
}

// notify wakes the consumer. A wake-up left over from a wait the consumer
// left another way only makes it look once more.
func (m *merger) notify() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// take returns the items of child i queued so far. The child goes on
// appending after them, in the same block.
func (m *merger) take(i int) []ChildItem {
	b := &m.bufs[i]
	b.mu.Lock()
	q := b.q
	b.q = q[len(q):len(q)]
	if b.full {
		b.full = false
		b.room.Signal()
	}
	b.mu.Unlock()
	return q
}

// collect returns the children whose buffers turned non-empty, reusing
// ready's array, and how many children still run. When none is ready and
// some still run, the consumer is marked waiting if sleep is set.
func (m *merger) collect(ready []int, sleep bool) ([]int, int) {
	m.mu.Lock()
	ready, m.ready = m.ready, ready[:0]
	if len(ready) == 0 && m.live > 0 && sleep {
		m.waiting = true
	}
	live := m.live
	m.mu.Unlock()
	return ready, live
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
		m.notify()
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

// end stops or closes every child stream registered so far, makes later ones
// end as they register, and releases every child waiting for room.
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
		b.full = false
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

// run hands every item to yield, batch by batch, until every child has
// ended. When yield returns false, or stopping or done fire, it calls end:
// from then on it only waits for the children to end.
func (m *merger) run(yield Yield, stopping, done <-chan struct{}, end func()) {
	var ready []int
	ended := false
	spins := 0
	for {
		var live int
		ready, live = m.collect(ready, spins >= mergeSpins)
		for _, i := range ready {
			batch := m.take(i)
			for j := range batch {
				if !ended && !yield(&batch[j]) {
					ended = true
					end()
				}
			}
		}
		if len(ready) > 0 {
			spins = 0
			continue
		}
		if live == 0 {
			return
		}
		if spins < mergeSpins {
			// Let the children run on this thread before sleeping: on a
			// busy machine, waking a sleeping thread costs more than a
			// batch of items.
			spins++
			runtime.Gosched()
			continue
		}
		spins = 0
		select {
		case <-m.wake:
		case <-stopping:
			stopping = nil
			ended = true
			end()
		case <-done:
			done = nil
			ended = true
			end()
		}
	}
}
