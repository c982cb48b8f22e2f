package pyexpr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestCanonical checks how accepted expressions are read: the canonical form
// puts every compound expression in parentheses, so it shows precedence,
// associativity and literal values as Python reads them.
func TestCanonical(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"count < 10", "(count < 10)"},
		{"a and b or not c", "((a and b) or (not c))"},
		{"a or b and c", "(a or (b and c))"},
		{"a and b and c", "(a and b and c)"},
		{"a if b else c if d else e", "(a if b else (c if d else e))"},
		{"-2 ** 2", "(-(2 ** 2))"},
		{"(-2) ** 2", "((-2) ** 2)"},
		{"2 ** -1", "(2 ** (-1))"},
		{"2 ** 3 ** 2", "(2 ** (3 ** 2))"},
		{"a < b < c", "(a < b < c)"},
		{"(a < b) < c", "((a < b) < c)"},
		{"x not in y", "(x not in y)"},
		{"x is not None", "(x is not None)"},
		{"not x in y", "(not (x in y))"},
		{"not x == y", "(not (x == y))"},
		{"a | b ^ c & d << 1 + 2 * 3", "(a | (b ^ (c & (d << (1 + (2 * 3))))))"},
		{"a - b - c", "((a - b) - c)"},
		{"a / b * c % d // e", "((((a / b) * c) % d) // e)"},
		{"count // 2 == 1", "((count // 2) == 1)"},
		{"-x + ~y - +z", "(((-x) + (~y)) - (+z))"},
		{"x[-1]['k']", "x[(-1)]['k']"},
		{"x[1:2]", "x[1:2]"},
		{"x[::2]", "x[::2]"},
		{"x[:]", "x[:]"},
		{"x[::]", "x[:]"},
		{"x[:2:]", "x[:2]"},
		{"x[1:]", "x[1:]"},
		{"x[a:b:c]", "x[a:b:c]"},
		{"x[1, 2]", "x[(1, 2)]"},
		{"x[1,]", "x[(1,)]"},
		{"len(x,)", "len(x)"},
		{"(len)(x)", "len(x)"},
		{"a.b.c", "a.b.c"},
		{"1 .real", "(1).real"},
		{"1..real", "(1.0).real"},
		{"(1,)", "(1,)"},
		{"1, 2", "(1, 2)"},
		{"1,", "(1,)"},
		{"()", "()"},
		{"[]", "[]"},
		{"[1,]", "[1]"},
		{"{}", "{}"},
		{"{1}", "{1}"},
		{"{'a': 1,}", "{'a': 1}"},
		{"'a' 'b'", "'ab'"},
		{`'it\'s'`, `"it's"`},
		{`r'\d'`, `'\\d'`},
		{`'\d'`, `'\\d'`},
		{`'\x00\u00e9\U0001F600'`, `'\x00é😀'`},
		{"'''a\nb'''", `'a\nb'`},
		{"'''a\r\nb'''", `'a\nb'`},
		{"'a\\\nb'", "'ab'"},
		{"0x10", "16"},
		{"0o17", "15"},
		{"0b_1010", "10"},
		{"1_000", "1000"},
		{"00", "0"},
		{"1e3", "1000.0"},
		{"1e999", "1e999"},
		{".5", "0.5"},
		{"1.", "1.0"},
		{"1e16", "1e+16"},
		{"True", "True"},
		{"None", "None"},
		{"ｘ", "x"}, // NFKC, as Python reads names
		{"café", "café"},
		{"(count\n < 10)", "(count < 10)"},
		{"count < 10 # the limit", "(count < 10)"},
		{"# leading comment\ncount", "count"},
		{"count \\\n< 10", "(count < 10)"},
		{"  count", "count"},
		{"\ncount\n\n", "count"},
		{"x if y else z", "(x if y else z)"},
		{"x is True", "(x is True)"},
		{"x is -1", "(x is (-1))"},
		{"match", "match"}, // soft keywords are names
	} {
		p, err := Compile(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if got := p.String(); got != c.want {
			t.Errorf("%q reads as %s, want %s", c.src, got, c.want)
		}
	}
}

