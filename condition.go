package burr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/internal/pyexpr"
)

// Condition decides whether a transition is taken. Its name is the one Burr
// writes (it appears in graph.json and exported graphs), and its keys are the
// state keys it reads: a key missing from state when the condition is
// evaluated is an error naming the key.
//
// Conditions are built with When, [Expr], [Predicate] and Default, and combined
// with Not, And and Or.
type Condition struct {
	name      string
	keys      []string
	eval      func(State) (bool, error)
	isDefault bool
	err       error // reported when the graph is built
}

// Default is the condition that is always true: the fallback transition.
var Default = Condition{name: "default", eval: func(State) (bool, error) { return true, nil }, isDefault: true}

// Name returns the condition's name, as Burr writes it.
func (c Condition) Name() string { return c.name }

// Keys returns the state keys the condition reads.
func (c Condition) Keys() []string { return slices.Clone(c.keys) }

// IsDefault reports whether this is the Default condition.
func (c Condition) IsDefault() bool { return c.isDefault }

// Err returns the error found when the condition was built (an [Expr] that does
// not compile, When with an odd number of arguments), or nil.
func (c Condition) Err() error { return c.err }

// Evaluate reports whether the condition holds for s.
func (c Condition) Evaluate(s State) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	if c.eval == nil {
		return false, fmt.Errorf("burr: the zero Condition cannot be evaluated")
	}
	for _, k := range c.keys {
		if !s.Has(k) {
			return false, c.missing(s)
		}
	}
	var ok bool
	err := safeCall(func() (err error) {
		ok, err = c.eval(s)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("burr: condition %q: %w", c.name, err)
	}
	return ok, nil
}

func (c Condition) missing(s State) error {
	var missing []string
	for _, k := range c.keys {
		if !s.Has(k) {
			missing = append(missing, k)
		}
	}
	return &ConditionError{Condition: c.name, Missing: missing}
}

// When is true when every key equals its value. Arguments alternate key and
// value: When("mode", "chat", "safe", true). Its name is the "k=v" pairs
// sorted by key and joined with ", ", as Burr names it.
func When(keyValues ...any) Condition {
	if len(keyValues) == 0 || len(keyValues)%2 != 0 {
		return Condition{name: "when(?)", err: fmt.Errorf("burr: When needs key/value pairs, got %d arguments", len(keyValues))}
	}
	type kv struct {
		k string
		v any
	}
	var pairs []kv
	var keys []string
	for i := 0; i < len(keyValues); i += 2 {
		k, ok := keyValues[i].(string)
		if !ok {
			return Condition{name: "when(?)", err: fmt.Errorf("burr: When: argument %d must be a key string, got %T", i, keyValues[i])}
		}
		pairs = append(pairs, kv{k, keyValues[i+1]})
		keys = append(keys, k)
	}
	sorted := slices.Clone(pairs)
	slices.SortFunc(sorted, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	names := make([]string, len(sorted))
	for i, p := range sorted {
		names[i] = p.k + "=" + pyStr(p.v)
	}
	return Condition{
		name: strings.Join(names, ", "),
		keys: keys,
		eval: func(s State) (bool, error) {
			for _, p := range pairs {
				v, _ := s.Get(p.k)
				if !looseEqual(v, p.v) {
					return false, nil
				}
			}
			return true, nil
		},
	}
}

// pyStr formats a value as Python's str() would, for condition names.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case float64:
		return string(jsonx.AppendFloat(nil, x, 64))
	case float32:
		return string(jsonx.AppendFloat(nil, float64(x), 32))
	}
	// Text, not fmt.Sprint: a value that contains itself gets a placeholder
	// instead of recursing without end.
	text, _ := jsonx.Text(v)
	return text
}

