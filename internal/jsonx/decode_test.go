package jsonx

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeValues(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{`3`, 3},
		{`-0`, 0},
		{`9223372036854775807`, math.MaxInt64},
		{`-9223372036854775808`, math.MinInt64},
		// Integers beyond int64 keep their digits: Python's ints have no limit.
		{`9223372036854775808`, json.Number("9223372036854775808")},
		{`18446744073709551615`, json.Number("18446744073709551615")},
		{`-100000000000000000000000`, json.Number("-100000000000000000000000")},
		{`3.5`, 3.5},
		{`2.0`, 2.0},
		{`1e2`, 100.0},
		{`-0.0`, math.Copysign(0, -1)},
		{`1e-400`, 0.0}, // underflow rounds to zero, as in Python
		// Beyond float64's range: kept as written, not turned into an infinity.
		{`1e999`, json.Number("1e999")},
		{`-1.5E+400`, json.Number("-1.5E+400")},
		// Python's json.dumps literals for non-finite floats read as null.
		{`NaN`, nil},
		{`Infinity`, nil},
		{`-Infinity`, nil},
		{`"a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00"`, "a\"b\\c/\b\f\n\r\té😀"},
		{`"\ud800x"`, "\ufffdx"},      // lone high surrogate
		{`"\udc00\u0041"`, "\ufffdA"}, // lone low surrogate
		{"\"bad\xffutf8\"", "bad\ufffdutf8"},
		{` [1, "two", [], {}, null, true, false] `, []any{1, "two", []any{}, map[string]any{}, nil, true, false}},
	}
	for _, c := range cases {
		got, err := Decode([]byte(c.in))
		if err != nil {
			t.Errorf("Decode(%s): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) || reflect.TypeOf(got) != reflect.TypeOf(c.want) {
			t.Errorf("Decode(%s) = %#v (%T), want %#v (%T)", c.in, got, got, c.want, c.want)
		}
		if f, ok := got.(float64); ok && math.Signbit(f) != math.Signbit(c.want.(float64)) {
			t.Errorf("Decode(%s) = %v, sign lost", c.in, f)
		}
	}
}

// TestDecodeRoundTrip checks that what Python writes is written back byte for
// byte: compact as pydantic does, and in json.dumps style.
func TestDecodeRoundTrip(t *testing.T) {
	for _, c := range []struct{ compact, py string }{
		{`{"z":1,"a":{"role":"user","content":"hi","type":"text"},"m":[{"b":1,"a":2},{"y":null,"x":[1.0,2.5]}]}`,
			`{"z": 1, "a": {"role": "user", "content": "hi", "type": "text"}, "m": [{"b": 1, "a": 2}, {"y": null, "x": [1.0, 2.5]}]}`},
		{`{"big":18446744073709551615,"neg":-9223372036854775809,"f":1e+16,"small":1e-05}`,
			`{"big": 18446744073709551615, "neg": -9223372036854775809, "f": 1e+16, "small": 1e-05}`},
		{"{\"s\":\"é \x7f\",\"k\":{\"é\":1,\"e\":2}}",
			`{"s": "\u00e9 \u007f", "k": {"\u00e9": 1, "e": 2}}`},
	} {
		for _, doc := range []string{c.compact, c.py} {
			v, err := Decode([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.compact {
				t.Errorf("compact round trip of %s\n gave %s", doc, got)
			}
			if py := string(PyFormat(got)); py != c.py {
				t.Errorf("json.dumps round trip of %s\n gave %s", doc, py)
			}
		}
	}
}

func TestDecodeObject(t *testing.T) {
	var keys []string
	var vals []any
	err := DecodeObject([]byte(` {"b": 1, "a": [2], "b": 3} `), func(k string, v any) error {
		keys, vals = append(keys, k), append(vals, v)
		return nil
	})
	if err != nil || !reflect.DeepEqual(keys, []string{"b", "a", "b"}) || !reflect.DeepEqual(vals, []any{1, []any{2}, 3}) {
		t.Fatalf("keys %q values %v err %v", keys, vals, err)
	}
	for in, kind := range map[string]string{`null`: "null", ` [1] `: "an array", `"s"`: "a string", `1`: "a number", `NaN`: "a number", `true`: "a boolean"} {
		err := DecodeObject([]byte(in), func(string, any) error { return nil })
		var ne *NotObjectError
		if !errors.As(err, &ne) || ne.Kind != kind {
			t.Errorf("DecodeObject(%s) = %v, want a NotObjectError for %s", in, err, kind)
		}
	}
	stop := errors.New("stop")
	if err := DecodeObject([]byte(`{"a":1,"b":2}`), func(string, any) error { return stop }); err != stop {
		t.Errorf("the member's error was not returned: %v", err)
	}
	if err := DecodeObject([]byte(`{}`), func(string, any) error { t.Error("member called"); return nil }); err != nil {
		t.Error(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{a:1}`, `[1,]`, `[1 2]`, `01`, `1.`, `.5`, `1e`, `-`, `+1`,
		`"abc`, "\"a\x01\"", `"\x"`, `"\u12"`, `"\u12zz"`, `tru`, `nul`, `Nan`, `-Inf`, `{} {}`, `{"a":1}x`,
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	} {
		if v, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) = %#v, want an error", in, v)
		}
		if err := DecodeObject([]byte(in), func(string, any) error { return nil }); err == nil {
			t.Errorf("DecodeObject(%q) succeeded", in)
		}
	}
	_, err := Decode([]byte(`{"a": [1, x]}`))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 10 {
		t.Errorf("error %v, want a SyntaxError at offset 10", err)
	}
}

// TestDecodeAgreesWithEncodingJSON decodes documents encoding/json accepts and
// compares, numbers aside.
func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"a":"\u003c\u2028\ud834\udd1e","b":[{"c":"\\\"\/"}],"d":""}`,
		"{\"x\":\"\xed\xa0\x80\"}",
		`[[[]],{"":{"":null}}]`,
	} {
		got, err := Decode([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, encoding/json %#v", doc, got, want)
		}
	}
}

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "-0": true, "1.5e+10": true, "1e999": true, "": false, "-": false,
		"01": false, "1.": false, "1e": false, "NaN": false, " 1": false, "0x1": false} {
		if ValidNumber(s) != want {
			t.Errorf("ValidNumber(%q) = %v", s, !want)
		}
	}
}