// TestSyntaxErrors checks that what is not in the subset, or would be read
// otherwise than Python reads it, is refused with its position.
func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"count <", 1, 8, "expected an expression, found the end of the expression"},
		{"", 1, 1, "the expression is empty"},
		{"   ", 1, 4, "the expression is empty"},
		{"# only a comment", 1, 17, "the expression is empty"},
		{"a && b", 1, 3, "'&&' is not Python: use 'and'"},
		{"a || b", 1, 3, "'||' is not Python: use 'or'"},
		{"!a", 1, 1, "'!' is not Python: use 'not'"},
		{"a <> b", 1, 3, "'<>' is not Python 3: use '!='"},
		{"a = 1", 1, 3, "'=' assigns, which an expression cannot do: use '==' to compare"},
		{"(a = 1)", 1, 4, "expected ')' to close the '(' at column 1, found '='"},
		{"(x := 1)", 1, 4, "assignment expressions (:=) are not supported"},
		{"a += 1", 1, 3, "'+=' is an assignment: an expression cannot assign"},
		{"a //= 1", 1, 3, "'//=' is an assignment"},
		{"lambda: 1", 1, 1, "lambda is not supported"},
		{"yield x", 1, 1, "'yield' is not supported"},
		{"await x", 1, 1, "'await' is not supported"},
		{"import os", 1, 1, "expected an expression, found keyword 'import'"},
		{"[x for x in y]", 1, 4, "comprehensions and generator expressions are not supported"},
		{"any(x for x in y)", 1, 7, "comprehensions and generator expressions are not supported"},
		{"{k: 1 for k in d}", 1, 7, "comprehensions"},
		{"{k for k in d}", 1, 4, "comprehensions"},
		{"(x for x in y)", 1, 4, "comprehensions"},
		{"x; y", 1, 2, "';' separates statements"},
		{"...", 1, 1, "Ellipsis (...) is not supported"},
		{"a @ b", 1, 3, "'@' (matrix multiplication) is not supported"},
		{"f'x'", 1, 1, "f-strings are not supported"},
		{"b'x'", 1, 1, "bytes literals are not supported"},
		{"1j", 1, 1, "complex numbers (1j) are not supported"},
		{`'\N{BULLET}'`, 1, 2, `\N{name} escapes are not supported`},
		{`'\x4'`, 1, 2, `truncated \xXX escape`},
		{`'\ud800'`, 1, 2, "surrogate code points (U+D800)"},
		{`'\U00110000'`, 1, 2, `illegal Unicode character`},
		{"'abc", 1, 1, "unterminated string literal"},
		{"'abc\n'", 1, 1, "unterminated string literal"},
		{"'''abc", 1, 1, "unterminated triple-quoted string literal"},
		{`r'\'`, 1, 1, "unterminated string literal"},
		{"(1", 1, 1, "'(' was never closed"},
		{"1)", 1, 2, "unmatched ')'"},
		{"(1]", 1, 3, "closing bracket ']' does not match opening bracket '('"},
		{"01", 1, 1, "leading zeros in decimal integer literals are not permitted"},
		{"1__0", 1, 2, "invalid decimal literal"},
		{"1_", 1, 2, "invalid decimal literal"},
		{"0b12", 1, 4, "invalid digit '2' in binary literal"},
		{"0x", 1, 1, "invalid hexadecimal literal"},
		{"1if x else y", 1, 1, `invalid decimal literal "1i"`},
		{"1.__class__", 1, 3, "invalid decimal literal"},
		{"x is 1", 1, 3, "'is' with a literal"},
		{"x is not 'a'", 1, 3, "'is not' with a literal"},
		{"1 is x", 1, 3, "'is' with a literal"},
		{"round(x)", 1, 1, "'round' is not a function this evaluator has; it has abs, all, any, bool, float, int, len, max, min, str, sum"},
		{"print(x)", 1, 1, "'print' is not a function"},
		{"x.lower()", 1, 8, "method calls such as .lower() are not supported"},
		{"len(x)(y)", 1, 7, "only the built-in functions"},
		{"x[0](1)", 1, 5, "only the built-in functions"},
		{"len()", 1, 1, "len() takes 1 argument(s), got 0"},
		{"len(a, b)", 1, 1, "len() takes 1 argument(s), got 2"},
		{"max()", 1, 1, "max() takes at least 1 argument(s), got 0"},
		{"sum(a, b, c)", 1, 1, "sum() takes 1 to 2 argument(s), got 3"},
		{"max(a, key=len)", 1, 8, "keyword arguments (key=…) are not supported"},
		{"len(*a)", 1, 5, "unpacking arguments with '*' is not supported"},
		{"[*a]", 1, 2, "unpacking with '*' is not supported"},
		{"{**a}", 1, 2, "unpacking with '**' is not supported"},
		{"x[1:2, 3]", 1, 2, "extended slicing (a[i:j, k]) is not supported"},
		{"x[]", 1, 3, "expected an index or a slice in '[]'"},
		{"1 if 2", 1, 7, "expected 'else' after 'if' expression, found the end of the expression"},
		{"a not b", 1, 7, "expected 'in' after 'not', found name 'b'"},
		{"a b", 1, 3, "unexpected name 'b' after the expression"},
		{"a 'b'", 1, 3, "unexpected a string after the expression"},
		{"x.if", 1, 3, "expected an attribute name after '.', found keyword 'if'"},
		{"1 +", 1, 4, "expected an expression"},
		{"x ≤ 3", 1, 3, "invalid character '≤' (U+2264)"},
		{"x\u00a0", 1, 2, "invalid character"},
		{"$x", 1, 1, "invalid character '$' (U+0024)"},
		{"a\x00", 1, 2, "the expression contains a null byte"},
		{"a\xff", 1, 2, "the expression is not valid UTF-8"},
		{"1 \\ 2", 1, 3, "unexpected character after the line continuation character"},
		{"1 \\", 1, 3, "unexpected end of the expression after the line continuation character"},
		{"x\n+ 1", 2, 1, "unexpected '+' after the expression"},
		{"x\ny", 2, 1, "unexpected name 'y' after the expression"},
		{"\n  1", 2, 3, "IndentationError: unexpected indent"},
		{"x ==\n1", 1, 5, "expected an expression, found the end of the line"},
		{strings.Repeat("(", 201) + "1" + strings.Repeat(")", 201), 1, 201, "too many nested brackets"},
		{strings.Repeat("-", 300) + "1", 1, 200, "the expression nests too deeply"},
		{"1" + strings.Repeat("0", 4300), 1, 1, "Exceeds the limit (4300 digits)"},
	} {
		_, err := Compile(c.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: want a syntax error, got %v", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) || e.Line != c.line || e.Col != c.col {
			t.Errorf("%q: got %d:%d %q, want %d:%d %q", c.src, e.Line, e.Col, e.Msg, c.line, c.col, c.msg)
		}
		if e.Expr != c.src {
			t.Errorf("%q: error names %q", c.src, e.Expr)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Compile("count <")
	if got, want := err.Error(), "column 8: expected an expression, found the end of the expression"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = Compile("(a\n+)")
	if got, want := err.Error(), "line 2, column 2: expected an expression, found ')'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p, _ := Compile("count < 'a'")
	_, err = p.Eval([]any{3})
	if got, want := err.Error(), "column 7: TypeError: '<' not supported between instances of 'int' and 'str'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestKeys checks which names are state keys: every name read as a value,
// builtins included; a builtin that is only called is not one.
func TestKeys(t *testing.T) {
	for _, c := range []struct {
		src         string
		names, keys []string
	}{
		{"count < 10", []string{"count"}, []string{"count"}},
		{"len(messages) > 0", []string{"len", "messages"}, []string{"messages"}},
		{"len > 3", []string{"len"}, []string{"len"}},
		{"max(count, max)", []string{"max", "count"}, []string{"max", "count"}},
		{"count + max(count, 1)", []string{"count", "max"}, []string{"count"}},
		{"True and None is x or False", []string{"x"}, []string{"x"}},
		{"a.b + c['d']", []string{"a", "c"}, []string{"a", "c"}},
		{"x if y else x", []string{"x", "y"}, []string{"x", "y"}},
		{"'exit' in question", []string{"question"}, []string{"question"}},
		{"str(int(float(bool(abs(any(all(sum(min(l)))))))))", []string{"str", "int", "float", "bool", "abs", "any", "all", "sum", "min", "l"}, []string{"l"}},
		{"1 + 2", nil, nil},
	} {
		p, err := Compile(c.src)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Names(), c.names) || !slices.Equal(p.Keys(), c.keys) {
			t.Errorf("%q: names %v keys %v, want %v %v", c.src, p.Names(), p.Keys(), c.names, c.keys)
		}
	}
}

func TestEvalNeedsOneValuePerName(t *testing.T) {
	p, _ := Compile("a < b")
	if _, err := p.Eval([]any{1}); err == nil || !strings.Contains(err.Error(), "needs 2 values") {
		t.Fatal(err)
	}
	_, err := p.Eval([]any{1, Missing{}})
	if err == nil || !strings.Contains(err.Error(), "column 5: NameError: name 'b' is not defined") {
		t.Fatal(err)
	}
}
