package burr

import (
	"context"
	"fmt"
)

// JoinGraphs returns one graph holding the actions and transitions of every
// graph, in order, followed by transitions — typically the ones that connect
// the graphs (Burr's GraphBuilder.with_graph). An action shared by several of
// the graphs (the same [*Action]) is included once; two different actions with
// one name are an error, as in [NewGraph].
func JoinGraphs(graphs []*Graph, transitions ...Transition) (*Graph, error) {
	var actions []*Action
	var all []Transition
	seen := map[*Action]bool{}
	for i, g := range graphs {
		if g == nil {
			return nil, &GraphError{Problems: []string{fmt.Sprintf("JoinGraphs: graph %d is nil", i)}}
		}
		for _, a := range g.actions {
			if !seen[a] {
				seen[a] = true
				actions = append(actions, a)
			}
		}
		all = append(all, g.transitions...)
	}
	return NewGraph(actions, append(all, transitions...)...)
}

// NewGraphAction returns an action that runs sub as a child application (as
// [RunChild] does) and takes its result back: the child starts from the
// action's state, receives the action's declared inputs, and runs to the end
// of sub; the action's result is the result of the child's last step, and
// the keys declared with [Writes] are copied from the child's final state into
// the parent's. A graph so becomes one step of another, with its own app id,
// steps, tracking and saved state.
func NewGraphAction(name string, sub *Subgraph, opts ...ActionOption) *Action {
	a := newAction(name, kindFunc, "", opts)
	if err := sub.Err(); err != nil {
		a.problems = append(a.problems, fmt.Sprintf("graph action %q: %v", name, err.(*GraphError).Problems[0]))
	} else {
		a.code = fmt.Sprintf("subgraph %s -> %v", sub.Entrypoint(), sub.haltAfter)
	}
	a.fn = func(ctx context.Context, s State, in Inputs) (Result, State, error) {
		res, err := RunChild(ctx, Task{Subgraph: sub, State: s, Inputs: in})
		if err != nil {
			return nil, s, err
		}
		ns := s
		for _, k := range a.writes {
			if v, ok := res.State.Get(k); ok {
				ns = ns.Set(k, v)
			}
		}
		return res.Result, ns, nil
	}
	return a
}
