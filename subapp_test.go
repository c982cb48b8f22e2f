package burr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
	"github.com/burrgo/burr/tracking"
)

// level returns a subgraph n levels deep: a parallel action over two states
// of the subgraph one level down, or, at level 0, a leaf whose out is its i.
// Every level sums its children's out.
func level(n int) *burr.Subgraph {
	if n == 0 {
		return burr.SubgraphOf(burr.NewAction("leaf", func(_ context.Context, s burr.State) (burr.State, error) {
			return out.Set(s, idx.Or(s, 0)), nil
		}, burr.Reads("i"), burr.Writes("out")))
	}
	return burr.SubgraphOf(levelAction(n, 2))
}

func levelAction(n, width int) *burr.Action {
	return burr.MapStates(fmt.Sprintf("level%d", n), level(n-1), func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
		var ss []burr.State
		for k := range width {
			ss = append(ss, idx.Set(burr.State{}, idx.Or(s, 0)*width+k))
		}
		return ss, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		sum := 0
		for _, c := range children {
			sum += out.Or(c, 0)
		}
		return out.Set(s, sum), nil
	}, burr.Reads("i"), burr.Writes("out"))
}

type pointerJSON struct {
	AppID      string `json:"app_id"`
	SequenceID *int   `json:"sequence_id"`
}

