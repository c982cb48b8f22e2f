package pyexpr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Compile never panics, that it either refuses the
// input with a placed error or reads it into a canonical form that reads
// back to itself, and that evaluating what compiles raises only Python
// errors.
func FuzzParse(f *testing.F) {
	for _, c := range evalTable {
		f.Add(c.expr)
	}
	for _, s := range []string{
		"count < 10 and mode == 'chat'", "a && b", "x[1:2, 3]", "'''a\nb'''", "(x := 1)", "1if x else y",
		"r'\\'", "0x_ff", "1e999", "a.b.c", "len(x,)", "not x in y", "-2 ** -2", "{1: 2, **a}", "ｘ",
		"(a\n# c\n+ b)", "x \\\n+ 1", "'\\N{X}'", "{*a}", "x is 1", "a if b else c if d else e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 || e.Msg == "" || e.Expr != src {
				t.Fatalf("%q: bad error %#v", src, err)
			}
			return
		}
		canon := p.String()
		q, err := Compile(canon)
		if err != nil {
			t.Fatalf("%q reads as %q, which does not compile: %v", src, canon, err)
		}
		if again := q.String(); again != canon {
			t.Fatalf("%q reads as %q, which reads as %q", src, canon, again)
		}
		if !slices.Equal(p.Names(), q.Names()) || !slices.Equal(p.Keys(), q.Keys()) {
			t.Fatalf("%q: names %v keys %v; canonical %q: %v %v", src, p.Names(), p.Keys(), canon, q.Names(), q.Keys())
		}
		vars := make([]any, len(p.Names()))
		values := []any{3, "chat", []any{1, "a"}, map[string]any{"k": 2.5}, nil, true}
		for i := range vars {
			vars[i] = values[i%len(values)]
		}
		if _, err := p.Eval(vars); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%q: %v", src, err)
		}
	})
}
