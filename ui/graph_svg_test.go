package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/ui/internal/store"
)

func TestLayoutGraph(t *testing.T) {
	g := &store.Graph{
		Entrypoint: "prompt",
		Actions:    []store.GraphAction{{Name: "prompt"}, {Name: "check"}, {Name: "a"}, {Name: "b"}, {Name: "orphan"}},
		Transitions: []store.GraphTransition{
			{From: "prompt", To: "check", Condition: "default"},
			{From: "check", To: "a", Condition: "safe=True"},
			{From: "check", To: "b", Condition: "safe=False"},
			{From: "a", To: "prompt", Condition: "default"},
			{From: "b", To: "b", Condition: "retry"},
		},
	}
	l := layoutGraph(g, "a")
	nodes := map[string]graphNode{}
	for _, n := range l.Nodes {
		nodes[n.Name] = n
		if n.X < 0 || n.Y < 0 || n.X+n.W > l.Width || n.Y+n.H > l.Height {
			t.Errorf("node %s outside the picture: %+v in %vx%v", n.Name, n, l.Width, l.Height)
		}
	}
	if len(nodes) != 5 || !nodes["a"].Active || nodes["b"].Active || !nodes["prompt"].Entry {
		t.Fatalf("nodes = %+v", l.Nodes)
	}
	// Layers by distance from the entrypoint; a and b side by side.
	if !(nodes["prompt"].Y < nodes["check"].Y && nodes["check"].Y < nodes["a"].Y) || nodes["a"].Y != nodes["b"].Y {
		t.Errorf("layers: %+v", nodes)
	}
	if nodes["a"].X+nodes["a"].W > nodes["b"].X && nodes["b"].X+nodes["b"].W > nodes["a"].X {
		t.Error("nodes of one layer overlap")
	}
	labels := map[string]bool{}
	back := 0
	for _, e := range l.Edges {
		labels[e.Label] = true
		if e.Back {
			back++
		}
		if e.LabelX > l.Width || e.Path == "" {
			t.Errorf("edge %+v outside %v", e, l.Width)
		}
	}
	if labels["default"] || !labels["safe=True"] || !labels["retry"] || back != 2 {
		t.Errorf("labels %v, back edges %d", labels, back)
	}
	if l := layoutGraph(&store.Graph{}, ""); len(l.Nodes) != 0 {
		t.Error("empty graph has nodes")
	}
}

func TestLayoutDemoGraphs(t *testing.T) {
	dir := testenv.DemoData(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*", "graph.json"))
	if len(paths) == 0 {
		t.Fatal("no demo graphs")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g store.Graph
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatal(err)
		}
		l := layoutGraph(&g, g.Entrypoint)
		if len(l.Nodes) != len(g.Actions) || len(l.Edges) != len(g.Transitions) {
			t.Errorf("%s: %d nodes, %d edges", p, len(l.Nodes), len(l.Edges))
		}
	}
}