// TestRecursionThreeLevels runs a parent whose children, grandchildren and
// great-grandchildren are all parallel actions, with a local tracker and a
// SQLite persister that cascade down: every application saves its steps and
// writes its own tracking directory, linked to its spawning parent.
func TestRecursionThreeLevels(t *testing.T) {
	dir := t.TempDir()
	tr, err := tracking.NewLocal("recursion", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	p, err := sqlite.Open(t.Context(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	top := levelAction(3, 3) // 3 children, each with 2 grandchildren, each with 2 leaves
	app := mustNew(t, burr.WithActions(top), burr.WithEntrypoint("level3"), burr.WithState(idx.Set(burr.State{}, 0)),
		burr.WithHooks(tr), burr.WithPersister(p), burr.WithAppID("root"))
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Leaves are 0..11: their sum.
	if got := out.Or(res.State, -1); got != 66 {
		t.Fatalf("out %d, want 66", got)
	}

	// Walk the tree from the root through children.jsonl.
	var walk func(id string, depth int) int
	walk = func(id string, depth int) int {
		appDir := filepath.Join(tr.Dir(), id)
		if _, err := os.Stat(filepath.Join(appDir, "log.jsonl")); err != nil {
			t.Fatalf("app %s (depth %d) has no log: %v", id, depth, err)
		}
		if _, err := p.Load(t.Context(), burr.AppRef{AppID: id, PartitionKey: ""}.At(burr.Latest)); err != nil {
			t.Fatalf("app %s (depth %d) saved nothing: %v", id, depth, err)
		}
		data, err := os.ReadFile(filepath.Join(appDir, "children.jsonl"))
		if depth == 3 {
			if err == nil {
				t.Fatalf("leaf %s has children: %s", id, data)
			}
			return 1
		}
		if err != nil {
			t.Fatalf("app %s (depth %d): %v", id, depth, err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		want := 2
		if depth == 0 {
			want = 3
		}
		if len(lines) != want {
			t.Fatalf("app %s has %d children lines, want %d", id, len(lines), want)
		}
		n := 1
		for _, l := range lines {
			var c struct {
				Type       string      `json:"type"`
				Child      pointerJSON `json:"child"`
				EventType  string      `json:"event_type"`
				SequenceID int         `json:"sequence_id"`
			}
			if err := json.Unmarshal([]byte(l), &c); err != nil {
				t.Fatal(err)
			}
			if c.Type != "child_application_data" || c.EventType != "spawn_start" || c.SequenceID != 0 || c.Child.SequenceID != nil {
				t.Fatalf("children line %s", l)
			}
			var meta struct {
				Spawning *pointerJSON `json:"spawning_parent_pointer"`
			}
			raw, err := os.ReadFile(filepath.Join(tr.Dir(), c.Child.AppID, "metadata.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Spawning == nil || meta.Spawning.AppID != id || meta.Spawning.SequenceID == nil || *meta.Spawning.SequenceID != 0 {
				t.Fatalf("child %s metadata %s: want spawning parent %s at 0", c.Child.AppID, raw, id)
			}
			n += walk(c.Child.AppID, depth+1)
		}
		return n
	}
	if n := walk("root", 0); n != 1+3+6+12 {
		t.Fatalf("%d applications in the tree, want 22", n)
	}
}

// TestSecondInvocationGetsNewChildren is Burr's issue 761: running the same
// parallel action a second time must not replay the first run's children
// from the persister.
func TestSecondInvocationGetsNewChildren(t *testing.T) {
	round := burr.Key[int]("round")
	work := burr.NewAction("work", func(_ context.Context, s burr.State) (burr.State, error) {
		return out.Set(s, idx.Or(s, 0)+100*round.Or(s, 0)), nil
	}, burr.Reads("i", "round"), burr.Writes("out"))
	fan := burr.MapStates("fan", burr.SubgraphOf(work), func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
		return []burr.State{idx.Set(s, 1), idx.Set(s, 2)}, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		sum := 0
		for _, c := range children {
			sum += out.Or(c, 0)
		}
		return round.Set(s.Set("total", sum), round.Or(s, 0)+1), nil
	}, burr.Reads("round"), burr.Writes("total", "round"))
	p := newCountingPersister()
	app := mustNew(t, burr.WithActions(fan), burr.WithTransitions(burr.From("fan").To("fan")), burr.WithEntrypoint("fan"),
		burr.WithPersister(p))
	var totals []any
	for range 2 {
		res, err := app.Step(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		totals = append(totals, res.State.Value("total"))
	}
	if !slices.Equal(totals, []any{3, 203}) {
		t.Fatalf("totals %v, want [3 203]", totals)
	}
	if a, b := burr.ChildAppID(app.Ref().At(0), 0), burr.ChildAppID(app.Ref().At(1), 0); a == b || p.saves(a) != 1 || p.saves(b) != 1 {
		t.Fatalf("children of the two steps: %s (%d saves), %s (%d saves)", a, p.saves(a), b, p.saves(b))
	}
}

func TestRunChildFromAnAction(t *testing.T) {
	double := burr.NewAction("double", func(_ context.Context, s burr.State) (burr.State, error) {
		return out.Set(s, 2*idx.Or(s, 0)), nil
	}, burr.Reads("i"), burr.Writes("out"))
	sub := burr.SubgraphOf(double)
	tr := newAppTracker()
	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		a, err := burr.RunChild(ctx, burr.Task{Subgraph: sub, State: idx.Set(burr.State{}, 3)})
		if err != nil {
			return s, err
		}
		b, err := burr.RunChild(ctx, burr.Task{Subgraph: sub, State: idx.Set(burr.State{}, out.Or(a.State, 0))})
		if err != nil {
			return s, err
		}
		if b.Action.Name() != "double" {
			return s, fmt.Errorf("the child's last action is %q", b.Action.Name())
		}
		return out.Set(s, out.Or(b.State, 0)), nil
	}, burr.Writes("out"))
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithHooks(tr))
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Or(res.State, 0); got != 12 {
		t.Fatalf("out %d, want 12", got)
	}
	kids := tr.childrenOf(app.Ref().AppID, 0)
	want := []string{burr.ChildAppID(app.Ref().At(0), 0), burr.ChildAppID(app.Ref().At(0), 1)}
	if !slices.Equal(kids, want) {
		t.Fatalf("children %v, want %v", kids, want)
	}
}

// TestChildOptionsByHand builds a child application with New, as Burr's
// manual recursion does.
func TestChildOptionsByHand(t *testing.T) {
	dir := t.TempDir()
	tr, err := tracking.NewLocal("manual", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	leaf := burr.NewAction("leaf", func(_ context.Context, s burr.State) (burr.State, error) {
		return out.Set(s, 7), nil
	}, burr.Writes("out"))
	var childID string
	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		child, err := burr.New(ctx, append(burr.ChildOptions(ctx), burr.WithActions(leaf), burr.WithEntrypoint("leaf"))...)
		if err != nil {
			return s, err
		}
		childID = child.Ref().AppID
		res, err := child.Run(ctx, burr.HaltAfter("leaf"))
		if err != nil {
			return s, err
		}
		return out.Set(s, out.Or(res.State, 0)), nil
	}, burr.Writes("out"))
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithHooks(tr), burr.WithPartitionKey("user-1"))
	if _, err := app.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if childID != burr.ChildAppID(app.Ref().At(0), 0) {
		t.Fatalf("child id %s, want the step's first child id", childID)
	}
	raw, err := os.ReadFile(filepath.Join(tr.Dir(), childID, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"type": "application_metadata", "partition_key": "user-1", "parent_pointer": null, "spawning_parent_pointer": {"type": "pointer_data", "app_id": "%s", "sequence_id": 0, "partition_key": "user-1"}}`, app.Ref().AppID)
	if string(raw) != want {
		t.Fatalf("metadata.json\n got %s\nwant %s", raw, want)
	}
	if burr.ChildOptions(t.Context()) != nil {
		t.Fatal("ChildOptions outside a step returned options")
	}
}

func TestChildAppID(t *testing.T) {
	a := burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(4), 0)
	if a != burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(4), 0) {
		t.Fatal("not deterministic")
	}
	seen := map[string]bool{}
	for _, id := range []string{a, burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(4), 1), burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(5), 0), burr.ChildAppID(burr.AppRef{AppID: "parent2"}.At(4), 0), burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(41), 0)} {
		if seen[id] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id] = true
		if len(id) != 36 || id[14] != '8' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("id %s is not a version 8 UUID", id)
		}
	}
}
