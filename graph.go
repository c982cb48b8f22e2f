package burr

import (
	"fmt"
	"slices"
)

// Transition is an edge of the graph: from each source action to the target
// when the condition holds. Build them with From:
//
//	burr.From("chat").To("chat", burr.When("mode", "chat"))
//	burr.From("a", "b").To("done") // from both, by default
type Transition struct {
	From      []string
	To        string
	Condition Condition
	// OnError, when not nil, makes this an error transition
	// ([Sources.OnError]): taken when the source action fails with an error
	// it accepts. Condition is then ignored.
	OnError func(error) bool
}

// Sources is the left side of a transition, returned by From.
type Sources []string

// From starts a transition from one or more source actions.
func From(sources ...string) Sources { return Sources(sources) }

// To completes a transition. With no condition it is Default; with several,
// they must all hold.
func (s Sources) To(target string, conds ...Condition) Transition {
	c := Default
	for i, x := range conds {
		if i == 0 {
			c = x
		} else {
			c = c.And(x)
		}
	}
	return Transition{From: slices.Clone([]string(s)), To: target, Condition: c}
}

type edge struct {
	to   int
	cond Condition
}

// Graph is a validated set of actions and transitions. It is immutable and may
// be shared by any number of applications.
type Graph struct {
	actions     []*Action
	index       map[string]int
	transitions []Transition // one source each, in declaration order
	out         [][]edge     // outgoing edges per action index, in declaration order
	onErr       [][]errEdge  // error transitions per action index, in declaration order
}

// NewGraph validates actions and transitions and returns the graph. Every
// problem found is reported in one [*GraphError]: no actions, an action without
// a name, duplicate names, a transition naming an unknown action, a second
// default transition from one source, a condition that does not compile.
func NewGraph(actions []*Action, transitions ...Transition) (*Graph, error) {
	g := &Graph{index: make(map[string]int, len(actions))}
	var problems []string
	if len(actions) == 0 {
		problems = append(problems, "a graph must have at least one action")
	}
	for i, a := range actions {
		switch {
		case a == nil:
			problems = append(problems, fmt.Sprintf("action %d is nil", i))
			continue
		case a.name == "":
			problems = append(problems, fmt.Sprintf("action %d has no name", i))
			continue
		}
		problems = append(problems, a.problems...)
		if _, dup := g.index[a.name]; dup {
			problems = append(problems, fmt.Sprintf("action %q is duplicated", a.name))
			continue
		}
		g.index[a.name] = len(g.actions)
		g.actions = append(g.actions, a)
	}
	g.out = make([][]edge, len(g.actions))
	g.onErr = make([][]errEdge, len(g.actions))
	hasDefault := map[string]bool{}
	for _, t := range transitions {
		if t.Condition.eval == nil && t.Condition.err == nil {
			t.Condition = Default
		}
		if err := t.Condition.err; err != nil {
			problems = append(problems, err.Error())
		}
		to, okTo := g.index[t.To]
		if !okTo {
			problems = append(problems, fmt.Sprintf("transition target %q not found in actions", t.To))
		}
		if len(t.From) == 0 {
			problems = append(problems, fmt.Sprintf("transition to %q has no source", t.To))
		}
		for _, from := range t.From {
			fi, okFrom := g.index[from]
			if !okFrom {
				problems = append(problems, fmt.Sprintf("transition source %q not found in actions", from))
				continue
			}
			if t.OnError != nil {
				if okTo {
					g.transitions = append(g.transitions, Transition{From: []string{from}, To: t.To, Condition: t.Condition, OnError: t.OnError})
					g.onErr[fi] = append(g.onErr[fi], errEdge{to: to, match: t.OnError})
				}
				continue
			}
			if t.Condition.isDefault {
				if hasDefault[from] {
					problems = append(problems, fmt.Sprintf("transition %s -> %s is redundant: a default transition from %q has already been set", from, t.To, from))
					continue
				}
				hasDefault[from] = true
			}
			if !okTo {
				continue
			}
			g.transitions = append(g.transitions, Transition{From: []string{from}, To: t.To, Condition: t.Condition})
			g.out[fi] = append(g.out[fi], edge{to: to, cond: t.Condition})
		}
	}
	if problems != nil {
		return nil, &GraphError{Problems: problems}
	}
	return g, nil
}

// Actions returns the actions in declaration order.
func (g *Graph) Actions() []*Action { return slices.Clone(g.actions) }

// Action returns the named action.
func (g *Graph) Action(name string) (*Action, bool) {
	i, ok := g.index[name]
	if !ok {
		return nil, false
	}
	return g.actions[i], true
}

// Transitions returns the transitions in declaration order, one per source.
func (g *Graph) Transitions() []Transition { return slices.Clone(g.transitions) }

// ActionsByTag returns the actions carrying tag. An unknown tag is an error.
func (g *Graph) ActionsByTag(tag string) ([]*Action, error) {
	var out []*Action
	for _, a := range g.actions {
		if a.hasTag(tag) {
			out = append(out, a)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("burr: tag %q not found in graph", tag)
	}
	return out, nil
}

// next evaluates the outgoing transitions of the action at index from, in
// declaration order, and returns the index of the target of the first that
// holds, or -1.
func (g *Graph) next(from int, s State) (int, error) {
	for _, e := range g.out[from] {
		ok, err := e.cond.Evaluate(s)
		if err != nil {
			return -1, err
		}
		if ok {
			return e.to, nil
		}
	}
	return -1, nil
}
