package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Steps builds the steps seen so far, sorted by sequence id. Like Burr's
// server it keeps only steps that have a begin_entry, and drops spans
// that have no begin_span.
func (l *Log) Steps() []*Step {
	seqs := make([]int, 0, len(l.entries))
	for seq := range l.entries {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	spansBySeq := map[int][]*spanRec{}
	for _, s := range l.spans {
		spansBySeq[s.seq] = append(spansBySeq[s.seq], s)
	}
	steps := make([]*Step, 0, len(seqs))
	var prev []Field
	for _, seq := range seqs {
		e := l.entries[seq]
		st := &Step{
			SequenceID: seq,
			Action:     e.begin.Action,
			Status:     e.status(),
			Start:      e.begin.StartTime.Time,
			Inputs:     e.begin.Inputs,
			Attributes: l.attrs[seq],
			Stream:     l.streams[seq],
		}
		if e.end != nil {
			st.HasEnd = true
			st.End = e.end.EndTime.Time
			st.Result = e.end.Result
			if e.end.Exception != nil {
				st.Exception = *e.end.Exception
			}
			st.State = orderedFields(e.end.State)
			st.Changes = diffState(prev, st.State)
			prev = st.State
		}
		st.Spans = spanTree(spansBySeq[seq], st)
		if p := interruptOf(st.Attributes); p != nil && st.Status == StatusFailed {
			st.Status, st.Interrupt = StatusInterrupted, p
		}
		for _, sp := range st.Spans {
			if sp.ParentID == "" && strings.HasPrefix(sp.Name, "attempt ") && hasAttr(sp.Attributes, "error") {
				st.FailedAttempts++
			}
		}
		steps = append(steps, st)
	}
	return steps
}

// interruptOf returns the payload of a step's "interrupt" attribute (logged
// on the action, not on a span), or nil.
func interruptOf(attrs []Attribute) json.RawMessage {
	for _, a := range attrs {
		if a.Key == "interrupt" && a.SpanID == "" {
			return a.Value
		}
	}
	return nil
}

func hasAttr(attrs []Attribute, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// spanTree nests the spans of one step by parent id, orders siblings by
// start time and places each bar inside the step's time window.
func spanTree(recs []*spanRec, st *Step) []*Span {
	byID := map[string]*Span{}
	var all []*Span
	var orphanAttrs []Attribute
	for _, r := range recs {
		if r.begin == nil {
			orphanAttrs = append(orphanAttrs, r.attrs...)
			continue
		}
		sp := &Span{
			ID:           r.begin.SpanID,
			Name:         r.begin.SpanName,
			Dependencies: r.begin.SpanDependencies,
			Start:        r.begin.StartTime.Time,
			Ended:        r.end != nil,
			Attributes:   r.attrs,
		}
		if r.end != nil {
			sp.End = r.end.EndTime.Time
		}
		if r.begin.ParentSpanID != nil {
			sp.ParentID = *r.begin.ParentSpanID
		}
		byID[sp.ID] = sp
		all = append(all, sp)
	}
	if len(orphanAttrs) > 0 {
		// Attributes of spans that never began stay visible at step level.
		st.Attributes = append(slices.Clip(st.Attributes), orphanAttrs...)
	}
	children := map[string][]*Span{}
	var roots []*Span
	for _, sp := range all {
		if _, ok := byID[sp.ParentID]; ok && sp.ParentID != sp.ID {
			children[sp.ParentID] = append(children[sp.ParentID], sp)
		} else {
			roots = append(roots, sp)
		}
	}
	byStart := func(a, b *Span) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	// The time window: the step, widened to every span.
	lo, hi := st.Start, st.End
	if !st.HasEnd {
		hi = st.Start
	}
	for _, sp := range all {
		if sp.Start.Before(lo) {
			lo = sp.Start
		}
		if sp.Ended && sp.End.After(hi) {
			hi = sp.End
		}
		if sp.Start.After(hi) {
			hi = sp.Start
		}
	}
	window := hi.Sub(lo)
	pct := func(t time.Time) float64 {
		if window <= 0 {
			return 0
		}
		return float64(t.Sub(lo)) / float64(window) * 100
	}
	var out []*Span
	seen := map[string]bool{}
	var walk func(list []*Span, depth int)
	walk = func(list []*Span, depth int) {
		slices.SortFunc(list, byStart)
		for _, sp := range list {
			if seen[sp.ID] {
				continue
			}
			seen[sp.ID] = true
			sp.Depth = depth
			end := hi // an unfinished span runs to the end of the window
			if sp.Ended {
				end = sp.End
			}
			sp.Left = pct(sp.Start)
			sp.Width = max(pct(end)-sp.Left, 0.5)
			if sp.Left+sp.Width > 100 {
				sp.Width = max(100-sp.Left, 0.5)
			}
			out = append(out, sp)
			walk(children[sp.ID], depth+1)
		}
	}
	walk(roots, 0)
	if len(out) < len(all) {
		// Spans whose parents form a cycle have no root: show each one not
		// placed yet as a root, with what hangs below it.
		rest := slices.Clone(all)
		slices.SortFunc(rest, byStart)
		for _, sp := range rest {
			if !seen[sp.ID] {
				walk([]*Span{sp}, 0)
			}
		}
	}
	return out
}

// orderedFields decodes a JSON object keeping its key order. Anything
// else yields nil.
func orderedFields(raw json.RawMessage) []Field {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []Field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, Field{Key: key, Value: v})
	}
	return out
}

// isInternalKey reports Burr's bookkeeping keys (__SEQUENCE_ID,
// __PRIOR_STEP, …), which change at every step and are left out of diffs.
func isInternalKey(k string) bool { return strings.HasPrefix(k, "__") }

// diffState lists keys added, removed or changed from prev to cur, in
// the order of cur (removed keys last).
func diffState(prev, cur []Field) []Change {
	old := make(map[string]json.RawMessage, len(prev))
	for _, f := range prev {
		old[f.Key] = f.Value
	}
	var out []Change
	now := make(map[string]bool, len(cur))
	for _, f := range cur {
		now[f.Key] = true
		if isInternalKey(f.Key) {
			continue
		}
		o, ok := old[f.Key]
		switch {
		case !ok:
			out = append(out, Change{Key: f.Key, Kind: "added", New: f.Value})
		case !jsonEqual(o, f.Value):
			out = append(out, Change{Key: f.Key, Kind: "changed", Old: o, New: f.Value, Parts: diffValue(o, f.Value)})
		}
	}
	for _, f := range prev {
		if !now[f.Key] && !isInternalKey(f.Key) {
			out = append(out, Change{Key: f.Key, Kind: "removed", Old: f.Value})
		}
	}
	return out
}

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
