package tracking_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/internal/testenv"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenPythonDemoCounter rebuilds the counter of Python Burr's demo
// (demo_counter/count-to-10) and checks that the tracker writes the same
// graph.json and metadata.json byte for byte, and the same log.jsonl with
// only the timestamps differing.
func TestGoldenPythonDemoCounter(t *testing.T) {
	want := filepath.Join(testenv.DemoData(t), "demo_counter", "count-to-10")
	const counterCode = "@action(reads=[\"counter\"], writes=[\"counter\"])\ndef counter(state: State) -> State:\n    result = {\"counter\": state[\"counter\"] + 1}\n    print(f\"counted to {result['counter']}\")\n    return state.update(**result)\n"
	resultCode := readGraphCode(t, filepath.Join(want, tracking.GraphFile), 1)
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Set("counter", burr.Key[int]("counter").Or(s, 0)+1), nil
	}, burr.Reads("counter"), burr.Writes("counter"), burr.Code(counterCode))
	result := burr.NewAction("result", func(ctx context.Context, s burr.State) (burr.Result, burr.State, error) {
		return burr.Result{"counter": s.Value("counter")}, s, nil
	}, burr.Reads("counter"), burr.Code(resultCode))
	tr := newTracker(t)
	app, err := burr.New(context.Background(), burr.WithActions(counter, result),
		burr.WithTransitions(
			burr.From("counter").To("counter", burr.Expr("counter < count_to")),
			burr.From("counter").To("result")),
		burr.WithState(burr.State{}.Set("count_to", 10).Set("counter", 0)),
		burr.WithEntrypoint("counter"), burr.WithAppID("count-to-10"), burr.WithPartitionKey("user_1"),
		burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(tr.Dir(), "count-to-10")
	for _, name := range []string{tracking.GraphFile, tracking.MetadataFile} {
		w, _ := os.ReadFile(filepath.Join(want, name))
		g, _ := os.ReadFile(filepath.Join(got, name))
		if string(g) != string(w) {
			t.Errorf("%s differs from Python Burr's:\n%s", name, cmp.Diff(string(w), string(g)))
		}
	}
	if d := cmp.Diff(normalizeFile(t, filepath.Join(want, tracking.LogFile)), normalizeFile(t, filepath.Join(got, tracking.LogFile))); d != "" {
		t.Errorf("log.jsonl differs from Python Burr's (-python +go):\n%s", d)
	}
}

// readGraphCode returns the code of the i-th action of a graph.json.
func readGraphCode(t *testing.T, path string, i int) string {
	t.Helper()
	var g struct {
		Actions []struct {
			Code string `json:"code"`
		} `json:"actions"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g.Actions[i].Code
}

// TestGoldenSpecFormat runs the counter of Python Burr's tracking test (count
// to 2, then result; with an optional input "step") and compares every file
// with golden files in testdata/spec_counter, written from the lines Python
// Burr writes (docs/tracking-format.md) with timestamps replaced by <local> or
// <utc>. Run with -update to rewrite them.
func TestGoldenSpecFormat(t *testing.T) {
	tr := newTracker(t)
	app := counterApp(t, tr, 2, burr.WithAppID("app"), burr.WithPartitionKey("pk"),
		burr.WithSpawningParent(burr.AppRef{AppID: "parent", PartitionKey: "ppk"}.At(1)))
	if _, err := app.Run(context.Background(), burr.HaltAfter("result"), burr.WithInputs(burr.Inputs{"step": 1})); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{tracking.GraphFile, tracking.MetadataFile} {
		b, err := os.ReadFile(filepath.Join(tr.Dir(), "app", name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = string(b)
	}
	got[tracking.LogFile] = strings.Join(normalizeFile(t, filepath.Join(tr.Dir(), "app", tracking.LogFile)), "\n") + "\n"
	got["parent_"+tracking.ChildrenFile] = strings.Join(normalizeFile(t, filepath.Join(tr.Dir(), "parent", tracking.ChildrenFile)), "\n") + "\n"
	for name, g := range got {
		path := filepath.Join("testdata", "spec_counter", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(g), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(strings.Split(string(w), "\n"), strings.Split(g, "\n")); d != "" {
			t.Errorf("%s differs from %s (-golden +got):\n%s", name, path, d)
		}
	}
}
