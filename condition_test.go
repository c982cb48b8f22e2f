package burr_test

import (
	"errors"
	"fmt"
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
		{burr.Expr("len(baz) > 1 and foo == 'x'"), "len(baz) > 1 and foo == 'x'", []string{"baz", "foo"}},
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
		{burr.Expr("count < 10 and foo == 'bar'"), true},
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
	wantErrContains(t, err, `Expr "count <" does not compile`, "column 8", "expected an expression")
	for _, src := range []string{"count < 10 && done", "x = 1", "[x for x in l]", "f'{x}'", "'open"} {
		wantErrContains(t, burr.Expr(src).Err(), fmt.Sprintf("Expr %q does not compile: column ", src))
	}
	_, err = burr.NewGraph([]*burr.Action{counterAction("counter")}, burr.From("counter").To("counter", burr.When("odd")))
	wantErrContains(t, err, "key/value pairs")
}

// TestExprPython checks expressions that Burr's own examples use and that
// the previous expression language read otherwise than Python: a substring
// test, comparisons with True and None, and floor division (which started a
// comment there).
func TestExprPython(t *testing.T) {
	s := burr.State{}.Set("question", "please exit now").Set("done", true).Set("x", nil).Set("count", 3).
		Set("messages", []any{map[string]any{"role": "assistant", "content": "FINAL ANSWER: 42"}})
	for _, c := range []struct {
		expr string
		keys []string
		want bool
	}{
		{"'exit' in question", []string{"question"}, true},
		{"'stay' in question", []string{"question"}, false},
		{"'FINAL ANSWER' in messages[-1]['content']", []string{"messages"}, true},
		{"done == True", []string{"done"}, true},
		{"done == False", []string{"done"}, false},
		{"x == None", []string{"x"}, true},
		{"x is None", []string{"x"}, true},
		{"x is not None", []string{"x"}, false},
		{"count // 2 == 1", []string{"count"}, true},
		{"count // 2 == 0", []string{"count"}, false},
		{"count // 2", []string{"count"}, true},
	} {
		cond := burr.Expr(c.expr)
		if !reflect.DeepEqual(cond.Keys(), c.keys) {
			t.Errorf("%s: keys %v, want %v", c.expr, cond.Keys(), c.keys)
		}
		got, err := cond.Evaluate(s)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
	got, err := burr.Expr("count // 2 == 1").Evaluate(burr.State{}.Set("count", 4))
	if err != nil || got {
		t.Errorf("4 // 2 == 1: got %v, %v", got, err)
	}
}

// TestExprKeysAndBuiltins checks that a builtin used as a value is a state
// key, and that a state key shadows the builtin it is named after.
func TestExprKeysAndBuiltins(t *testing.T) {
	c := burr.Expr("len(messages) > max")
	if !reflect.DeepEqual(c.Keys(), []string{"messages", "max"}) {
		t.Fatal(c.Keys())
	}
	_, err := c.Evaluate(burr.State{}.Set("messages", []any{1}))
	var ce *burr.ConditionError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Missing, []string{"max"}) {
		t.Fatalf("got %v", err)
	}
	ok, err := c.Evaluate(burr.State{}.Set("messages", []any{1, 2}).Set("max", 1))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	_, err = burr.Expr("len(messages) > 1").Evaluate(burr.State{}.Set("messages", []any{1}).Set("len", 3))
	wantErrContains(t, err, `condition "len(messages) > 1"`, "column 1", "TypeError: 'int' object is not callable")
}

func TestExprEvaluationErrors(t *testing.T) {
	s := burr.State{}.Set("mode", "chat").Set("l", []any{}).Set("d", map[string]any{}).Set("n", 0)
	for _, c := range []struct{ expr, want string }{
		{"mode < 1", "column 6: TypeError: '<' not supported between instances of 'str' and 'int'"},
		{"l[-1] == 1", "column 2: IndexError: list index out of range"},
		{"d['k'] == 1", "column 2: KeyError: 'k'"},
		{"1 / n > 0", "column 3: ZeroDivisionError: division by zero"},
	} {
		_, err := burr.Expr(c.expr).Evaluate(s)
		wantErrContains(t, err, fmt.Sprintf("burr: condition %q: %s", c.expr, c.want))
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
