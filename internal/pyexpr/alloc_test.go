package pyexpr

import "testing"

var benchVars = map[string]any{
	"count": 3, "mode": "chat", "done": false, "x": nil, "question": "please exit now",
	"messages": []any{map[string]any{"role": "user", "content": "hi"}},
}

var simpleExprs = []struct{ name, expr string }{
	{"int", "count < 10"},
	{"string", "mode == 'chat'"},
	{"bool", "not done"},
	{"and", "count < 10 and mode == 'chat'"},
	{"chain", "0 < count < 10"},
	{"floordiv", "count // 2 == 1"},
	{"none", "x is None"},
	{"substring", "'exit' in question"},
	{"literal-list", "mode in ['chat', 'voice']"},
	{"len", "len(messages) > 0"},
	{"index", "messages[-1]['content'] == 'hi'"},
}

func compileWithVars(tb testing.TB, expr string) (*Program, []any) {
	p, err := Compile(expr)
	if err != nil {
		tb.Fatal(err)
	}
	vars := make([]any, len(p.Names()))
	for i, n := range p.Names() {
		v, ok := benchVars[n]
		if !ok {
			vars[i] = Missing{}
			continue
		}
		vars[i] = v
	}
	if ok, err := p.Truth(vars); err != nil || !ok {
		tb.Fatalf("%s: %v %v", expr, ok, err)
	}
	return p, vars
}

// TestSimpleExpressionsDoNotAllocate: comparisons of ints, strings, bools
// and None, read from state, allocate nothing when evaluated.
func TestSimpleExpressionsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, c := range simpleExprs {
		p, vars := compileWithVars(t, c.expr)
		if n := testing.AllocsPerRun(100, func() { p.Truth(vars) }); n != 0 {
			t.Errorf("%s: %v allocations per evaluation", c.expr, n)
		}
	}
}

func BenchmarkTruth(b *testing.B) {
	for _, c := range simpleExprs {
		p, vars := compileWithVars(b, c.expr)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Truth(vars)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Compile("len(messages) > 0 and 'FINAL ANSWER' in messages[-1]['content'] or count // 2 == 1")
	}
}
