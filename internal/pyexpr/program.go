package pyexpr

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Program is a compiled expression. It is immutable and safe for concurrent
// use.
type Program struct {
	src      string
	root     *node
	names    []string
	required []bool
}

// Missing stands, in the variables given to Eval, for a name the
// environment does not have.
type Missing struct{}

// Compile parses src as a Python expression (what Python's eval() accepts,
// within the subset this package implements) and prepares it for
// evaluation. Errors are *Error values placing the problem in src.
func Compile(src string) (prog *Program, err error) {
	if i := strings.IndexByte(src, 0); i >= 0 {
		return nil, newError(src, i, "the expression contains a null byte")
	}
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, newError(src, i, "the expression is not valid UTF-8")
	}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(syntaxError)
			if !ok {
				panic(r)
			}
			prog, err = nil, se.err
		}
	}()
	// Python's eval() strips leading spaces and tabs.
	p := &parser{lx: lexer{src: src, pos: len(src) - len(strings.TrimLeft(src, " \t"))}}
	root := p.parseTop()
	prog = &Program{src: src, root: root}
	prog.bind(root)
	fold(root)
	return prog, nil
}

// bind gives every name a slot, in order of first appearance.
func (p *Program) bind(n *node) {
	if n == nil {
		return
	}
	switch n.kind {
	case nName:
		n.slot = p.slot(n.name, true)
	case nCall:
		n.slot = p.slot(n.name, false)
	}
	for _, k := range n.kids {
		p.bind(k)
	}
}

func (p *Program) slot(name string, required bool) int {
	if i := slices.Index(p.names, name); i >= 0 {
		p.required[i] = p.required[i] || required
		return i
	}
	p.names = append(p.names, name)
	p.required = append(p.required, required)
	return len(p.names) - 1
}

// Names returns every name the expression looks up, in order of first
// appearance: the variables it reads and the builtins it calls. The values
// given to Eval follow this order.
func (p *Program) Names() []string { return slices.Clone(p.names) }

// Keys returns the names the expression reads as variables, in order of
// first appearance. A builtin is a key when it is used other than by
// calling it (count, max, len used as values); a builtin that is only
// called is not a key, though a variable of its name still shadows it, as
// Python's locals shadow its builtins.
func (p *Program) Keys() []string {
	var keys []string
	for i, n := range p.names {
		if p.required[i] {
			keys = append(keys, n)
		}
	}
	return keys
}

// String returns the expression in canonical form: every compound
// expression in parentheses, literals as Python's repr() writes them.
// Compiling the canonical form gives a Program with the same canonical form.
func (p *Program) String() string { return p.root.String() }

// Eval evaluates the expression. vars holds the value of each of Names(),
// in that order: a Go value (see the package documentation for how Go
// values are read) or Missing{}. Errors are *Error values.
func (p *Program) Eval(vars []any) (v Value, err error) {
	if len(vars) != len(p.names) {
		return none, fmt.Errorf("pyexpr: %q needs %d values (for %v), got %d", p.src, len(p.names), p.names, len(vars))
	}
	defer func() {
		if r := recover(); r != nil {
			v = none
			if _, ok := r.(tooDeep); ok {
				err = newError(p.src, p.root.pos, "RecursionError: maximum recursion depth exceeded while comparing or printing a value that contains itself")
				return
			}
			err = newError(p.src, p.root.pos, fmt.Sprintf("internal error: %v", r))
		}
	}()
	v, err = p.eval(p.root, vars)
	if e, ok := err.(*evalError); ok {
		err = newError(p.src, e.pos, e.msg)
	}
	return v, err
}

// Truth evaluates the expression and returns the truth of its value, as
// Python's bool() would.
func (p *Program) Truth(vars []any) (bool, error) {
	v, err := p.Eval(vars)
	return v.Truth(), err
}
