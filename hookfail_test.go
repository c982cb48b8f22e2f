package burr_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// failAt fails one stage of the step with sequence id 1.
type failAt struct {
	stage burr.HookStage
}

func (f failAt) PreRunStep(_ context.Context, e *burr.StepStart) error {
	if f.stage == burr.StagePreRunStep && e.SequenceID == 1 {
		return errors.New("pre hook refused")
	}
	return nil
}

func (f failAt) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	if f.stage == burr.StagePostRunStep && e.SequenceID == 1 {
		return errors.New("post hook failed")
	}
	return nil
}

// logEntries reads a tracker's log.jsonl: the begin_entry and end_entry lines
// by sequence id.
func logEntries(t *testing.T, tr *tracking.LocalTracker, appID string) (begins map[int]int, ends map[int]map[string]any) {
	t.Helper()
	f, err := os.Open(filepath.Join(tr.Dir(), appID, tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	begins, ends = map[int]int{}, map[int]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		seq, _ := line["sequence_id"].(float64)
		switch line["type"] {
		case "begin_entry":
			begins[int(seq)]++
		case "end_entry":
			if ends[int(seq)] != nil {
				t.Fatalf("two end_entry lines for sequence id %d", int(seq))
			}
			ends[int(seq)] = line
		}
	}
	return begins, ends
}

func streamingCounter() *burr.Action {
	return burr.NewStreamingAction("counter", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		yield("a")
		yield("b")
		n := count.Or(s, 0) + 1
		return burr.Result{"count": n}, count.Set(s, n), nil
	}, burr.Reads("count"), burr.Writes("count"))
}

// TestFailuresKeepStoreLogAndMemoryInAgreement fails a pre-run-step hook, a
// post-run-step hook or the save of the second step, through Step, Run and a
// streamed step, with a persister and the local tracker on, and checks that
// the application's state, the saved records and the tracked log agree.
func TestFailuresKeepStoreLogAndMemoryInAgreement(t *testing.T) {
	type call func(ctx context.Context, app *burr.Application) (burr.Result, error)
	calls := map[string]call{
		"step": func(ctx context.Context, app *burr.Application) (burr.Result, error) {
			res, err := app.Step(ctx)
			return res.Result, err
		},
		"run": func(ctx context.Context, app *burr.Application) (burr.Result, error) {
			res, err := app.Run(ctx, burr.HaltAfter("counter"))
			return res.Result, err
		},
		"stream": func(ctx context.Context, app *burr.Application) (burr.Result, error) {
			st, err := app.StreamResult(ctx, burr.HaltAfter("counter"))
			if err != nil {
				return nil, err
			}
			for range st.All() {
			}
			r, _, err := st.Get()
			return r, err
		},
	}
	failures := []string{"pre", "post", "post-before-tracker", "save"}
	for name, do := range calls {
		for _, failure := range failures {
			t.Run(name+"/"+failure, func(t *testing.T) {
				ctx := context.Background()
				tr, err := tracking.NewLocal("agree", tracking.WithStorageDir(t.TempDir()))
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				store := newFakeStore()
				var hooks []any
				switch failure {
				case "pre":
					hooks = []any{tr, failAt{burr.StagePreRunStep}}
				case "post":
					hooks = []any{tr, failAt{burr.StagePostRunStep}}
				case "post-before-tracker":
					hooks = []any{failAt{burr.StagePostRunStep}, tr}
				case "save":
					hooks = []any{tr}
					store.failOn = 1
				}
				action := counterAction("counter")
				if name == "stream" {
					action = streamingCounter()
				}
				app := mustNew(t, burr.WithActions(action), burr.WithTransitions(burr.From("counter").To("counter")),
					burr.WithEntrypoint("counter"), burr.WithState(burr.State{}.Set("count", 0)),
					burr.WithPersister(store), burr.WithHooks(hooks...), burr.WithAppID("app-"+name+"-"+failure))
				if _, err := do(ctx, app); err != nil {
					t.Fatalf("first step: %v", err)
				}
				r, err := do(ctx, app)
				if err == nil {
					t.Fatal("second step: no error")
				}
				var he *burr.HookError
				committed := failure == "post" || failure == "post-before-tracker"
				if burr.Committed(err) != committed {
					t.Fatalf("Committed(%v) = %v, want %v", err, !committed, committed)
				}
				wantCount, wantStatus := 1, burr.StatusFailed
				switch failure {
				case "pre":
					if !errors.As(err, &he) || he.Stage != burr.StagePreRunStep {
						t.Fatalf("error %v: want a pre-run-step *HookError", err)
					}
					wantErrContains(t, err, `action "counter" (sequence id 1)`, "pre hook refused")
				case "post", "post-before-tracker":
					if !errors.As(err, &he) || he.Stage != burr.StagePostRunStep || he.SequenceID != 1 {
						t.Fatalf("error %v: want a post-run-step *HookError", err)
					}
					if r["count"] != 2 {
						t.Fatalf("result %v: the committed step's result is lost", r)
					}
					wantCount, wantStatus = 2, burr.StatusCompleted
				case "save":
					wantErrContains(t, err, "disk full")
				}

				// Memory.
				if got := count.Or(app.State(), -1); got != wantCount {
					t.Fatalf("memory holds count %d, want %d", got, wantCount)
				}
				if seq, _ := app.SequenceID(); seq != 1 {
					t.Fatalf("memory at sequence id %d, want 1", seq)
				}
				// Store.
				rec, lerr := store.Load(ctx, app.Ref().At(burr.Latest))
				if lerr != nil {
					t.Fatal(lerr)
				}
				if failure == "save" {
					if rec.SequenceID != 0 || count.Or(rec.State, -1) != 1 {
						t.Fatalf("store: %+v, want step 0 as the latest", rec)
					}
				} else if rec.SequenceID != 1 || rec.Status != wantStatus || count.Or(rec.State, -1) != wantCount {
					t.Fatalf("store: seq %d %s count %d, want seq 1 %s count %d",
						rec.SequenceID, rec.Status, count.Or(rec.State, -1), wantStatus, wantCount)
				}
				// Log.
				begins, ends := logEntries(t, tr, app.Ref().AppID)
				if begins[0] != 1 || begins[1] != 1 || len(ends) != 2 {
					t.Fatalf("log: begins %v, %d end_entry lines: not paired", begins, len(ends))
				}
				end := ends[1]
				state, _ := end["state"].(map[string]any)
				if fmt.Sprint(state["count"]) != fmt.Sprint(wantCount) {
					t.Fatalf("log: end_entry state %v, want count %d", state, wantCount)
				}
				if failed := end["exception"] != nil; failed != (wantStatus == burr.StatusFailed) {
					t.Fatalf("log: end_entry exception %v, want failed=%v", end["exception"], !failed)
				}
				if tr.Err() != nil {
					t.Fatal(tr.Err())
				}
			})
		}
	}
}
