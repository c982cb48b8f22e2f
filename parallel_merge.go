package burr

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// mergeQueueMax bounds the items of one child waiting in a merged stream: a
// child that gets that far ahead of the consumer waits for it. It is also the
// size of the largest blocks a child's items are stored in.
const mergeQueueMax = 256

// mergeSpins is how many times the consumer of a merged stream that finds no
// item lets the children's goroutines run before it sleeps.
const mergeSpins = 2

// merger hands the items of many children, produced on their goroutines, to
// the parent's action on its own goroutine, a batch at a time.
//
// Each child writes its items into blocks of its own and publishes each with
// one atomic store; no lock is taken per item. A child whose items were all
// taken puts itself on the ready list with its next item, and wakes the
// consumer if it sleeps, so an item reaches a waiting consumer at once; while
// the consumer is busy, items pile up and it takes every published item of
// every ready child at its next look. A child mergeQueueMax items ahead of
// the consumer waits until the consumer takes them or the merge ends.
//
// A child's first block is small; each next one is twice as large, up to
// mergeQueueMax items. The consumer hands out pointers into the blocks
// (*ChildItem) and gives a full-size block back to its child once it has
// handed out its last item, so a long stream allocates nothing per item.
type merger struct {
	mu      sync.Mutex
	ready   []int         // children with items to take
	wake    chan struct{} // the consumer waits on it when nothing is ready
	waiting bool          // the consumer is waiting
	live    int           // children still running
	ending  int           // 0, or interruptStop / interruptClose once decided
	streams []*Stream     // the children's streams, by task, to stop or close
	bufs    []childBuf
	quit    atomic.Bool   // the consumer takes no more items
	quitCh  chan struct{} // closed with quit
}

// mergeFirstBlock is the size of a child's first block.
const mergeFirstBlock = 8

type mergeBlock struct {
	items []ChildItem
	next  atomic.Pointer[mergeBlock]
}

// childBuf is the queue of one child: a chain of blocks the child appends to
// and the consumer reads from.
type childBuf struct {
	// The child's side.
	w    int64       // items written
	wblk *mergeBlock // the block being written
	woff int         // items written in it

	head   atomic.Pointer[mergeBlock] // the first block
	pub    atomic.Int64               // items published: written and visible
	taken  atomic.Int64               // items the consumer took
	queued atomic.Bool                // the child is on the ready list, or going there
	full   atomic.Bool                // the child waits for room
	room   chan struct{}              // the consumer took items of a full child
	free   atomic.Pointer[mergeBlock] // a block the consumer is done with

	// The consumer's side.
	r    int64       // items read
	rblk *mergeBlock // the block being read
	roff int         // items read in it
	_    [64]byte    // keep neighbouring children apart in the cache
}

func newMerger(n int) *merger {
	m := &merger{wake: make(chan struct{}, 1), quitCh: make(chan struct{}), live: n,
		streams: make([]*Stream, n), bufs: make([]childBuf, n)}
	for i := range m.bufs {
		m.bufs[i].room = make(chan struct{}, 1)
	}
	return m
}

// push queues an item of child i; it waits while the child is mergeQueueMax
// items ahead of the consumer. Once the consumer takes no more items, it
// drops the item.
func (m *merger) push(i int, it ChildItem) {
	b := &m.bufs[i]
	if b.w-b.taken.Load() >= mergeQueueMax && !m.waitRoom(b) || m.quit.Load() {
		return
	}
	if b.wblk == nil || b.woff == len(b.wblk.items) {
		b.nextBlock()
	}
	b.wblk.items[b.woff] = it
	b.woff++
	b.w++
	b.pub.Store(b.w)
	// The consumer clears queued before it reads pub: either it sees this
	// item, or this child sees queued cleared and goes back on the list.
	if !b.queued.Load() && b.queued.CompareAndSwap(false, true) {
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

// nextBlock starts the child's next block: the one the consumer gave back, or
// a new one twice the size of the last.
func (b *childBuf) nextBlock() {
	var blk *mergeBlock
	switch {
	case b.wblk == nil:
		blk = &mergeBlock{items: make([]ChildItem, mergeFirstBlock)}
		b.head.Store(blk)
	default:
		if blk = b.free.Swap(nil); blk != nil {
			blk.next.Store(nil)
		} else {
			blk = &mergeBlock{items: make([]ChildItem, min(2*len(b.wblk.items), mergeQueueMax))}
		}
		b.wblk.next.Store(blk)
	}
	b.wblk, b.woff = blk, 0
}

// waitRoom waits until child b may queue another item; it reports false once
// the consumer takes no more items.
func (m *merger) waitRoom(b *childBuf) bool {
	for {
		// The consumer stores taken before it reads full: either this
		// child sees the room, or the consumer sees it waiting.
		b.full.Store(true)
		if m.quit.Load() {
			return false
		}
		if b.w-b.taken.Load() < mergeQueueMax {
			b.full.Store(false)
			return true
		}
		select {
		case <-b.room:
		case <-m.quitCh:
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

// take hands the items child i published to yield (none once ended is set),
// and reports whether yield asked for no more.
func (m *merger) take(i int, yield Yield, ended bool) (stop bool) {
	b := &m.bufs[i]
	b.queued.Store(false)
	pub := b.pub.Load()
	r := b.r
	b.r = pub
	// The items stay where they are until yielded: the child may write
	// after them already.
	b.taken.Store(pub)
	if b.full.Load() && b.full.CompareAndSwap(true, false) {
		select {
		case b.room <- struct{}{}:
		default:
		}
	}
	for ; r < pub; r++ {
		switch {
		case b.rblk == nil:
			b.rblk, b.roff = b.head.Load(), 0
		case b.roff == len(b.rblk.items):
			// Every item of the block was handed out and its loop body
			// has returned: the child may write over it.
			done := b.rblk
			b.rblk, b.roff = done.next.Load(), 0
			if len(done.items) == mergeQueueMax {
				b.free.Store(done)
			}
		}
		it := &b.rblk.items[b.roff]
		b.roff++
		if !ended && !yield(it) {
			ended, stop = true, true
		}
	}
	return stop
}

// collect returns the children with items to take, reusing ready's array,
// and how many children still run. When none is ready and some still run,
// the consumer is marked waiting if sleep is set.
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
	close(m.quitCh)
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
			if m.take(i, yield, ended) {
				ended = true
				end()
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
