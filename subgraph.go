package burr

import (
	"fmt"
	"slices"
	"strings"
)

// Subgraph is what a child application runs: a graph, the action it starts
// at, and the actions after which it is done (Burr's RunnableGraph). Build one
// with [NewSubgraph], or with [SubgraphOf] for a single action. A Subgraph is
// immutable and may be shared by any number of parallel actions and children.
//
// A Subgraph that is not valid (a nil graph, an entrypoint or halt-after name
// that is not an action of the graph) carries the problem with it: a parallel
// action built from it reports the problem when its graph is built ([NewGraph]
// or [New]), and [RunChild] reports it as an error.
type Subgraph struct {
	graph     *Graph
	entry     int
	haltAfter []string
	halts     halts // per-action flags, computed once
	problem   string
}

// NewSubgraph returns the subgraph of g that starts at entrypoint and ends
// after any of haltAfter ("@tag:<tag>" names every action with the tag). With
// no haltAfter, the child runs until no transition matches.
func NewSubgraph(g *Graph, entrypoint string, haltAfter ...string) *Subgraph {
	sg := &Subgraph{haltAfter: slices.Clone(haltAfter)}
	if g == nil {
		sg.problem = "subgraph: the graph is nil (did NewGraph fail?)"
		return sg
	}
	sg.graph = g
	var problems []string
	i, ok := g.index[entrypoint]
	if !ok {
		problems = append(problems, fmt.Sprintf("entrypoint %q is not an action of the graph", entrypoint))
	}
	sg.entry = i
	app := &Application{graph: g}
	h, err := app.resolveHalts(&runConfig{haltAfter: haltAfter})
	if err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), "burr: "))
	}
	sg.halts = h
	if problems != nil {
		sg.problem = "subgraph: " + strings.Join(problems, "; ")
	}
	return sg
}

// SubgraphOf returns the one-action subgraph that runs a and is done after it.
func SubgraphOf(a *Action) *Subgraph {
	if a == nil {
		return &Subgraph{problem: "subgraph: the action is nil"}
	}
	g, err := NewGraph([]*Action{a})
	if err != nil {
		return &Subgraph{problem: "subgraph: " + strings.TrimPrefix(err.Error(), "burr: ")}
	}
	return NewSubgraph(g, a.name, a.name)
}

// Graph returns the subgraph's graph.
func (sg *Subgraph) Graph() *Graph { return sg.graph }

// Entrypoint returns the name of the action the subgraph starts at.
func (sg *Subgraph) Entrypoint() string {
	if sg.graph == nil || sg.problem != "" {
		return ""
	}
	return sg.graph.actions[sg.entry].name
}

// HaltAfter returns the names the subgraph ends after.
func (sg *Subgraph) HaltAfter() []string { return slices.Clone(sg.haltAfter) }

// Err returns the problem that makes the subgraph unusable, or nil.
func (sg *Subgraph) Err() error {
	switch {
	case sg == nil:
		return &GraphError{Problems: []string{"subgraph is nil"}}
	case sg.problem != "":
		return &GraphError{Problems: []string{sg.problem}}
	}
	return nil
}

// finished reports whether an application of this subgraph positioned at s
// has nothing left to run: its last step was one it halts after, or no
// transition leads on from it. This is how a child resumed from its saved
// state knows that it already completed.
func (sg *Subgraph) finished(s State) (bool, error) {
	prior, ok := s.PriorStep()
	if !ok {
		return false, nil
	}
	i, known := sg.graph.index[prior]
	if !known {
		return false, fmt.Errorf("burr: saved prior step %q is not an action of the subgraph", prior)
	}
	if sg.halts.after[i] {
		return true, nil
	}
	next, err := sg.graph.next(i, s)
	return next < 0, err
}
