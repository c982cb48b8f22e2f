package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestAppend(t *testing.T) {
	var nilTime *time.Time
	cyclic := []any{1}
	cyclic[0] = cyclic
	cases := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{1.0, "1.0"},
		{2.5, "2.5"},
		{1e20, "1e+20"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{int64(-3), "-3"},
		{"a\"b\\c\n\u00fc<>&", `"a\"b\\c\nü<>&"`},
		{"\x01", `"\u0001"`},
		{"del\x7f \u2028", "\"del\x7f \u2028\""}, // pydantic writes both raw
		{json.Number("18446744073709551615"), "18446744073709551615"},
		{json.Number("-1.5e999"), "-1.5e999"},
		{[]any{math.Inf(-1), float32(math.NaN())}, "[null,null]"},
		{struct {
			S string `json:"s"`
		}{"<&> \u2028"}, "{\"s\":\"<&> \u2028\"}"},
		{json.RawMessage(`"\u00e9\u003c\/"`), `"é</"`},
		{"bad\xffutf8", "\"bad\ufffdutf8\""},
		{map[string]any{"b": 1, "a": []any{true, nil}}, `{"a":[true,null],"b":1}`},
		{[]string{"x"}, `["x"]`},
		{map[string]int{"z": 1, "y": 2}, `{"y":2,"z":1}`},
		{nilTime, "null"},
		{struct {
			A int `json:"a"`
		}{3}, `{"a":3}`},
	}
	for _, c := range cases {
		got, err := Marshal(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", c.v, got, err, c.want)
		}
	}
	if _, err := Marshal(cyclic); err == nil {
		t.Error("a value that contains itself encoded")
	}
	if _, err := Marshal(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel encoded")
	}
}

// TestPyFormat checks against what Python 3's json.dumps writes.
func TestPyFormat(t *testing.T) {
	in := `{"a":[1,2.0],"s":"x, y: ü 😀 \u001f \u007f ` + "\x7f" + `","n":null}`
	want := `{"a": [1, 2.0], "s": "x, y: \u00fc \ud83d\ude00 \u001f \u007f \u007f", "n": null}`
	if got := string(PyFormat([]byte(in))); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := string(PyFormat([]byte(`{"q":"\"a,b\""}`))); got != `{"q": "\"a,b\""}` {
		t.Fatal(got)
	}
}

func TestRawValuesAreChecked(t *testing.T) {
	if got, err := Marshal(json.RawMessage(nil)); err != nil || string(got) != "null" {
		t.Fatal(string(got), err)
	}
	if got, err := Marshal(json.RawMessage(` {"a": 1} `)); err != nil || string(got) != `{"a":1}` {
		t.Fatal(string(got), err)
	}
	for _, bad := range []any{json.RawMessage("{bad"), json.Number("abc"), json.Number(""), json.Number("1e"), json.Number("01"), json.Number("1 ")} {
		if got, err := Marshal(bad); err == nil {
			t.Errorf("%#v encoded as %s", bad, got)
		}
	}
}