// Expr is true when the Python expression holds, as Burr's expr() is: the
// expression reads the state as Python locals, and its truth is Python's
// (bool() of its value). Expressions ported from a Burr application are
// written as they were:
//
//	burr.Expr("count < 10 and mode == 'chat'")
//	burr.Expr("'FINAL ANSWER' in messages[-1]['content']")
//	burr.Expr("feedback is None or count // 2 == 1")
//
// The language is Python's expression syntax, read by Python's rules:
// literals (ints of any size, floats, strings with Python's quotes, prefixes
// r and u, and escapes; True, False, None), names, and/or/not (returning an
// operand, short-circuit), comparisons == != < <= > >= in, not in, is, is
// not (chained, 0 < x < 10), arithmetic + - * / // % ** and unary - + ~,
// bitwise & | ^ << >>, a if c else b, subscripts with negative indices and
// slices, list, tuple, dict and set displays, comments, and calls of the
// builtins abs, all, any, bool, float, int, len, max, min, str and sum.
// Arithmetic is Python's: ints do not overflow, / gives a float, // and %
// floor. a.b reads the field b of a Go struct (by JSON or Go name) or the key
// "b" of a map: where Burr's state holds an object, a Go state holds a struct
// or a map. Anything else (assignment, lambda, comprehensions, method calls,
// f-strings, &&, ||, !) is refused rather than read otherwise than Python
// reads it.
//
// The expression is compiled once, when Expr is called; a syntax error is
// reported when the graph is built, with the expression and the column where
// it fails. The condition's keys are the names the expression reads, in
// order of first appearance: a state key shadows a builtin of the same name,
// as Python's locals do, so a builtin used as a value (max > 3) is a key,
// while one only called (len(x)) is not. Errors while evaluating (a
// TypeError comparing 'a' < 1, an IndexError, a KeyError, a division by
// zero) are Python's, naming the expression and the column.
func Expr(expression string) Condition {
	c := Condition{name: expression}
	prog, err := pyexpr.Compile(expression)
	if err != nil {
		c.err = fmt.Errorf("burr: Expr %q does not compile: %w", expression, err)
		return c
	}
	c.keys = prog.Keys()
	names := prog.Names()
	c.eval = func(s State) (bool, error) {
		var buf [8]any
		vars := buf[:0]
		if len(names) > len(buf) {
			vars = make([]any, 0, len(names))
		}
		for _, n := range names {
			v, ok := s.Get(n)
			if !ok {
				v = pyexpr.Missing{}
			}
			vars = append(vars, v)
		}
		return prog.Truth(vars)
	}
	return c
}

// Predicate is true when fn returns true. keys are the state keys fn reads; the
// application checks they are present before calling fn.
func Predicate(name string, keys []string, fn func(State) bool) Condition {
	if fn == nil {
		return Condition{name: name, err: fmt.Errorf("burr: Predicate %q has a nil function", name)}
	}
	return Condition{name: name, keys: slices.Clone(keys), eval: func(s State) (bool, error) { return fn(s), nil }}
}

// Not is true when c is false. Its name is "~" + c's name, as in Burr.
func (c Condition) Not() Condition {
	return Condition{
		name: "~" + c.name,
		keys: c.keys,
		err:  c.err,
		eval: func(s State) (bool, error) {
			ok, err := c.eval(s)
			return !ok, err
		},
	}
}

// And is true when both conditions are (short-circuit). Its name is
// "a & b" and its keys are both conditions' keys.
func (c Condition) And(o Condition) Condition {
	return combine(c, o, " & ", false)
}

// Or is true when either condition is (short-circuit). Its name is "a | b".
func (c Condition) Or(o Condition) Condition {
	return combine(c, o, " | ", true)
}

func combine(a, b Condition, op string, or bool) Condition {
	c := Condition{name: a.name + op + b.name, keys: appendNew(slices.Clone(a.keys), b.keys...), err: a.err}
	if c.err == nil {
		c.err = b.err
	}
	c.eval = func(s State) (bool, error) {
		x, err := a.eval(s)
		if err != nil || x == or {
			return x, err
		}
		return b.eval(s)
	}
	return c
}
