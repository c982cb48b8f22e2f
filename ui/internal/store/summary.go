package store

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
)

// tailWindow is how much of the end of a log the application list reads
// at first; it reads further back only when the last entry line is longer.
const tailWindow = 64 << 10

// entryLine is what the application list decodes of an entry line.
type entryLine struct {
	Type       string  `json:"type"`
	Action     string  `json:"action"`
	SequenceID *int    `json:"sequence_id"`
	Exception  *string `json:"exception"`
}

// parseEntry decodes a begin_entry or end_entry line; ok is false for any
// other line.
func parseEntry(raw []byte) (e entryLine, ok bool) {
	raw = bytes.TrimSpace(raw)
	if !bytes.Contains(raw, []byte("_entry")) {
		return e, false
	}
	if json.Unmarshal(raw, &e) != nil || e.SequenceID == nil {
		return e, false
	}
	return e, e.Type == "begin_entry" || e.Type == "end_entry"
}

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
// bytes: the number of steps, the last action and the status. It reads
// the end of the file only (and the first line), never the whole of a
// long log.
//
// The number of steps is the one the application page shows: the number
// of distinct sequence ids that have a begin_entry. A log shorter than
// tailWindow is read whole and counted exactly. For a longer one it is
// the last entry's sequence id minus the first begin_entry's, plus one:
// the same number, since Burr numbers the steps of an application one by
// one (from 0, or on from the step a fork started at).
func summarizeLog(r io.ReaderAt, size int64) (steps int, lastAction string, status Status) {
	// The tail, read backwards until it holds a whole entry line.
	start := max(size-tailWindow, 0)
	tail := make([]byte, size-start)
	if _, err := r.ReadAt(tail, start); err != nil && err != io.EOF {
		return 0, "", StatusNew
	}
	var last entryLine
	found := false
	for {
		complete := tail
		if start > 0 {
			// The first line may have begun before start: not whole.
			i := bytes.IndexByte(tail, '\n')
			if i < 0 {
				complete = nil
			} else {
				complete = tail[i+1:]
			}
		}
		lines := SplitLines(complete)
		for i := len(lines) - 1; i >= 0 && !found; i-- {
			last, found = parseEntry(lines[i])
		}
		if found || start == 0 {
			break
		}
		from := max(start-int64(len(tail)), 0) // double what is read
		more := make([]byte, start-from)
		if _, err := r.ReadAt(more, from); err != nil && err != io.EOF {
			return 0, "", StatusNew
		}
		tail, start = append(more, tail...), from
	}
	if !found {
		return 0, "", StatusNew
	}
	status = StatusRunning
	if last.Type == "end_entry" {
		status = StatusCompleted
		if last.Exception != nil {
			status = StatusFailed
		}
	}
	if start == 0 {
		return countSteps(tail), last.Action, status
	}
	first, whole, ok := firstBegin(r, start, tail)
	switch {
	case whole != nil:
		return countSteps(whole), last.Action, status
	case !ok:
		return 0, last.Action, status
	case *last.SequenceID >= first:
		return *last.SequenceID - first + 1, last.Action, status
	}
	// Sequence ids that went back (an application id used again from
	// scratch): count the last run only.
	return *last.SequenceID + 1, last.Action, status
}

// countSteps counts the distinct sequence ids that have a begin_entry.
func countSteps(data []byte) int {
	seen := map[int]bool{}
	for _, raw := range SplitLines(data) {
		if !bytes.Contains(raw, []byte(`"begin_entry"`)) {
			continue
		}
		if e, ok := parseEntry(raw); ok && e.Type == "begin_entry" {
			seen[*e.SequenceID] = true
		}
	}
	return len(seen)
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
			if e, ok := parseEntry(raw); ok && e.Type == "begin_entry" {
				return *e.SequenceID, nil, true
			}
		}
	}
	return 0, nil, false
}
