package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/burrgo/burr/internal/trackfile"
)

// MaxLine is the longest log line read; a longer one is skipped and
// reported, so that one hostile line cannot make a request hold gigabytes.
const MaxLine = 32 << 20

// maxErrors is how many skipped lines an Index keeps to report; the others
// are only counted.
const maxErrors = 200

// readBuf is the size of the buffer a log is read through.
const readBuf = 1 << 20

// lineRef locates one line of a log.
type lineRef struct {
	off  int64 // of its first byte
	n    int32 // its length, without the newline
	line int32 // its 1-based number
}

// stepRef locates the lines of one step: its begin_entry and end_entry
// (the last begin_entry of its sequence id and the end_entry after it, as
// Log reads them) and its other lines (spans, attributes, stream lines).
type stepRef struct {
	begin, end     lineRef
	hasEnd, failed bool
	interrupt      bool // the step has an "interrupt" attribute
	others         []lineRef
	usage          *stepUsage // nil when the step logged no usage attribute
}

// Index locates the lines of each step of a log without holding them: the
// application page reads the lines of the steps it shows only, so that a
// log of any length is shown in bounded memory and time. An Index is built
// by reading the log once from its start, and extended as the log grows.
// It keeps about 40 bytes per line. An Index is not safe for concurrent
// use.
type Index struct {
	size    int64 // bytes indexed: complete lines only
	lines   int
	steps   map[int]*stepRef
	sorted  []int // the sequence ids, ascending; nil when stale
	current int   // sequence id of the last begin_entry
	hasCur  bool
	action  string // of the last begin_entry
	errors  []LineError
	nErrors int
	touched map[int]bool      // sequence ids with new lines since the last Touched
	orphans map[int][]lineRef // lines of steps that have not begun
	// orphanInterrupt marks the orphans that hold an "interrupt" attribute.
	orphanInterrupt map[int]bool
	orphanUsage     map[int]*stepUsage // usage attributes of orphans (usage.go)
}

// NewIndex returns an empty Index.
func NewIndex() *Index { return &Index{steps: map[int]*stepRef{}} }

// Size is the number of bytes indexed: the log up to its last newline.
func (x *Index) Size() int64 { return x.size }

// Lines is the number of lines indexed.
func (x *Index) Lines() int { return x.lines }

// NumSteps is the number of steps: sequence ids with a begin_entry.
func (x *Index) NumSteps() int { return len(x.steps) }

// Errors lists the first skipped lines the Index found (lines it could not
// assign to a step); NumErrors counts them all. Lines of the steps shown
// are checked in full when they are read (Log.Errors).
func (x *Index) Errors() []LineError { return x.errors }

// NumErrors is the number of lines the Index skipped.
func (x *Index) NumErrors() int { return x.nErrors }

// Seqs returns the sequence ids of the steps, ascending. The slice is
// shared: do not modify it.
func (x *Index) Seqs() []int {
	if x.sorted == nil {
		x.sorted = make([]int, 0, len(x.steps))
		for seq := range x.steps {
			x.sorted = append(x.sorted, seq)
		}
		slices.Sort(x.sorted)
	}
	return x.sorted
}

// Current returns the sequence id and action of the last begin_entry, the
// application's current step; ok is false without one.
func (x *Index) Current() (seq int, action string, ok bool) {
	return x.current, x.action, x.hasCur
}

// Status is the status of the current step, or StatusNew without steps.
func (x *Index) Status() Status {
	if !x.hasCur {
		return StatusNew
	}
	st := x.steps[x.current]
	switch {
	case !st.hasEnd:
		return StatusRunning
	case st.failed && st.interrupt:
		return StatusInterrupted
	case st.failed:
		return StatusFailed
	}
	return StatusCompleted
}

// Touched returns the sequence ids that got lines since the previous call
// (or since the Index was made), and forgets them.
func (x *Index) Touched() []int {
	out := make([]int, 0, len(x.touched))
	for seq := range x.touched {
		out = append(out, seq)
	}
	slices.Sort(out)
	clear(x.touched)
	return out
}

func (x *Index) addError(line int, msg string) {
	x.nErrors++
	if len(x.errors) < maxErrors {
		x.errors = append(x.errors, LineError{Line: line, Msg: msg})
	}
}

