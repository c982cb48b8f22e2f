package pyexpr

import (
	"fmt"
	"strings"
)

// keywords are Python's hard keywords: never names.
var keywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// maxParseDepth bounds the parser's recursion, as CPython's parser bounds
// its own.
const maxParseDepth = 200

// parser is a recursive-descent parser following the expression rules of
// Python's grammar, from "expressions" down to "atom".
type parser struct {
	lx    lexer
	buf   []token
	depth int
}

func (p *parser) fail(pos int, format string, args ...any) {
	p.lx.fail(pos, format, args...)
}

// peek returns the token k places ahead.
func (p *parser) peek(k int) token {
	for len(p.buf) <= k {
		p.buf = append(p.buf, p.lx.next())
	}
	return p.buf[k]
}

func (p *parser) tok() token { return p.peek(0) }

func (p *parser) advance() token {
	t := p.peek(0)
	p.buf = p.buf[1:]
	return t
}

func (t token) is(op string) bool   { return t.kind == tOp && t.text == op }
func (t token) isKw(kw string) bool { return t.kind == tName && t.text == kw }

// describe names a token in an error message.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tNewline:
		return "the end of the line (wrap a multi-line expression in parentheses)"
	case tName:
		if keywords[t.text] {
			return fmt.Sprintf("keyword '%s'", t.text)
		}
		return fmt.Sprintf("name '%s'", t.text)
	case tNumber:
		return fmt.Sprintf("number %s", t.text)
	case tString:
		return "a string"
	}
	return fmt.Sprintf("'%s'", t.text)
}

