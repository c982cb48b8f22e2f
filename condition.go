package burr

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/burrgo/burr/internal/jsonx"
)

// Condition decides whether a transition is taken. Its name is the one Burr
// writes (it appears in graph.json and exported graphs), and its keys are the
// state keys it reads: a key missing from state when the condition is
// evaluated is an error naming the key.
//
// Conditions are built with When, Expr, Predicate and Default, and combined
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

// Err returns the error found when the condition was built (an Expr that does
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
	return fmt.Sprint(v)
}

var exprEnvPool = sync.Pool{New: func() any { return make(map[string]any, 8) }}

// Expr is true when the expression holds. The expression is compiled once,
// when Expr is called; a syntax error is reported when the graph is built,
// showing the expression and where it fails. The keys it reads are its
// identifiers. The language is expr-lang's: comparisons, && || ! (or and, or,
// not), arithmetic, in, len(), string and number literals in single or double
// quotes:
//
//	burr.Expr("count < 10 && mode == 'chat'")
func Expr(expression string) Condition {
	c := Condition{name: expression}
	tree, err := parser.Parse(expression)
	if err != nil {
		c.err = fmt.Errorf("burr: Expr %q does not compile: %w", expression, err)
		return c
	}
	c.keys = identifiers(tree.Node)
	// State keys win over expr's builtins of the same name (count, max, …).
	copts := []expr.Option{expr.AsBool()}
	for _, k := range c.keys {
		copts = append(copts, expr.DisableBuiltin(k))
	}
	program, err := expr.Compile(expression, copts...)
	if err != nil {
		c.err = fmt.Errorf("burr: Expr %q does not compile: %w", expression, err)
		return c
	}
	keys := c.keys
	c.eval = func(s State) (bool, error) {
		env := exprEnvPool.Get().(map[string]any)
		defer func() {
			clear(env)
			exprEnvPool.Put(env)
		}()
		for _, k := range keys {
			env[k], _ = s.Get(k)
		}
		out, err := vm.Run(program, env)
		if err != nil {
			return false, err
		}
		b, _ := out.(bool)
		return b, nil
	}
	return c
}

type identVisitor struct {
	seen     []string
	declared []string
}

func (v *identVisitor) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		if !slices.Contains(v.seen, x.Value) && x.Value != "nil" && x.Value != "true" && x.Value != "false" {
			v.seen = append(v.seen, x.Value)
		}
	case *ast.VariableDeclaratorNode:
		v.declared = append(v.declared, x.Name)
	}
}

// identifiers lists the variables an expression reads from state, in order of
// appearance: its identifiers, less the names it declares with let.
func identifiers(n ast.Node) []string {
	v := &identVisitor{}
	ast.Walk(&n, v)
	return slices.DeleteFunc(v.seen, func(id string) bool { return slices.Contains(v.declared, id) })
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
