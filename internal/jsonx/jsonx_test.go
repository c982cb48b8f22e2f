package jsonx

import (
	"encoding/json"
	"math"
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
