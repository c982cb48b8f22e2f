package pyexpr

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

type message struct {
	Role    string `json:"role"`
	Content string
	Meta    map[string]any `json:"meta,omitempty"`
	secret  string
}

type mode string

// TestGoValues checks how values of Go types found in state are read.
func TestGoValues(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	msg := message{Role: "user", Content: "hi there", Meta: map[string]any{"n": 1}, secret: "s"}
	var nilMsg *message
	env := map[string]any{
		"strs":    []string{"a", "b"},
		"ints":    []int{3, 1, 2},
		"floats":  []float64{0.5, 1.5},
		"arr":     [2]int{7, 8},
		"nilList": []any(nil),
		"nilMap":  map[string]any(nil),
		"m":       map[string]int{"a": 1},
		"byInt":   map[int]string{1: "one", 2: "two"},
		"byAny":   map[any]any{int64(1): "one", "k": "v"},
		"msg":     msg,
		"pmsg":    &msg,
		"nilMsg":  nilMsg,
		"msgs":    []message{msg},
		"jint":    json.Number("12"),
		"jfloat":  json.Number("1.5"),
		"jbig":    json.Number("123456789012345678901234567890"),
		"bigint":  new(big.Int).Lsh(big.NewInt(1), 80),
		"maxu":    uint64(math.MaxUint64),
		"i8":      int8(-3),
		"u8":      uint8(200),
		"f32":     float32(1.5),
		"i64":     int64(math.MinInt64),
		"mode":    mode("chat"),
		"dur":     2 * time.Second,
		"cyclic":  cyclic,
		"cplx":    complex(1, 2),
		"fn":      func() {},
		"ptrInt":  new(int),
	}
	for _, c := range []struct{ expr, want string }{
		{"'a' in strs", "True"},
		{"strs[-1]", "'b'"},
		{"strs == ['a', 'b']", "True"},
		{"strs == ('a', 'b')", "False"},
		{"str(strs)", "\"['a', 'b']\""},
		{"sum(ints)", "6"},
		{"ints[1:]", "[1, 2]"},
		{"max(ints)", "3"},
		{"sum(floats)", "2.0"},
		{"arr[0] + arr[-1]", "15"},
		{"not nilList", "True"},
		{"len(nilList)", "0"},
		{"len(nilMap) == 0", "True"},
		{"m['a']", "1"},
		{"'a' in m", "True"},
		{"m.a", "1"},
		{"m == {'a': 1}", "True"},
		{"m == {'a': 1.0}", "True"},
		{"m['z']", "!KeyError: 'z'"},
		{"1 in m", "False"},
		{"byInt[1]", "'one'"},
		{"1 in byInt", "True"},
		{"1.0 in byInt", "True"},
		{"byInt[True]", "'one'"},
		{"'1' in byInt", "False"},
		{"str(byInt)", `"{1: 'one', 2: 'two'}"`},
		{"byAny[1]", "'one'"},
		{"byAny['k']", "'v'"},
		{"msg.role", "'user'"},
		{"msg.content", "'hi there'"},
		{"msg.Content", "'hi there'"},
		{"msg.meta['n']", "1"},
		{"msg.meta.n", "1"},
		{"msg.secret", "!AttributeError: 'pyexpr.message' object has no attribute 'secret'"},
		{"msg.missing", "!AttributeError: 'pyexpr.message' object has no attribute 'missing'"},
		{"'hi' in pmsg.content", "True"},
		{"msgs[0].role == 'user'", "True"},
		{"msg == msg", "True"},
		{"msg == pmsg", "False"},
		{"pmsg is pmsg", "True"},
		{"nilMsg is None", "True"},
		{"nilMsg.role", "!AttributeError: 'NoneType' object has no attribute 'role'"},
		{"msg['role']", "!TypeError: 'pyexpr.message' object is not subscriptable"},
		{"len(msg)", "!TypeError: object of type 'pyexpr.message' has no len()"},
		{"jint + 1", "13"},
		{"jfloat * 2", "3.0"},
		{"jbig + 1", "123456789012345678901234567891"},
		{"bigint > 2**64", "True"},
		{"bigint == 2**80", "True"},
		{"maxu == 2**64 - 1", "True"},
		{"maxu + 1", "18446744073709551616"},
		{"i8 * u8", "-600"},
		{"f32 == 1.5", "True"},
		{"i64 - 1", "-9223372036854775809"},
		{"-i64", "9223372036854775808"},
		{"mode == 'chat'", "True"},
		{"mode + '!'", "'chat!'"},
		{"dur > 1", "True"},
		{"cyclic == cyclic", "!RecursionError: maximum recursion depth exceeded while comparing or printing a value that contains itself"},
		{"str(cyclic)", "!RecursionError: maximum recursion depth exceeded while comparing or printing a value that contains itself"},
		{"'self' in cyclic", "True"},
		{"cplx == cplx", "True"},
		{"cplx + 1", "!TypeError: unsupported operand type(s) for +: 'complex128' and 'int'"},
		{"fn is None", "False"},
		{"bool(fn)", "True"},
		{"ptrInt == 0", "True"},
	} {
		if got := run(t, c.expr, env); got != c.want {
			t.Errorf("%q = %s, want %s", c.expr, got, c.want)
		}
	}
}

// TestShadowing checks that state values shadow the builtins of the same
// name, as Python's locals do.
func TestShadowing(t *testing.T) {
	for _, c := range shadowTable {
		if got := run(t, c.expr, shadowVars); got != c.want {
			t.Errorf("%q = %s, want %s", c.expr, got, c.want)
		}
	}
	// Burr finds the keys that are missing before evaluating; evaluated
	// without the key, a name used as a value is not the builtin.
	if got := run(t, "max == 5", map[string]any{}); !strings.HasPrefix(got, "!NameError: name 'max' is not defined") {
		t.Errorf("got %s", got)
	}
}

var shadowVars = map[string]any{"max": 5, "len": "shadow", "l": []any{1, 2, 3}, "count": 2}

// shadowTable is also checked against python3.
var shadowTable = []evalCase{
	{"max + 1", "6"},
	{"len", "'shadow'"},
	{"max == 5", "True"},
	{"max(l)", "!TypeError: 'int' object is not callable"},
	{"len(l)", "!TypeError: 'str' object is not callable"},
	{"min(l)", "1"},
	{"sum(l) + count", "8"},
}
