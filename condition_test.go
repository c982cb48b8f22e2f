package burr_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/burrgo/burr"
)

func TestConditionNamesAndKeys(t *testing.T) {
	cases := []struct {
		c    burr.Condition
		name string
		keys []string
	}{
		{burr.When("foo", "bar"), "foo=bar", []string{"foo"}},
		{burr.When("foo", "bar", "baz", "qux"), "baz=qux, foo=bar", []string{"foo", "baz"}},
		{burr.When("ok", true, "n", 1.0), "n=1.0, ok=True", []string{"ok", "n"}},
		{burr.Expr("foo == 'bar'"), "foo == 'bar'", []string{"foo"}},
		{burr.Expr("len(baz) > 1 && foo == 'x'"), "len(baz) > 1 && foo == 'x'", []string{"baz", "foo"}},
		{burr.Expr("foo == 'bar'").Not(), "~foo == 'bar'", []string{"foo"}},
		{burr.When("foo", "bar").And(burr.When("baz", "qux")), "foo=bar & baz=qux", []string{"foo", "baz"}},
		{burr.When("foo", "bar").Or(burr.When("baz", "qux")), "foo=bar | baz=qux", []string{"foo", "baz"}},
		{burr.Default, "default", nil},
	}
	for _, c := range cases {
		if c.c.Name() != c.name {
			t.Errorf("name %q, want %q", c.c.Name(), c.name)
		}
		if !reflect.DeepEqual(c.c.Keys(), c.keys) && !(len(c.keys) == 0 && len(c.c.Keys()) == 0) {
			t.Errorf("%s: keys %v, want %v", c.name, c.c.Keys(), c.keys)
		}
	}
}

func TestConditionEvaluate(t *testing.T) {
	s := burr.State{}.Set("foo", "bar").Set("baz", "qux").Set("count", 3).Set("list", []any{1, 2})
	cases := []struct {
		c    burr.Condition
		want bool
	}{
		{burr.When("foo", "bar"), true},
		{burr.When("foo", "nope"), false},
		{burr.When("count", 3.0), true},
		{burr.Expr("count < 10 && foo == 'bar'"), true},
		{burr.Expr("count < 3"), false},
		{burr.Expr("len(list) == 2 and not (foo == 'x')"), true},
		{burr.When("foo", "bar").Not(), false},
		{burr.When("foo", "bar").And(burr.When("baz", "no")), false},
		{burr.When("foo", "no").Or(burr.When("baz", "qux")), true},
		{burr.Predicate("big", []string{"count"}, func(s burr.State) bool { return count.Or(s, 0) > 2 }), true},
		{burr.Default, true},
	}
	for _, c := range cases {
		got, err := c.c.Evaluate(s)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.c.Name(), got, err, c.want)
		}
	}
}

func TestConditionMissingKey(t *testing.T) {
	_, err := burr.When("foo", "bar").Evaluate(burr.State{})
	var ce *burr.ConditionError
	if !errors.As(err, &ce) || ce.Missing[0] != "foo" {
		t.Fatalf("got %v", err)
	}
	wantErrContains(t, err, `"foo=bar"`, "foo")
	_, err = burr.Expr("a < b").Evaluate(burr.State{}.Set("a", 1))
	wantErrContains(t, err, "[b]")
}

func TestExprCompileError(t *testing.T) {
	c := burr.Expr("count <")
	if c.Err() == nil || !strings.Contains(c.Err().Error(), "count <") {
		t.Fatalf("want a compile error showing the expression, got %v", c.Err())
	}
	_, err := burr.NewGraph([]*burr.Action{counterAction("counter")}, burr.From("counter").To("counter", c))
	wantErrContains(t, err, `Expr "count <" does not compile`, "(1:")
	_, err = burr.NewGraph([]*burr.Action{counterAction("counter")}, burr.From("counter").To("counter", burr.When("odd")))
	wantErrContains(t, err, "key/value pairs")
}

func TestExprLetIsNotAKey(t *testing.T) {
	c := burr.Expr("let y = count + 1; y > 3")
	if !reflect.DeepEqual(c.Keys(), []string{"count"}) {
		t.Fatal(c.Keys())
	}
	ok, err := c.Evaluate(burr.State{}.Set("count", 3))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
}

// BenchmarkExpr measures one evaluation of an Expr condition, the work done
// per transition when a graph uses string conditions. The expressions are
// ones that both Python and the previous expression language read alike.
func BenchmarkExpr(b *testing.B) {
	s := burr.State{}.Set("count", 3).Set("mode", "chat").Set("done", false).
		Set("messages", []any{map[string]any{"role": "user", "content": "hi"}})
	for _, bc := range []struct{ name, expr string }{
		{"int", "count < 10"},
		{"string", "mode == 'chat'"},
		{"bool", "not done"},
		{"and", "count < 10 and mode == 'chat'"},
		{"len", "len(messages) > 0"},
		{"index", "messages[-1]['content'] == 'hi'"},
	} {
		c := burr.Expr(bc.expr)
		if ok, err := c.Evaluate(s); err != nil || !ok {
			b.Fatalf("%s: %v, %v", bc.expr, ok, err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Evaluate(s)
			}
		})
	}
}