// TestToPydantic checks against what pydantic 2.13's model_dump_json writes.
func TestToPydantic(t *testing.T) {
	cases := map[float64]string{
		1e-5: "0.00001", 2.5e-5: "0.000025", 1.5e-7: "1.5e-7", 1e-6: "1e-6", 1e16: "1e+16",
		1.5e16: "1.5e+16", 123456789.123: "123456789.123", 0.1: "0.1", 1e-4: "0.0001", 1e22: "1e+22",
		1e15: "1000000000000000.0", 5e-324: "5e-324", -1e-5: "-0.00001", -2.5e-7: "-2.5e-7",
	}
	for f, want := range cases {
		b, err := Marshal(map[string]any{"v": f, "s": "1e-05 in a string"})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"s":"1e-05 in a string","v":` + want + `}`
		if got := string(ToPydantic(b)); got != want {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
	plain := []byte(`{"a":1.5,"b":"x"}`)
	if got := ToPydantic(plain); &got[0] != &plain[0] {
		t.Error("rewrote a line without negative exponents")
	}
}

// selfMap returns a map that holds itself under "self".
func selfMap() map[string]any {
	m := map[string]any{"n": 1}
	m["self"] = m
	return m
}

type node struct {
	Name string
	Next *node
	M    map[string]any
}

type selfStringer map[string]any

func (s selfStringer) String() string { return "a stringer" }

// Values that contain themselves are an error wrapping ErrContainsItself, with
// a short message, for Append; Text gives a placeholder instead of
// recursing without end as fmt.Sprint does.
func TestContainsItself(t *testing.T) {
	slice := []any{1, nil}
	slice[1] = slice
	ring := &node{Name: "a"}
	ring.Next = &node{Name: "b", Next: ring}
	inStruct := node{M: map[string]any{}}
	inStruct.M["back"] = []any{inStruct.M}
	typed := map[string][]any{}
	typed["x"] = []any{typed}
	deep := selfMap()
	for range 100 {
		deep = map[string]any{"d": deep}
	}
	cases := []struct {
		name string
		v    any
	}{
		{"map", selfMap()},
		{"slice", slice},
		{"pointers", ring},
		{"map in a struct", inStruct},
		{"typed map", typed},
		{"deep down", []any{1, deep}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Marshal(c.v)
			if err == nil {
				t.Fatal("encoded")
			}
			if c.name != "pointers" && c.name != "map in a struct" { // encoding/json's own cycle error
				if !errors.Is(err, ErrContainsItself) || len(err.Error()) > 200 {
					t.Errorf("Marshal: %v", err)
				}
			}
			text, err := Text(c.v)
			if !errors.Is(err, ErrContainsItself) {
				t.Errorf("Text: %q, %v", text, err)
			}
			if want := fmt.Sprintf("<%T that contains itself>", c.v); text != want {
				t.Errorf("Text = %q, want %q", text, want)
			}
		})
	}
}

// Text is fmt.Sprint for values that do not contain themselves, even when
// they hold the same value in several places, and leaves values with a
// String method to it.
func TestText(t *testing.T) {
	shared := map[string]any{"k": []any{1, 2}}
	dag := []any{shared, shared, map[string]any{"again": shared}}
	ch := make(chan int)
	for _, v := range []any{dag, ch, func() {}, &node{Name: "x", Next: &node{Name: "y"}}, nil, 3} {
		got, err := Text(v)
		if err != nil || got != fmt.Sprint(v) {
			t.Errorf("Text(%v) = %q, %v; want %q", v, got, err, fmt.Sprint(v))
		}
	}
	s := selfStringer{}
	s["me"] = s
	if got, err := Text(s); err != nil || got != "a stringer" {
		t.Errorf("Text(stringer) = %q, %v", got, err)
	}
	var deep any = 1
	for range maxTextDepth + 10 {
		deep = []any{deep}
	}
	if got, err := Text(deep); err == nil || errors.Is(err, ErrContainsItself) || got != "<[]interface {} nested too deep>" {
		t.Errorf("Text(too deep) = %q, %v", got, err)
	}
}

// Looking for values that contain themselves costs nothing on the common
// path: shallow values encode without allocating.
func TestAppendAllocs(t *testing.T) {
	var v any = []any{"a", 1, 2.5, []any{true, nil, []any{"x"}}}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf, _ = Append(buf[:0], v) }); n != 0 {
		t.Errorf("Append allocates %v times", n)
	}
}

// A large document is rewritten into a buffer of exactly the right size.
func TestPyFormatLen(t *testing.T) {
	var doc []byte
	doc = append(doc, '[')
	for i := range 20000 {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = AppendString(doc, "é😀 \x7f\"q\"\n, x: y")
	}
	doc = append(doc, ']')
	out := AppendPyFormat(nil, doc)
	if n := pyFormatLen(doc); n != len(out) {
		t.Fatalf("pyFormatLen = %d, AppendPyFormat wrote %d bytes", n, len(out))
	}
	if cap(out)-len(out) > 8<<10 { // one allocation, rounded up to a page
		t.Errorf("cap %d for %d bytes: the buffer grew more than once", cap(out), len(out))
	}
	if !strings.HasPrefix(string(out), `["\u00e9\ud83d\ude00 \u007f\"q\"\n, x: y", "`) {
		t.Errorf("out starts %s", out[:60])
	}
}
