package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// Malformed logs are read by one set of rules (package trackfile): the
// application list and the application page agree on the number of steps,
// the current step's action and its status, whether the list reads the log
// whole or only its end.
func TestMalformedLogsAgree(t *testing.T) {
	escapedName := strings.Replace(beginLine(2, "a2"), `{"type":`, `{"\u0074ype":`, 1)
	escapedKind := strings.Replace(beginLine(2, "a2"), `"begin_entry"`, `"begin\u005fentry"`, 1)
	otherCase := strings.Replace(beginLine(2, "a2"), `{"type":`, `{"Type":`, 1)
	numericStart := strings.Replace(beginLine(2, "a2"), `"start_time":"2025-01-01T12:00:00.000101"`, `"start_time":1735732800`, 1)
	stringSeq := strings.Replace(beginLine(2, "a2"), `"sequence_id":2}`, `"sequence_id":"2"}`, 1)
	failedEnd := strings.Replace(endLine(2, "a2", ""), `"exception":null`, `"exception":"boom\n"`, 1)
	cases := []struct {
		name   string
		lines  []string
		steps  int
		action string
		status Status
		errors []string // the page's messages about the lines
	}{
		{"escaped type name", []string{escapedName, endLine(2, "a2", "")}, 3, "a2", StatusCompleted, nil},
		{"escaped kind", []string{escapedKind}, 3, "a2", StatusRunning, nil},
		{"type in other case", []string{otherCase}, 2, "a1", StatusCompleted, []string{"missing type"}},
		{"numeric start time", []string{numericStart, failedEnd}, 3, "a2", StatusFailed, []string{"begin_entry: invalid start_time 1735732800"}},
		{"string sequence id", []string{stringSeq, endLine(2, "a2", "")}, 2, "a1", StatusCompleted,
			[]string{`begin_entry: invalid sequence_id "2"`, "end_entry: no begin_entry before it for sequence id 2"}},
		{"end names another action", []string{beginLine(2, "a2"), endLine(2, "other", "")}, 3, "a2", StatusCompleted,
			[]string{`end_entry: action "other" differs from the begin_entry's "a2"`}},
		{"end without begin last", []string{endLine(2, "a2", "")}, 2, "a1", StatusCompleted,
			[]string{"end_entry: no begin_entry before it for sequence id 2"}},
		{"end of the step before", []string{beginLine(2, "a2"), failedEnd, endLine(1, "a1", "again")}, 3, "a2", StatusFailed, nil},
		{"step begun again", []string{beginLine(2, "a2"), endLine(2, "a2", ""), beginLine(2, "a2")}, 3, "a2", StatusRunning, nil},
		{"last end counts", []string{beginLine(2, "a2"), failedEnd, endLine(2, "a2", "")}, 3, "a2", StatusCompleted, nil},
	}
	pad := strings.Repeat("x", 2*tailWindow) // makes the log longer than the tail the list reads
	for _, long := range []bool{false, true} {
		dir := t.TempDir()
		for _, c := range cases {
			lines := append(steps(0, 0, 1), c.lines...)
			if long {
				lines = append([]string{beginLine(0, "a0"), endLine(0, "a0", pad)}, lines[2:]...)
			}
			fixture.WriteRun(t, dir, "p", c.name, fixture.CounterGraph, fixture.MetaPK, lines...)
		}
		s := New(dir)
		apps, err := s.Apps("p")
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != len(cases) {
			t.Fatalf("%d apps", len(apps))
		}
		for _, c := range cases {
			name := fmt.Sprintf("%s (long %v)", c.name, long)
			var a AppSummary
			for _, x := range apps {
				if x.ID == c.name {
					a = x
				}
			}
			app, err := s.App("p", c.name)
			if err != nil {
				t.Fatal(err)
			}
			lg, errs := allSteps(t, s, app)
			steps := lg.Steps()
			cur := lg.Latest(steps)
			if cur == nil {
				t.Errorf("%s: no current step", name)
				continue
			}
			_, action, _ := app.Index.Current()
			if a.Steps != len(steps) || a.LastAction != cur.Action || a.Status != cur.Status || action != cur.Action || app.Index.Status() != cur.Status {
				t.Errorf("%s: the list says %d steps, %s %s; the page %d steps, %s %s; the index %s %s",
					name, a.Steps, a.LastAction, a.Status, len(steps), cur.Action, cur.Status, action, app.Index.Status())
			}
			if len(steps) != c.steps || cur.Action != c.action || cur.Status != c.status || lg.Status() != c.status {
				t.Errorf("%s: %d steps, %s %s (log %s); want %d, %s %s", name, len(steps), cur.Action, cur.Status, lg.Status(), c.steps, c.action, c.status)
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Msg)
			}
			if strings.Join(msgs, "\n") != strings.Join(c.errors, "\n") {
				t.Errorf("%s: errors %q, want %q", name, msgs, c.errors)
			}
		}
	}
}

// A step whose start time is unknown is still shown, without a time.
func TestStepWithoutStartTime(t *testing.T) {
	lg := NewLog()
	lg.Add([]byte(strings.Replace(beginLine(0, "a"), `"start_time":"2025-01-01T12:00:00.000101"`, `"start_time":[]`, 1) + "\n" + endLine(0, "a", "") + "\n"))
	st := lg.Steps()
	if len(st) != 1 || !st[0].Start.IsZero() || !st[0].HasEnd || st[0].Status != StatusCompleted {
		t.Errorf("steps = %+v", st)
	}
}

// allSteps reads every step of app, as pages of the application page do
// one page at a time, with the skipped lines of the index and of the steps.
func allSteps(t *testing.T, s *Store, app *App) (*Log, []LineError) {
	t.Helper()
	lg, err := s.Steps(app, app.Index.Seqs())
	if err != nil {
		t.Fatal(err)
	}
	errs := append(slices.Clone(app.Index.Errors()), lg.Errors()...)
	slices.SortFunc(errs, func(a, b LineError) int { return a.Line - b.Line })
	return lg, errs
}