func (p *parser) expect(op string, open token) token {
	t := p.tok()
	if !t.is(op) {
		if t.isKw("for") {
			p.fail(t.pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
		}
		if open.kind == tOp {
			p.fail(t.pos, "expected '%s' to close the '%s' at column %d, found %s", op, open.text, newError(p.lx.src, open.pos, "").Col, describe(t))
		}
		p.fail(t.pos, "expected '%s', found %s", op, describe(t))
	}
	return p.advance()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxParseDepth {
		p.fail(p.tok().pos, "the expression nests too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// parseTop reads the whole input: expressions, then only line ends.
func (p *parser) parseTop() *node {
	if t := p.tok(); t.kind == tEOF || t.kind == tNewline {
		p.fail(t.pos, "the expression is empty")
	}
	n := p.parseExpressions()
	for p.tok().kind == tNewline {
		p.advance()
	}
	if t := p.tok(); t.kind != tEOF {
		switch {
		case t.is("="):
			p.fail(t.pos, "'=' assigns, which an expression cannot do: use '==' to compare")
		case t.isKw("if") || t.isKw("else"):
			p.fail(t.pos, "unexpected %s: a conditional expression is 'a if condition else b'", describe(t))
		}
		p.fail(t.pos, "unexpected %s after the expression", describe(t))
	}
	return n
}

// startsExpr reports whether t can begin an expression.
func startsExpr(t token) bool {
	switch t.kind {
	case tName:
		return !keywords[t.text] || t.text == "True" || t.text == "False" || t.text == "None" ||
			t.text == "not" || t.text == "lambda" || t.text == "await" || t.text == "yield"
	case tNumber, tString:
		return true
	case tOp:
		return strings.Contains("( [ { - + ~ *", t.text) && len(t.text) == 1
	}
	return false
}

// parseExpressions reads expressions separated by commas: a tuple without
// parentheses when there is a comma.
func (p *parser) parseExpressions() *node {
	first := p.parseExpr()
	if !p.tok().is(",") {
		return first
	}
	tup := &node{kind: nTuple, pos: first.pos, kids: []*node{first}}
	for p.tok().is(",") {
		p.advance()
		if !startsExpr(p.tok()) {
			break
		}
		tup.kids = append(tup.kids, p.parseExpr())
	}
	return tup
}

// parseExpr reads an "expression": a disjunction, or a conditional
// expression.
func (p *parser) parseExpr() *node {
	p.enter()
	defer p.leave()
	t := p.tok()
	switch {
	case t.isKw("lambda"):
		p.fail(t.pos, "lambda is not supported")
	case t.isKw("yield") || t.isKw("await"):
		p.fail(t.pos, "'%s' is not supported", t.text)
	case t.is("*"):
		p.fail(t.pos, "unpacking with '*' is not supported")
	}
	body := p.parseOr()
	if !p.tok().isKw("if") {
		return body
	}
	ifTok := p.advance()
	cond := p.parseOr()
	if t := p.tok(); !t.isKw("else") {
		p.fail(t.pos, "expected 'else' after 'if' expression, found %s", describe(t))
	}
	p.advance()
	orelse := p.parseExpr()
	return &node{kind: nIf, pos: ifTok.pos, kids: []*node{body, cond, orelse}}
}

func (p *parser) parseOr() *node {
	n := p.parseAnd()
	if !p.tok().isKw("or") {
		return n
	}
	or := &node{kind: nOr, pos: p.tok().pos, kids: []*node{n}}
	for p.tok().isKw("or") {
		p.advance()
		or.kids = append(or.kids, p.parseAnd())
	}
	return or
}

func (p *parser) parseAnd() *node {
	n := p.parseNot()
	if !p.tok().isKw("and") {
		return n
	}
	and := &node{kind: nAnd, pos: p.tok().pos, kids: []*node{n}}
	for p.tok().isKw("and") {
		p.advance()
		and.kids = append(and.kids, p.parseNot())
	}
	return and
}

func (p *parser) parseNot() *node {
	if t := p.tok(); t.isKw("not") {
		p.enter()
		defer p.leave()
		p.advance()
		return &node{kind: nNot, pos: t.pos, kids: []*node{p.parseNot()}}
	}
	return p.parseComparison()
}

// compareOp reads a comparison operator, or returns false.
func (p *parser) compareOp() (cmpOp, token, bool) {
	t := p.tok()
	if t.kind == tOp {
		for i, name := range cmpNames[:cmpIn] {
			if t.text == name {
				p.advance()
				return cmpOp(i), t, true
			}
		}
		return 0, t, false
	}
	switch {
	case t.isKw("in"):
		p.advance()
		return cmpIn, t, true
	case t.isKw("is"):
		p.advance()
		if p.tok().isKw("not") {
			p.advance()
			return cmpIsNot, t, true
		}
		return cmpIs, t, true
	case t.isKw("not"):
		if next := p.peek(1); next.isKw("in") {
			p.advance()
			p.advance()
			return cmpNotIn, t, true
		}
		p.fail(p.peek(1).pos, "expected 'in' after 'not', found %s", describe(p.peek(1)))
	}
	return 0, t, false
}

func (p *parser) parseComparison() *node {
	left := p.parseBinary(0)
	op, t, ok := p.compareOp()
	if !ok {
		return left
	}
	n := &node{kind: nCompare, pos: t.pos, kids: []*node{left}}
	for ok {
		right := p.parseBinary(0)
		if op == cmpIs || op == cmpIsNot {
			for _, side := range []*node{n.kids[len(n.kids)-1], right} {
				if side.kind == nConst && (side.val.isNum() && side.val.k != kBool || side.val.k == kStr) {
					p.fail(t.pos, "'%s' with a literal: Python's answer depends on how it stores the value; use '%s'", op, map[cmpOp]string{cmpIs: "==", cmpIsNot: "!="}[op])
				}
			}
		}
		n.cmps = append(n.cmps, op)
		n.kids = append(n.kids, right)
		op, t, ok = p.compareOp()
	}
	return n
}

// binaryLevels are the left-associative binary operators from loosest to
// tightest: | ^ & shifts sums terms.
var binaryLevels = [][]struct {
	text string
	op   binOp
}{
	{{"|", opBitOr}},
	{{"^", opBitXor}},
	{{"&", opBitAnd}},
	{{"<<", opLShift}, {">>", opRShift}},
	{{"+", opAdd}, {"-", opSub}},
	{{"*", opMul}, {"/", opDiv}, {"//", opFloorDiv}, {"%", opMod}},
}

func (p *parser) parseBinary(level int) *node {
	if level == len(binaryLevels) {
		return p.parseFactor()
	}
	left := p.parseBinary(level + 1)
	for {
		t := p.tok()
		found := false
		for _, o := range binaryLevels[level] {
			if t.is(o.text) {
				p.advance()
				right := p.parseBinary(level + 1)
				left = &node{kind: nBinary, op: uint8(o.op), pos: t.pos, kids: []*node{left, right}}
				found = true
				break
			}
		}
		if !found {
			return left
		}
	}
}

func (p *parser) parseFactor() *node {
	t := p.tok()
	var op unOp
	switch {
	case t.is("-"):
		op = opNeg
	case t.is("+"):
		op = opPos
	case t.is("~"):
		op = opInvert
	default:
		return p.parsePower()
	}
	p.enter()
	defer p.leave()
	p.advance()
	return &node{kind: nUnary, op: uint8(op), pos: t.pos, kids: []*node{p.parseFactor()}}
}

func (p *parser) parsePower() *node {
	base := p.parsePrimary()
	if t := p.tok(); t.is("**") {
		p.enter()
		defer p.leave()
		p.advance()
		return &node{kind: nBinary, op: uint8(opPow), pos: t.pos, kids: []*node{base, p.parseFactor()}}
	}
	return base
}

func (p *parser) parsePrimary() *node {
	n := p.parseAtom()
	bare := n.kind == nName
	for {
		t := p.tok()
		switch {
		case t.is("."):
			p.advance()
			name := p.tok()
			if name.kind != tName || keywords[name.text] {
				p.fail(name.pos, "expected an attribute name after '.', found %s", describe(name))
			}
			p.advance()
			n = &node{kind: nAttr, pos: name.pos, name: name.text, kids: []*node{n}}
		case t.is("("):
			if !bare {
				if n.kind == nAttr {
					p.fail(t.pos, "method calls such as .%s() are not supported; the functions that can be called are %s", n.name, strings.Join(Builtins(), ", "))
				}
				p.fail(t.pos, "only the built-in functions %s can be called", strings.Join(Builtins(), ", "))
			}
			n = p.parseCall(n)
		case t.is("["):
			n = p.parseSubscript(n)
		default:
			return n
		}
		bare = false
	}
}

func (p *parser) parseCall(fn *node) *node {
	b, ok := builtins[fn.name]
	if !ok {
		p.fail(fn.pos, "'%s' is not a function this evaluator has; it has %s", fn.name, strings.Join(Builtins(), ", "))
	}
	open := p.advance()
	call := &node{kind: nCall, op: uint8(b.id), pos: fn.pos, name: fn.name}
	for !p.tok().is(")") {
		t := p.tok()
		switch {
		case t.is("*") || t.is("**"):
			p.fail(t.pos, "unpacking arguments with '%s' is not supported", t.text)
		case t.kind == tName && p.peek(1).is("="):
			p.fail(t.pos, "keyword arguments (%s=…) are not supported", t.text)
		}
		call.kids = append(call.kids, p.parseExpr())
		if p.tok().isKw("for") {
			p.fail(p.tok().pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
		}
		if !p.tok().is(",") {
			break
		}
		p.advance()
	}
	p.expect(")", open)
	if n := len(call.kids); n < b.minArgs || b.maxArgs >= 0 && n > b.maxArgs {
		want := fmt.Sprintf("%d", b.minArgs)
		switch {
		case b.maxArgs < 0:
			want = fmt.Sprintf("at least %d", b.minArgs)
		case b.maxArgs != b.minArgs:
			want = fmt.Sprintf("%d to %d", b.minArgs, b.maxArgs)
		}
		p.fail(fn.pos, "%s() takes %s argument(s), got %d", fn.name, want, n)
	}
	return call
}

// parseSubscript reads [index] or [lo:hi:step] after base.
func (p *parser) parseSubscript(base *node) *node {
	open := p.advance()
	if p.tok().is("]") {
		p.fail(p.tok().pos, "expected an index or a slice in '[]'")
	}
	var items []*node
	sliced, tuple := false, false
	for {
		it := p.parseSliceItem(open.pos)
		if it.kind == nSlice && it.kids[0] == nil {
			sliced = true
		}
		items = append(items, it)
		if !p.tok().is(",") {
			break
		}
		tuple = true
		p.advance()
		if p.tok().is("]") {
			break
		}
	}
	p.expect("]", open)
	if !tuple {
		if items[0].kind == nSlice && items[0].kids[0] == nil {
			items[0].kids[0] = base
			return items[0]
		}
		return &node{kind: nIndex, pos: open.pos, kids: []*node{base, items[0]}}
	}
	if sliced {
		p.fail(open.pos, "extended slicing (a[i:j, k]) is not supported")
	}
	return &node{kind: nIndex, pos: open.pos, kids: []*node{base, {kind: nTuple, pos: items[0].pos, kids: items}}}
}

// parseSliceItem reads an index expression or a slice lo:hi:step; a slice
// comes back as an nSlice with no base yet.
func (p *parser) parseSliceItem(pos int) *node {
	var lo *node
	if !p.tok().is(":") {
		lo = p.parseExpr()
		if !p.tok().is(":") {
			return lo
		}
	}
	s := &node{kind: nSlice, pos: pos, kids: []*node{nil, lo, nil, nil}}
	p.advance()
	bound := func() *node {
		if t := p.tok(); t.is(":") || t.is("]") || t.is(",") {
			return nil
		}
		return p.parseExpr()
	}
	s.kids[2] = bound()
	if p.tok().is(":") {
		p.advance()
		s.kids[3] = bound()
	}
	return s
}

func (p *parser) parseAtom() *node {
	t := p.tok()
	switch t.kind {
	case tNumber:
		p.advance()
		return &node{kind: nConst, pos: t.pos, val: t.val}
	case tString:
		p.advance()
		s := t.val.s
		for p.tok().kind == tString {
			s += p.advance().val.s
		}
		return &node{kind: nConst, pos: t.pos, val: strV(s)}
	case tName:
		switch t.text {
		case "True", "False", "None":
			p.advance()
			v := map[string]Value{"True": valTrue, "False": valFalse, "None": none}[t.text]
			return &node{kind: nConst, pos: t.pos, val: v}
		case "lambda":
			p.fail(t.pos, "lambda is not supported")
		case "yield", "await":
			p.fail(t.pos, "'%s' is not supported", t.text)
		}
		if keywords[t.text] {
			p.fail(t.pos, "expected an expression, found %s", describe(t))
		}
		p.advance()
		return &node{kind: nName, pos: t.pos, name: t.text}
	case tOp:
		switch t.text {
		case "(":
			return p.parseParen()
		case "[":
			open := p.advance()
			l := &node{kind: nList, pos: t.pos, kids: p.parseElements("]")}
			p.expect("]", open)
			return l
		case "{":
			return p.parseBrace()
		case "=":
			p.fail(t.pos, "'=' assigns, which an expression cannot do: use '==' to compare")
		case "*", "**":
			p.fail(t.pos, "unpacking with '%s' is not supported", t.text)
		}
	}
	p.fail(t.pos, "expected an expression, found %s", describe(t))
	return nil
}

// parseElements reads comma-separated expressions up to close (not read),
// allowing a trailing comma.
func (p *parser) parseElements(close string) []*node {
	var kids []*node
	for !p.tok().is(close) {
		kids = append(kids, p.parseExpr())
		if p.tok().isKw("for") {
			p.fail(p.tok().pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
		}
		if !p.tok().is(",") {
			break
		}
		p.advance()
	}
	return kids
}

func (p *parser) parseParen() *node {
	open := p.advance()
	if p.tok().is(")") {
		p.advance()
		return &node{kind: nTuple, pos: open.pos}
	}
	first := p.parseExpr()
	if p.tok().isKw("for") {
		p.fail(p.tok().pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
	}
	if !p.tok().is(",") {
		p.expect(")", open)
		return first
	}
	p.advance()
	tup := &node{kind: nTuple, pos: open.pos, kids: append([]*node{first}, p.parseElements(")")...)}
	p.expect(")", open)
	return tup
}

func (p *parser) parseBrace() *node {
	open := p.advance()
	if p.tok().is("}") {
		p.advance()
		return &node{kind: nDict, pos: open.pos}
	}
	if t := p.tok(); t.is("**") {
		p.fail(t.pos, "unpacking with '**' is not supported")
	}
	first := p.parseExpr()
	if !p.tok().is(":") {
		if p.tok().isKw("for") {
			p.fail(p.tok().pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
		}
		s := &node{kind: nSet, pos: open.pos, kids: []*node{first}}
		if p.tok().is(",") {
			p.advance()
			s.kids = append(s.kids, p.parseElements("}")...)
		}
		p.expect("}", open)
		return s
	}
	d := &node{kind: nDict, pos: open.pos}
	key := first
	for {
		p.expect(":", token{})
		d.kids = append(d.kids, key, p.parseExpr())
		if p.tok().isKw("for") {
			p.fail(p.tok().pos, "comprehensions and generator expressions are not supported (Burr evaluates their body in a scope that cannot see state keys)")
		}
		if !p.tok().is(",") {
			break
		}
		p.advance()
		if t := p.tok(); t.is("}") {
			break
		} else if t.is("**") {
			p.fail(t.pos, "unpacking with '**' is not supported")
		}
		key = p.parseExpr()
	}
	p.expect("}", open)
	return d
}
