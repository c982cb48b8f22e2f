package store

import (
	"bytes"
	"io"
	"io/fs"

	"github.com/burrgo/burr/internal/trackfile"
)

// tailWindow is how much of the end of a log the application list reads
// at first; it reads further back only when it needs to.
const tailWindow = 64 << 10

// summarizeFile summarizes the log file name (see summarizeLog); a missing
// or unreadable log has no steps.
func summarizeFile(fsys fs.FS, name string) (steps int, lastAction string, status Status) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, "", StatusNew
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, "", StatusNew
	}
	r, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(f)
		if err != nil {
			return 0, "", StatusNew
		}
		r = bytes.NewReader(data)
	}
	return summarizeLog(r, fi.Size())
}

// summarizeLog reads what the application list needs from a log of size
// bytes: the number of steps, and the action and status of the current
// step, by the reading rules of package trackfile that the application page
// (Log) follows. It reads the end of the file only (and its first lines),
// never the whole of a long log.
//
// A log that is read whole (one shorter than tailWindow, or one whose
// entries are all far from its end) is read by a Log, as the page reads it.
// For a longer one, the current step is the last begin_entry, found from the
// end, ended by the last end_entry of its sequence id after it; and the
// number of steps is the current step's sequence id minus the first
// begin_entry's, plus one. That is the page's number, since Burr numbers the
// steps of an application one by one (from 0, or on from the step a fork
// started at), unless the log's middle holds entries the page skips, or an
// application id used again from scratch (then the list counts the last run).
func summarizeLog(r io.ReaderAt, size int64) (steps int, lastAction string, status Status) {
	// The tail, read backwards until it holds the last begin_entry.
	start := max(size-tailWindow, 0)
	tail := make([]byte, size-start)
	if _, err := r.ReadAt(tail, start); err != nil && err != io.EOF {
		return 0, "", StatusNew
	}
	var cur *entry
	for start > 0 {
		// The first line may have begun before start: not whole.
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			if cur = lastStep(tail[i+1:]); cur != nil {
				break
			}
		}
		from := max(start-int64(len(tail)), 0) // double what is read
		more := make([]byte, start-from)
		if _, err := r.ReadAt(more, from); err != nil && err != io.EOF {
			return 0, "", StatusNew
		}
		tail, start = append(more, tail...), from
	}
	if start == 0 {
		return summarizeWhole(tail)
	}
	first, whole, ok := firstBegin(r, start, tail)
	switch {
	case whole != nil:
		return summarizeWhole(whole)
	case !ok:
		return 0, cur.begin.Action, cur.status()
	case cur.begin.SequenceID >= first:
		return cur.begin.SequenceID - first + 1, cur.begin.Action, cur.status()
	}
	// Sequence ids that went back (an application id used again from
	// scratch): count the last run only.
	return cur.begin.SequenceID + 1, cur.begin.Action, cur.status()
}

// summarizeWhole summarizes a whole log as the application page reads it.
func summarizeWhole(data []byte) (steps int, lastAction string, status Status) {
	lg := NewLog()
	lg.Add(data)
	if lg.current == nil {
		return 0, "", StatusNew
	}
	return len(lg.entries), lg.current.begin.Action, lg.current.status()
}

// mayBeEntry tells the lines that may be begin or end entries.
func mayBeEntry(raw []byte) bool {
	return trackfile.MayBe(raw, trackfile.BeginEntry) || trackfile.MayBe(raw, trackfile.EndEntry)
}

// lastStep returns the step of the last begin_entry of data, whole lines,
// with the last end_entry of its sequence id after it; nil when data has no
// begin_entry.
func lastStep(data []byte) *entry {
	ends := map[int]*trackfile.EndEntryModel{} // the last one of each sequence id
	for len(data) > 0 {
		var raw []byte
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			raw, data = data[i+1:], data[:i]
		} else {
			raw, data = data, nil
		}
		if !mayBeEntry(raw) {
			continue
		}
		l, err := trackfile.DecodeLine(raw)
		if err != nil {
			continue
		}
		switch m := l.Model.(type) {
		case *trackfile.EndEntryModel:
			if _, ok := ends[m.SequenceID]; !ok {
				ends[m.SequenceID] = m
			}
		case *trackfile.BeginEntryModel:
			return &entry{begin: m, end: ends[m.SequenceID]}
		}
	}
	return nil
}

// firstBegin returns the sequence id of the first begin_entry of a log,
// reading from its start in growing chunks up to tailStart, where tail (the
// end of the log, already read) begins. When it has to read all the way to
// tail, it returns the whole log instead.
func firstBegin(r io.ReaderAt, tailStart int64, tail []byte) (first int, whole []byte, ok bool) {
	var head []byte
	for off := int64(0); off < tailStart; {
		n := min(max(int64(len(head)), tailWindow), tailStart-off)
		chunk := make([]byte, n)
		if _, err := r.ReadAt(chunk, off); err != nil && err != io.EOF {
			return 0, nil, false
		}
		head, off = append(head, chunk...), off+n
		if off >= tailStart {
			return 0, append(head, tail...), true
		}
		for _, raw := range SplitLines(head[:CompleteLen(head)]) {
			if !mayBeEntry(raw) {
				continue
			}
			if l, err := trackfile.DecodeLine(raw); err == nil && l.Kind == trackfile.BeginEntry {
				return l.Model.(*trackfile.BeginEntryModel).SequenceID, nil, true
			}
		}
	}
	return 0, nil, false
}
