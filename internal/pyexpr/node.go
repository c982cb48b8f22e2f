package pyexpr

import (
	"math"
	"strings"
)

type nodeKind uint8

const (
	nConst   nodeKind = iota // val
	nName                    // name, slot
	nAttr                    // kids[0].name
	nIndex                   // kids[0][kids[1]]
	nSlice                   // kids[0][kids[1]:kids[2]:kids[3]], absent bounds nil
	nCall                    // name(kids...), op the builtin, slot the name's
	nList                    // [kids...]
	nTuple                   // (kids...)
	nSet                     // {kids...}
	nDict                    // {kids[0]: kids[1], ...}
	nUnary                   // op kids[0], op an unOp
	nNot                     // not kids[0]
	nBinary                  // kids[0] op kids[1], op a binOp
	nAnd                     // kids[0] and kids[1] and ...
	nOr                      // kids[0] or kids[1] or ...
	nCompare                 // kids[0] cmps[0] kids[1] cmps[1] ...
	nIf                      // kids[0] if kids[1] else kids[2]
)

// node is one node of the syntax tree, which is also what is evaluated.
type node struct {
	kind   nodeKind
	op     uint8
	folded bool // val holds the node's value, computed when compiled
	pos    int  // byte offset the node's errors point at
	slot   int
	name   string
	val    Value
	kids   []*node
	cmps   []cmpOp
}

// String writes the tree in canonical form: every compound expression in
// parentheses, literals as Python's repr() writes them. Parsing the
// canonical form gives the same tree back.
func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	list := func(kids []*node, sep string) {
		for i, k := range kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b)
		}
	}
	switch n.kind {
	case nConst:
		b.Write(appendLiteral(nil, n.val))
	case nName:
		b.WriteString(n.name)
	case nAttr:
		n.kids[0].writeOperand(b)
		b.WriteString(".")
		b.WriteString(n.name)
	case nIndex:
		n.kids[0].writeOperand(b)
		b.WriteString("[")
		n.kids[1].write(b)
		b.WriteString("]")
	case nSlice:
		n.kids[0].writeOperand(b)
		b.WriteString("[")
		for i, k := range n.kids[1:] {
			if i == 2 && k == nil {
				break
			}
			if i > 0 {
				b.WriteString(":")
			}
			if k != nil {
				k.write(b)
			}
		}
		b.WriteString("]")
	case nCall:
		b.WriteString(n.name)
		b.WriteString("(")
		list(n.kids, ", ")
		b.WriteString(")")
	case nList:
		b.WriteString("[")
		list(n.kids, ", ")
		b.WriteString("]")
	case nTuple:
		b.WriteString("(")
		list(n.kids, ", ")
		if len(n.kids) == 1 {
			b.WriteString(",")
		}
		b.WriteString(")")
	case nSet:
		b.WriteString("{")
		list(n.kids, ", ")
		b.WriteString("}")
	case nDict:
		b.WriteString("{")
		for i := 0; i < len(n.kids); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			n.kids[i].write(b)
			b.WriteString(": ")
			n.kids[i+1].write(b)
		}
		b.WriteString("}")
	case nUnary:
		b.WriteString("(")
		b.WriteString(unOp(n.op).String())
		n.kids[0].write(b)
		b.WriteString(")")
	case nNot:
		b.WriteString("(not ")
		n.kids[0].write(b)
		b.WriteString(")")
	case nBinary:
		b.WriteString("(")
		n.kids[0].write(b)
		b.WriteString(" " + binOp(n.op).String() + " ")
		n.kids[1].write(b)
		b.WriteString(")")
	case nAnd, nOr:
		b.WriteString("(")
		list(n.kids, map[nodeKind]string{nAnd: " and ", nOr: " or "}[n.kind])
		b.WriteString(")")
	case nCompare:
		b.WriteString("(")
		n.kids[0].write(b)
		for i, c := range n.cmps {
			b.WriteString(" " + c.String() + " ")
			n.kids[i+1].write(b)
		}
		b.WriteString(")")
	case nIf:
		b.WriteString("(")
		n.kids[0].write(b)
		b.WriteString(" if ")
		n.kids[1].write(b)
		b.WriteString(" else ")
		n.kids[2].write(b)
		b.WriteString(")")
	}
}

// writeOperand writes the operand of an attribute or subscript, in
// parentheses when it is a number (1.real would not read back).
func (n *node) writeOperand(b *strings.Builder) {
	if n.kind == nConst && n.val.isNum() {
		b.WriteString("(")
		n.write(b)
		b.WriteString(")")
		return
	}
	n.write(b)
}

// appendLiteral writes a constant as a Python literal: ints beyond
// CPython's decimal conversion limit in hexadecimal, infinity as 1e999.
func appendLiteral(b []byte, v Value) []byte {
	switch {
	case v.k == kFloat && math.IsInf(v.float(), 1):
		return append(b, "1e999"...)
	case v.k == kBig && v.big().BitLen() > maxStrDigits*3:
		if v.big().Sign() < 0 {
			b = append(b, '-')
		}
		b = append(b, "0x"...)
		return v.toBig().Abs(v.big()).Append(b, 16)
	}
	return appendRepr(b, v, 0)
}