// add indexes one line (without its newline) found at off.
func (x *Index) add(off int64, raw []byte) {
	x.lines++
	ref := lineRef{off: off, n: int32(len(raw)), line: int32(x.lines)}
	if isBlank(raw) {
		return
	}
	li, msg := readLine(raw)
	if msg != "" {
		x.addError(x.lines, msg)
		return
	}
	x.touch(li.seq)
	switch li.kind {
	case trackfile.BeginEntry:
		st := x.steps[li.seq]
		if st == nil {
			st = &stepRef{others: x.orphans[li.seq], interrupt: x.orphanInterrupt[li.seq], usage: x.orphanUsage[li.seq]}
			delete(x.orphans, li.seq)
			delete(x.orphanInterrupt, li.seq)
			delete(x.orphanUsage, li.seq)
			x.steps[li.seq] = st
			x.sorted = nil
		}
		st.begin, st.hasEnd, st.failed = ref, false, false
		x.current, x.hasCur = li.seq, true
		x.action = li.action
	case trackfile.EndEntry:
		st := x.steps[li.seq]
		if st == nil {
			x.addError(x.lines, fmt.Sprintf("end_entry: no begin_entry before it for sequence id %d", li.seq))
			return
		}
		st.end, st.hasEnd, st.failed = ref, true, li.failed
	default:
		if li.usage != usageNone {
			x.addUsage(li.seq, li.usage, li.value)
		}
		if st := x.steps[li.seq]; st != nil {
			st.others = append(st.others, ref)
			st.interrupt = st.interrupt || li.interrupt
			return
		}
		// Lines before their step's begin_entry (odd files): kept for the
		// step should it begin later.
		if x.orphans == nil {
			x.orphans = map[int][]lineRef{}
		}
		x.orphans[li.seq] = append(x.orphans[li.seq], ref)
		if li.interrupt {
			if x.orphanInterrupt == nil {
				x.orphanInterrupt = map[int]bool{}
			}
			x.orphanInterrupt[li.seq] = true
		}
	}
}

func (x *Index) touch(seq int) {
	if x.touched != nil {
		x.touched[seq] = true
	}
}

// Track makes the Index remember the sequence ids that get lines, for
// Touched.
func (x *Index) Track() {
	if x.touched == nil {
		x.touched = map[int]bool{}
	}
}

func isBlank(raw []byte) bool {
	return skipWS(raw, 0) == len(raw)
}

// readLine reads the kind and step of a line that is not blank, quickly
// when it can. It returns the line's error message when the line is to be
// skipped.
func readLine(raw []byte) (lineInfo, string) {
	if li := classify(raw); li.ok {
		return li, ""
	}
	return classifySlow(raw)
}

// classifySlow decodes a line that classify could not read quickly. It
// returns the line's error message when the line is to be skipped.
func classifySlow(raw []byte) (lineInfo, string) {
	ln, err := trackfile.DecodeLine(raw)
	if err != nil {
		return lineInfo{}, err.Error()
	}
	li := lineInfo{kind: ln.Kind, ok: true}
	switch m := ln.Model.(type) {
	case *trackfile.BeginEntryModel:
		li.seq, li.action = m.SequenceID, m.Action
	case *trackfile.EndEntryModel:
		li.seq, li.failed = m.SequenceID, m.Exception != nil
	case *trackfile.BeginSpanModel:
		li.seq = m.ActionSequenceID
	case *trackfile.EndSpanModel:
		li.seq = m.ActionSequenceID
	case *trackfile.AttributeModel:
		li.seq = m.ActionSequenceID
		li.interrupt = m.Key == "interrupt" && (m.SpanID == nil || *m.SpanID == "")
		if k := usageKeyOf(m.Key); k != usageNone {
			li.usage, li.value = k, m.Value
		}
	case *trackfile.InitializeStreamModel:
		li.seq = m.ActionSequenceID
	case *trackfile.FirstItemStreamModel:
		li.seq = m.ActionSequenceID
	case *trackfile.EndStreamModel:
		li.seq = m.ActionSequenceID
	default:
		return lineInfo{}, fmt.Sprintf("unexpected %s line in a log", ln.Kind)
	}
	return li, ""
}

// errLongLine reports a line longer than MaxLine.
var errLongLine = errors.New("line longer than the limit")

