package store

import (
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/burrgo/burr/internal/trackfile"
)

// maxChildRuns bounds how many spawned children of one application are read
// for its page; the others are counted but not shown.
const maxChildRuns = 500

// maxChildLog is the size up to which a child's log is read whole, for its
// duration; a longer one is summarized from its end (status only).
const maxChildLog = 1 << 20

// ChildRun is one spawned child of an application as its own files tell:
// the status of its current step and how long it ran.
type ChildRun struct {
	AppID     string
	ParentSeq int    // the sequence id of the parent's step that spawned it; -1 if unknown
	Status    Status // of the child's current step; StatusNew without steps
	Exception string // of the child's current step, when it failed
	Start     time.Time
	End       time.Time
	HasTimes  bool // Start and End are known: the child's first step began and its last ended
	Missing   bool // the child has no directory (yet)
}

// Duration is how long the child ran, from its first step's start to its
// last step's end, or 0 when unknown.
func (r ChildRun) Duration() time.Duration {
	if !r.HasTimes {
		return 0
	}
	return max(r.End.Sub(r.Start), 0)
}

// Outcome is how a child of a parallel step ended, as the step's page
// counts it.
type Outcome string

// The outcomes of a child. A failed child whose error is a cancellation
// from outside (its stream closed, its context cancelled, or the error of
// another child of the same step, which cancelled its siblings) was
// stopped; a child the step's own error names failed.
const (
	OutcomeRunning   Outcome = "running"
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	OutcomeStopped   Outcome = "stopped"
)

// StepChildren are the spawned children of one step, with their outcomes
// counted. Total counts every child children.jsonl names for the step; Runs
// (and the counts) only those read, at most maxChildRuns per application.
type StepChildren struct {
	Runs                                []ChildOfStep
	Succeeded, Failed, Stopped, Running int
	Total                               int
}

// ChildOfStep is a child with its outcome.
type ChildOfStep struct {
	ChildRun
	Outcome Outcome
}

// childRuns reads the spawned children of the application in project, at
// most maxChildRuns of them, in the order of children.jsonl.
func childRuns(root *os.Root, project string, children []Child) []ChildRun {
	fsys := root.FS()
	var out []ChildRun
	for _, c := range children {
		if c.EventType != trackfile.EventSpawnStart {
			continue
		}
		if len(out) == maxChildRuns {
			break
		}
		r := ChildRun{AppID: c.Child.AppID, ParentSeq: -1, Status: StatusNew}
		if c.SequenceID != nil {
			r.ParentSeq = *c.SequenceID
		}
		dir, err := appDir(fsys, project, c.Child.AppID)
		if err != nil {
			r.Missing = true
			out = append(out, r)
			continue
		}
		readChildLog(root, path.Join(dir, trackfile.LogFile), &r)
		out = append(out, r)
	}
	return out
}

// readChildLog fills in r from the child's log.
func readChildLog(root *os.Root, name string, r *ChildRun) {
	f, fi, err := openRegular(root, name)
	if err != nil {
		return
	}
	defer f.Close()
	if fi.Size() > maxChildLog {
		_, _, r.Status = summarizeLog(f, fi.Size())
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, maxChildLog))
	if err != nil {
		return
	}
	lg := NewLog()
	lg.Add(data)
	steps := lg.Steps()
	cur := lg.Latest(steps)
	if cur == nil {
		return
	}
	r.Status, r.Exception = cur.Status, cur.Exception
	first, last := steps[0], steps[len(steps)-1]
	if r.Status != StatusRunning && last.HasEnd {
		r.Start, r.End, r.HasTimes = first.Start, last.End, true
	}
}

// GroupChildren sorts runs by the step that spawned them, among steps, and
// gives each its outcome; children are the lines of children.jsonl, which
// Total counts. Steps without children are left out.
func GroupChildren(children []Child, runs []ChildRun, steps []*Step) map[int]*StepChildren {
	if len(runs) == 0 {
		return nil
	}
	bySeq := make(map[int]*Step, len(steps))
	for _, st := range steps {
		bySeq[st.SequenceID] = st
	}
	out := map[int]*StepChildren{}
	for _, r := range runs {
		sc := out[r.ParentSeq]
		if sc == nil {
			sc = &StepChildren{}
			out[r.ParentSeq] = sc
		}
		var stepErr string
		if st := bySeq[r.ParentSeq]; st != nil {
			stepErr = st.Exception
		}
		o := outcome(r, stepErr)
		switch o {
		case OutcomeSucceeded:
			sc.Succeeded++
		case OutcomeFailed:
			sc.Failed++
		case OutcomeStopped:
			sc.Stopped++
		default:
			sc.Running++
		}
		sc.Runs = append(sc.Runs, ChildOfStep{ChildRun: r, Outcome: o})
	}
	for _, c := range children {
		seq := -1
		if c.SequenceID != nil {
			seq = *c.SequenceID
		}
		if sc := out[seq]; sc != nil && c.EventType == trackfile.EventSpawnStart {
			sc.Total++
		}
	}
	return out
}

// outcome tells how child r of a step that failed with stepErr (empty when
// it did not) ended.
func outcome(r ChildRun, stepErr string) Outcome {
	switch r.Status {
	case StatusCompleted:
		return OutcomeSucceeded
	case StatusFailed:
	default:
		return OutcomeRunning
	}
	// The step's error names the children that failed it (burr.ChildError:
	// `child <i> (app "<id>") of action …`).
	if strings.Contains(stepErr, `(app "`+r.AppID+`")`) {
		return OutcomeFailed
	}
	for _, cancelled := range []string{"context canceled", "stream closed before it finished"} {
		if strings.Contains(r.Exception, cancelled) {
			return OutcomeStopped
		}
	}
	// The error of a sibling, which cancelled this child.
	if i := strings.Index(r.Exception, `(app "`); i >= 0 && !strings.HasPrefix(r.Exception[i:], `(app "`+r.AppID+`")`) {
		return OutcomeStopped
	}
	return OutcomeFailed
}
