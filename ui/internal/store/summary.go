package store

import (
	"bytes"
	"io"
	"os"

	"github.com/burrgo/burr/internal/trackfile"
)

// tailWindow is how much of a log the application list reads whole, and
// the size of the chunks it reads a longer log by, from its end.
const tailWindow = 64 << 10

// maxSummaryScan bounds how far the application list reads into a long
// log, from its end for the current step and from its start for the first
// one; a log whose current step is further from its end is listed with an
// unknown step count and status.
const maxSummaryScan = 16 << 20

// StatusUnknown is the status of an application whose log is too long to
// find its current step within the application list's bound.
const StatusUnknown Status = "unknown"

// summarizeFile summarizes the log file name (see summarizeLog); a missing
// or unreadable log, or one that is not a regular file, has no steps.
func summarizeFile(root *os.Root, name string) (steps int, lastAction string, status Status) {
	f, fi, err := openRegular(root, name)
	if err != nil {
		return 0, "", StatusNew
	}
	defer f.Close()
	return summarizeLog(f, fi.Size())
}

// summarizeLog reads what the application list needs from a log of size
// bytes: the number of steps, and the action and status of the current
// step, by the reading rules the application page follows (Index). It
// reads a short log whole, and of a longer one its end and its first
// lines, in chunks of bounded size, never more than maxSummaryScan bytes
// from either end.
//
// For a long log, the current step is the last begin_entry, found from the
// end, ended by the last end_entry of its sequence id after it; and the
// number of steps is the current step's sequence id minus the first
// begin_entry's, plus one. That is the page's number, since Burr numbers the
// steps of an application one by one (from 0, or on from the step a fork
// started at), unless the log's middle holds entries the page skips, or an
// application id used again from scratch (then the list counts the last run).
// When the bound is reached first, steps is -1 and the status unknown.
func summarizeLog(r io.ReaderAt, size int64) (steps int, lastAction string, status Status) {
	if size <= tailWindow {
		x := NewIndex()
		if x.scan(r, size, int(max(size, 16))+1) != nil {
			return 0, "", StatusNew
		}
		x.AddTail(lastLine(r, x.size, size))
		_, action, ok := x.Current()
		if !ok {
			return 0, "", StatusNew
		}
		return x.NumSteps(), action, x.Status()
	}
	cur, found, whole := lastBegin(r, size)
	if !found {
		if whole {
			return 0, "", StatusNew
		}
		return -1, "", StatusUnknown
	}
	st := StatusCompleted
	switch {
	case !cur.hasEnd:
		st = StatusRunning
	case cur.failed && cur.interrupt:
		st = StatusInterrupted
	case cur.failed:
		st = StatusFailed
	}
	first, ok := firstBegin(r, size)
	switch {
	case !ok:
		return -1, cur.action, st
	case cur.seq >= first:
		return cur.seq - first + 1, cur.action, st
	}
	// Sequence ids that went back (an application id used again from
	// scratch): count the last run only.
	return cur.seq + 1, cur.action, st
}

// lastLine reads a last line without a newline, from off to size, when it
// is not over MaxLine.
func lastLine(r io.ReaderAt, off, size int64) []byte {
	if size <= off || size-off > MaxLine {
		return nil
	}
	b := make([]byte, size-off)
	n, _ := r.ReadAt(b, off)
	return b[:n]
}

// current is the current step of a log as found from its end.
type current struct {
	seq                       int
	action                    string
	hasEnd, failed, interrupt bool
}

// lastBegin finds the last begin_entry of a log reading backwards in
// chunks of tailWindow, at most maxSummaryScan bytes, with the end_entry
// of its sequence id after it. whole reports that the whole log was read.
func lastBegin(r io.ReaderAt, size int64) (cur current, found, whole bool) {
	type end struct{ failed bool }
	ends := map[int]end{}        // the last end_entry of each sequence id
	interrupts := map[int]bool{} // steps with an "interrupt" attribute after their begin_entry
	buf := make([]byte, tailWindow)
	var carry, work []byte // the end of a line whose start is in the chunk read next; chunk+carry
	skipping := false
	pos := size
	for pos > 0 && size-pos < maxSummaryScan {
		from := max(pos-tailWindow, 0)
		chunk := buf[:pos-from]
		if _, err := r.ReadAt(chunk, from); err != nil && err != io.EOF {
			return cur, false, false
		}
		pos = from
		// Lines are processed from the last; the first piece of the chunk
		// is whole only at the start of the file.
		data := chunk
		if len(carry) > 0 {
			work = append(append(work[:0], chunk...), carry...)
			data = work
		}
		for {
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 && pos > 0 {
				break
			}
			raw := data[i+1:]
			data = data[:max(i, 0)]
			if skipping {
				skipping = false // the start of an over-long line
			} else if isBlank(raw) {
				// nothing to read
			} else if li, msg := readLine(raw); msg == "" {
				switch li.kind {
				case trackfile.EndEntry:
					if _, ok := ends[li.seq]; !ok {
						ends[li.seq] = end{li.failed}
					}
				case trackfile.Attribute:
					interrupts[li.seq] = interrupts[li.seq] || li.interrupt
				case trackfile.BeginEntry:
					e, ok := ends[li.seq]
					return current{seq: li.seq, action: li.action, hasEnd: ok, failed: e.failed, interrupt: interrupts[li.seq]}, true, false
				}
			}
			if i < 0 {
				break
			}
		}
		switch {
		case skipping:
			carry = carry[:0] // still inside the over-long line
		case len(data) > MaxLine:
			carry, skipping = carry[:0], true
		default:
			carry = append(carry[:0], data...)
		}
	}
	return cur, false, pos == 0
}

// firstBegin returns the sequence id of the first begin_entry of a log,
// reading at most maxSummaryScan bytes from its start.
func firstBegin(r io.ReaderAt, size int64) (first int, ok bool) {
	_, _ = scanLines(r, 0, min(size, maxSummaryScan), tailWindow, func(_ int64, raw []byte, _ int64) bool {
		if raw == nil || !trackfile.MayBe(raw, trackfile.BeginEntry) {
			return true
		}
		if li, msg := readLine(raw); msg == "" && li.kind == trackfile.BeginEntry {
			first, ok = li.seq, true
			return false
		}
		return true
	})
	return first, ok
}