// scanLines calls fn for each complete line of r between from and to
// (from is the start of a line), with its offset and its bytes without the
// newline; raw is valid during the call only. A line longer than MaxLine is
// passed as nil with its length. fn returns false to stop. scanLines
// returns the offset after the last complete line it passed. It reads
// through a buffer of bufSize bytes.
func scanLines(r io.ReaderAt, from, to int64, bufSize int, fn func(off int64, raw []byte, n int64) bool) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, from, to-from), bufSize)
	off := from
	var long []byte // a line longer than the buffer, gathered
	var longN int64 // its length so far, when over MaxLine
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			n := int64(len(chunk)) - 1
			var more bool
			switch {
			case tooLong:
				longN += n
				more = fn(off, nil, longN)
				off += longN + 1
			case long != nil:
				long = append(long, chunk[:n]...)
				if len(long) > MaxLine {
					more = fn(off, nil, int64(len(long)))
				} else {
					more = fn(off, long, int64(len(long)))
				}
				off += int64(len(long)) + 1
			default:
				more = fn(off, chunk[:n], n)
				off += n + 1
			}
			long, longN, tooLong = nil, 0, false
			if !more {
				return off, nil
			}
		case errors.Is(err, bufio.ErrBufferFull):
			if tooLong {
				longN += int64(len(chunk))
				continue
			}
			if len(long)+len(chunk) > MaxLine {
				longN, tooLong, long = int64(len(long)+len(chunk)), true, nil
				continue
			}
			if long == nil {
				long = make([]byte, 0, 2*len(chunk))
			}
			long = append(long, chunk...)
		case errors.Is(err, io.EOF):
			return off, nil // what is left has no newline yet
		default:
			return off, err
		}
	}
}

// Scan indexes the complete lines of r from the indexed size up to size.
func (x *Index) Scan(r io.ReaderAt, size int64) error {
	if size <= x.size {
		return nil
	}
	return x.scan(r, size, readBuf)
}

func (x *Index) scan(r io.ReaderAt, size int64, bufSize int) error {
	end, err := scanLines(r, x.size, size, bufSize, func(off int64, raw []byte, n int64) bool {
		if raw == nil {
			x.lines++
			x.addError(x.lines, fmt.Sprintf("longer than %d MiB (%d bytes), skipped", MaxLine>>20, n))
		} else {
			x.add(off, raw)
		}
		return true
	})
	x.size = end
	return err
}

// AddTail indexes a last line that has no newline (a finished run may lack
// it), found at the indexed size. Scan must not be called afterwards.
func (x *Index) AddTail(tail []byte) {
	if len(tail) > 0 && len(tail) <= MaxLine {
		x.add(x.size, tail)
	}
}

// Page returns the sequence ids of page number page (from 1) of the steps
// shown newest first, size per page, and the number of pages. A page past
// the last is the last.
func (x *Index) Page(page, size int) (seqs []int, pages int) {
	all := x.Seqs()
	pages = max((len(all)+size-1)/size, 1)
	page = min(max(page, 1), pages)
	hi := len(all) - (page-1)*size
	lo := max(hi-size, 0)
	out := make([]int, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		out = append(out, all[i])
	}
	return out, pages
}

// PageOf returns the page number that shows the step seq, newest first.
func (x *Index) PageOf(seq, size int) int {
	all := x.Seqs()
	i, _ := slices.BinarySearch(all, seq)
	return (len(all)-1-min(i, len(all)-1))/size + 1
}

// lineRefs returns the lines of the steps seqs and of the step before the
// first of them (whose state the first step is compared with), in file
// order.
func (x *Index) lineRefs(seqs []int) []lineRef {
	want := slices.Clone(seqs)
	if len(seqs) > 0 {
		lo := slices.Min(seqs)
		all := x.Seqs()
		if i, _ := slices.BinarySearch(all, lo); i > 0 {
			want = append(want, all[i-1])
		}
	}
	var refs []lineRef
	for _, seq := range want {
		st := x.steps[seq]
		if st == nil {
			continue
		}
		refs = append(refs, st.begin)
		if st.hasEnd {
			refs = append(refs, st.end)
		}
		refs = append(refs, st.others...)
	}
	slices.SortFunc(refs, func(a, b lineRef) int { return int(a.line) - int(b.line) })
	return slices.CompactFunc(refs, func(a, b lineRef) bool { return a.line == b.line })
}

// SeqsSince returns the sequence ids of the steps with lines at or after
// offset off, ascending, and the number of the first of those lines
// (Lines()+1 when there is none).
func (x *Index) SeqsSince(off int64) (seqs []int, first int) {
	first = x.lines + 1
	for _, seq := range x.Seqs() {
		st := x.steps[seq]
		found := false
		for _, r := range append([]lineRef{st.begin, st.end}, st.others...) {
			if r.off >= off && r.line > 0 && (r != st.end || st.hasEnd) {
				found, first = true, min(first, int(r.line))
			}
		}
		if found {
			seqs = append(seqs, seq)
		}
	}
	return seqs, first
}
