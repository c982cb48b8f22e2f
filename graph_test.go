package burr_test

import (
	"context"
	"strings"
	"testing"

	"github.com/burrgo/burr"
)

func TestGraphValidation(t *testing.T) {
	a, b := counterAction("a"), counterAction("b")
	cases := []struct {
		name        string
		actions     []*burr.Action
		transitions []burr.Transition
		want        []string
	}{
		{"empty", nil, nil, []string{"at least one action"}},
		{"duplicate", []*burr.Action{a, a}, nil, []string{`"a" is duplicated`}},
		{"unknown target", []*burr.Action{a}, []burr.Transition{burr.From("a").To("zz")}, []string{`target "zz" not found`}},
		{"unknown source", []*burr.Action{a}, []burr.Transition{burr.From("zz").To("a")}, []string{`source "zz" not found`}},
		{"redundant default", []*burr.Action{a, b}, []burr.Transition{burr.From("a").To("b"), burr.From("a").To("a")}, []string{"redundant"}},
		{"all problems at once", []*burr.Action{a, a}, []burr.Transition{burr.From("x").To("y")}, []string{"duplicated", `"x"`, `"y"`}},
		{"nil action", []*burr.Action{nil}, nil, []string{"nil"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := burr.NewGraph(c.actions, c.transitions...)
			wantErrContains(t, err, c.want...)
		})
	}
}

func TestGraphMultiSourceAndTags(t *testing.T) {
	a := counterAction("a")
	b := burr.NewAction("b", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Tags("tag1", "tag2"))
	c := burr.NewAction("c", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Tags("tag1"))
	g, err := burr.NewGraph([]*burr.Action{a, b, c}, burr.From("a", "b").To("c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(g.Transitions()); got != 2 {
		t.Fatalf("want 2 transitions, got %d", got)
	}
	for tag, want := range map[string]int{"tag1": 2, "tag2": 1} {
		acts, err := g.ActionsByTag(tag)
		if err != nil || len(acts) != want {
			t.Fatalf("tag %s: %d %v", tag, len(acts), err)
		}
	}
	_, err = g.ActionsByTag("nope")
	wantErrContains(t, err, "not found")
}

func TestGraphExport(t *testing.T) {
	g, err := burr.NewGraph([]*burr.Action{counterAction("counter"), burr.ResultAction("result", "count")},
		burr.From("counter").To("counter", burr.Expr("count < 10")),
		burr.From("counter").To("result"))
	if err != nil {
		t.Fatal(err)
	}
	dot := g.DOT(burr.ExportOptions{Conditions: true, State: true, Inputs: true, Highlight: "result"})
	for _, want := range []string{
		`"counter" -> "counter" [style=dashed label="count < 10"]`,
		`"counter" -> "result" [style=solid]`,
		`label="counter(count): count"`,
		`"input__step" [label="input: step" shape=rect style=dashed]`,
		`"result" [label="result(count): " shape=box style="rounded,filled" fillcolor="#ffd966"]`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
	mm := g.Mermaid(burr.ExportOptions{Conditions: true})
	for _, want := range []string{"flowchart TD", `a0 -.->|"count < 10"| a0`, "a0 --> a1", `a1("result")`} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm)
		}
	}
}

func TestDefaultIsNotDetectedByName(t *testing.T) {
	named := burr.Predicate("default", nil, func(burr.State) bool { return false })
	_, err := burr.NewGraph([]*burr.Action{counterAction("a"), counterAction("b")},
		burr.From("a").To("b", named), burr.From("a").To("a"))
	if err != nil {
		t.Fatal(err)
	}
}
