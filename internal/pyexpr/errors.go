package pyexpr

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a syntax error found by Compile or an error raised while
// evaluating, with the position in the expression it concerns. Messages of
// evaluation errors start with the Python exception's name (TypeError,
// KeyError, …) and say what Python would say.
type Error struct {
	Expr string // the expression
	Line int    // 1-based line of the position
	Col  int    // 1-based column of the position, in characters
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 1 || strings.ContainsAny(e.Expr, "\n\r") {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// newError places a message at byte offset pos of src.
func newError(src string, pos int, msg string) *Error {
	if pos > len(src) {
		pos = len(src)
	}
	line, col := 1, 1
	for i := 0; i < pos; {
		r, n := utf8.DecodeRuneInString(src[i:])
		i += n
		switch {
		case r == '\n', r == '\r' && (i >= len(src) || src[i] != '\n'):
			line++
			col = 1
		case r == '\r':
		default:
			col++
		}
	}
	return &Error{Expr: src, Line: line, Col: col, Msg: msg}
}

// evalError is an error raised during evaluation, placed at a node.
type evalError struct {
	pos int
	msg string
}

func (e *evalError) Error() string { return e.msg }

func raise(pos int, format string, args ...any) error {
	return &evalError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// pyError is an error raised below the evaluator, which knows no position:
// the node that called places it.
type pyError struct{ msg string }

func (e *pyError) Error() string { return e.msg }

func pyErr(format string, args ...any) error { return &pyError{msg: fmt.Sprintf(format, args...)} }

// at places an error raised by a value operation at pos.
func at(pos int, err error) error {
	if pe, ok := err.(*pyError); ok {
		return &evalError{pos: pos, msg: pe.msg}
	}
	return err
}

// errTooDeep is raised (as a panic, recovered by Eval) when comparing or
// printing values nests deeper than maxDepth, as a value that contains itself
// would.
type tooDeep struct{}

const maxDepth = 200

func checkDepth(depth int) {
	if depth > maxDepth {
		panic(tooDeep{})
	}
}
