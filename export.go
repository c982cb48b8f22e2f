package burr

import (
	"fmt"
	"slices"
	"strings"
)

// ExportOptions controls DOT and Mermaid exports of a graph.
type ExportOptions struct {
	// Conditions labels each transition with its condition's name (the
	// default transition stays unlabelled).
	Conditions bool
	// State shows each action's reads and writes: "name(r1, r2): w1".
	State bool
	// Inputs draws a dashed node for each declared input, as Burr does.
	Inputs bool
	// Highlight names an action to draw highlighted (the current one, say).
	Highlight string
}

func (g *Graph) label(a *Action, o ExportOptions) string {
	if !o.State {
		return a.name
	}
	return fmt.Sprintf("%s(%s): %s", a.name, strings.Join(a.reads, ", "), strings.Join(a.writes, ", "))
}

func (g *Graph) inputs() []string {
	var names []string
	for _, a := range g.actions {
		for _, n := range append(a.RequiredInputs(), a.OptionalInputs()...) {
			if !strings.HasPrefix(n, "__") && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// DOT returns the graph in Graphviz DOT, styled as Burr draws it: rounded
// boxes for actions, solid edges for default transitions and dashed edges for
// conditional ones.
func (g *Graph) DOT(o ExportOptions) string {
	var b strings.Builder
	b.WriteString("digraph {\n")
	b.WriteString("\tgraph [compound=false concentrate=false rankdir=TB ranksep=0.4]\n")
	b.WriteString("\tnode [fillcolor=\"#b4d8e4\" fontname=Helvetica margin=0.15]\n")
	for _, a := range g.actions {
		fill := ""
		if a.name == o.Highlight {
			fill = ` fillcolor="#ffd966"`
		}
		fmt.Fprintf(&b, "\t%s [label=%s shape=box style=\"rounded,filled\"%s]\n", dotID(a.name), dotID(g.label(a, o)), fill)
	}
	if o.Inputs {
		for _, in := range g.inputs() {
			fmt.Fprintf(&b, "\t%s [label=%s shape=rect style=dashed]\n", dotID("input__"+in), dotID("input: "+in))
		}
		for _, a := range g.actions {
			for _, in := range append(a.RequiredInputs(), a.OptionalInputs()...) {
				if !strings.HasPrefix(in, "__") {
					fmt.Fprintf(&b, "\t%s -> %s\n", dotID("input__"+in), dotID(a.name))
				}
			}
		}
	}
	for _, t := range g.transitions {
		style := "dashed"
		if t.Condition.isDefault {
			style = "solid"
		}
		label := ""
		if o.Conditions && !t.Condition.isDefault {
			label = " label=" + dotID(t.Condition.name)
		}
		fmt.Fprintf(&b, "\t%s -> %s [style=%s%s]\n", dotID(t.From[0]), dotID(t.To), style, label)
	}
	b.WriteString("}\n")
	return b.String()
}

func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// Mermaid returns the graph as a Mermaid flowchart.
func (g *Graph) Mermaid(o ExportOptions) string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	id := func(name string) string {
		return "a" + fmt.Sprint(g.index[name])
	}
	for _, a := range g.actions {
		fmt.Fprintf(&b, "    %s(%s)\n", id(a.name), mermaidText(g.label(a, o)))
	}
	if o.Inputs {
		for i, in := range g.inputs() {
			fmt.Fprintf(&b, "    in%d[/%s/]\n", i, mermaidText("input: "+in))
		}
		for _, a := range g.actions {
			for _, in := range append(a.RequiredInputs(), a.OptionalInputs()...) {
				if j := slices.Index(g.inputs(), in); j >= 0 {
					fmt.Fprintf(&b, "    in%d -.-> %s\n", j, id(a.name))
				}
			}
		}
	}
	for _, t := range g.transitions {
		arrow := "-.->"
		if t.Condition.isDefault {
			arrow = "-->"
		}
		if o.Conditions && !t.Condition.isDefault {
			fmt.Fprintf(&b, "    %s %s|%s| %s\n", id(t.From[0]), arrow, mermaidText(t.Condition.name), id(t.To))
		} else {
			fmt.Fprintf(&b, "    %s %s %s\n", id(t.From[0]), arrow, id(t.To))
		}
	}
	if o.Highlight != "" {
		if _, ok := g.index[o.Highlight]; ok {
			fmt.Fprintf(&b, "    style %s fill:#ffd966\n", id(o.Highlight))
		}
	}
	return b.String()
}

// mermaidText quotes a label so that any character is allowed.
func mermaidText(s string) string {
	return `"` + strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(s) + `"`
}
