package burr_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/burrgo/burr"
)

func TestStateImmutableAndOrdered(t *testing.T) {
	s0 := burr.State{}.Set("b", 1).Set("a", 2)
	s1 := s0.Set("b", 3).Set("c", 4)
	if got := s0.Keys(); !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Fatalf("s0 keys %v", got)
	}
	if got := s1.Keys(); !reflect.DeepEqual(got, []string{"b", "a", "c"}) {
		t.Fatalf("s1 keys %v", got)
	}
	if s0.Value("b") != 1 || s1.Value("b") != 3 {
		t.Fatal("copy-on-write broken")
	}
	if s1.Len() != 3 || !s1.Has("c") || s1.Has("z") {
		t.Fatal("Len/Has")
	}
}

func TestStateAppendExtendIncrement(t *testing.T) {
	s := burr.State{}.Set("list", []int{1})
	s2, err := s.Append("list", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Value("list"), []int{1}) || !reflect.DeepEqual(s2.Value("list"), []int{1, 2}) {
		t.Fatalf("append: %v %v", s.Value("list"), s2.Value("list"))
	}
	s3, err := s2.Extend("list", []int{3, 4})
	if err != nil || !reflect.DeepEqual(s3.Value("list"), []int{1, 2, 3, 4}) {
		t.Fatalf("extend: %v %v", s3.Value("list"), err)
	}
	s4, err := burr.State{}.Append("new", "x")
	if err != nil || !reflect.DeepEqual(s4.Value("new"), []string{"x"}) {
		t.Fatalf("append new: %v %v", s4.Value("new"), err)
	}
	_, err = burr.State{}.Set("n", 1).Append("n", 2)
	var ke *burr.KeyError
	if !errors.As(err, &ke) || ke.Key != "n" {
		t.Fatalf("append to non-list: %v", err)
	}
	wantErrContains(t, err, `"n"`, "non-appendable", "int")
	// A value of another type makes a mixed list, as Burr's lists are.
	mixed, err := s.Append("list", "str")
	if err != nil || !reflect.DeepEqual(mixed.Value("list"), []any{1, "str"}) || !reflect.DeepEqual(s.Value("list"), []int{1}) {
		t.Fatalf("mixed append: %#v, %v", mixed.Value("list"), err)
	}
	_, err = burr.State{}.Set("n", 1).Extend("n", []int{2})
	wantErrContains(t, err, `"n"`)
	_, err = s.Extend("list", 5)
	wantErrContains(t, err, `"list"`, "slice")

	// increment(foo=2, bar=5) on {foo: 1} gives {foo: 3, bar: 5}
	inc := burr.State{}.Set("foo", 1)
	inc, _ = inc.Increment("foo", 2)
	inc, _ = inc.Increment("bar", 5)
	if inc.Value("foo") != 3 || inc.Value("bar") != 5 {
		t.Fatalf("increment: %v", inc)
	}
	_, err = burr.State{}.Set("s", "x").Increment("s", 1)
	wantErrContains(t, err, `"s"`, "non-integer", "string")
}

func TestStateDeleteKeepMergeSubset(t *testing.T) {
	s := burr.State{}.Set("a", 1).Set("b", 2).Set("c", 3)
	if got := s.Delete("b", "zz").Keys(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("delete: %v", got)
	}
	if got := s.KeepOnly("c", "a").Keys(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("keep: %v", got)
	}
	m := s.Merge(burr.State{}.Set("b", 20).Set("d", 4))
	if got := m.Keys(); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) || m.Value("b") != 20 {
		t.Fatalf("merge: %v", m)
	}
	if got := s.Subset("c", "a", "missing").Keys(); !reflect.DeepEqual(got, []string{"c", "a"}) {
		t.Fatalf("subset: %v", got)
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	s := burr.State{}.Set("count", 3).Set("ratio", 1.0).Set("name", "ünï").
		Set("list", []any{1, "x"}).Set("nested", map[string]any{"k": 2})
	s = s.Set(burr.SequenceIDKey, 4).Set(burr.PriorStepKey, "counter")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"count":3,"ratio":1.0,"name":"ünï","list":[1,"x"],"nested":{"k":2},"__SEQUENCE_ID":4,"__PRIOR_STEP":"counter"}`
	if string(b) != want {
		t.Fatalf("json:\n got %s\nwant %s", b, want)
	}
	var back burr.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Value("count") != 3 {
		t.Fatalf("count came back as %T %v", back.Value("count"), back.Value("count"))
	}
	if back.Value("ratio") != 1.0 {
		t.Fatalf("ratio came back as %T", back.Value("ratio"))
	}
	if seq, ok := back.SequenceID(); !ok || seq != 4 {
		t.Fatal("sequence id lost")
	}
	if !reflect.DeepEqual(back.Keys(), s.Keys()) {
		t.Fatalf("order: %v", back.Keys())
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Fatal("array decoded as state")
	}
}

func TestStateLarge(t *testing.T) {
	var s burr.State
	for i := range 100 {
		s = s.Set(string(rune('A'+i%26))+string(rune('a'+i/26)), i)
	}
	if s.Len() != 100 || s.Value("Aa") != 0 || s.Value("Vd") != 99 {
		t.Fatalf("large state: %d %v", s.Len(), s.Value("Vd"))
	}
	s = s.Delete("Aa")
	if s.Has("Aa") || s.Value("Ba") != 1 {
		t.Fatal("delete in large state")
	}
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func TestKeyConversions(t *testing.T) {
	s := burr.State{}.Set("n", 3).Set("f", 2.0).Set("bad", 2.5).Set("s", "x")
	if v, err := burr.Key[int64]("n").Get(s); err != nil || v != 3 {
		t.Fatal(v, err)
	}
	if v, err := burr.Key[int]("f").Get(s); err != nil || v != 2 {
		t.Fatal(v, err)
	}
	if v, err := burr.Key[float64]("n").Get(s); err != nil || v != 3 {
		t.Fatal(v, err)
	}
	_, err := burr.Key[int]("bad").Get(s)
	wantErrContains(t, err, `"bad"`, "want int", "float64")
	_, err = burr.Key[int]("missing").Get(s)
	wantErrContains(t, err, `"missing"`, "missing")
	_, err = burr.Key[int]("s").Get(s)
	wantErrContains(t, err, `"s"`, "want int", "string")
	if burr.Key[int]("missing").Or(s, 7) != 7 {
		t.Fatal("Or")
	}
	// Values loaded from JSON decode into typed slices of structs.
	var loaded burr.State
	if err := json.Unmarshal([]byte(`{"history":[{"role":"user","content":"hi"}]}`), &loaded); err != nil {
		t.Fatal(err)
	}
	h, err := burr.Key[[]message]("history").Get(loaded)
	if err != nil || len(h) != 1 || h[0].Content != "hi" {
		t.Fatal(h, err)
	}
	// Appending a struct to a JSON-loaded list keeps both readable.
	loaded, err = loaded.Append("history", message{Role: "assistant", Content: "yo"})
	if err != nil {
		t.Fatal(err)
	}
	h, err = burr.Key[[]message]("history").Get(loaded)
	if err != nil || len(h) != 2 || h[1].Content != "yo" {
		t.Fatal(h, err)
	}
}

func TestStateJSONPythonNonFinite(t *testing.T) {
	var s burr.State
	// Persisters call UnmarshalJSON directly on Python's json.dumps output.
	if err := s.UnmarshalJSON([]byte(`{"loss": NaN, "best": -Infinity, "n": 1}`)); err != nil {
		t.Fatal(err)
	}
	if s.Value("loss") != nil || !s.Has("best") || s.Value("n") != 1 {
		t.Fatal(s)
	}
}

func TestSubsetDeduplicates(t *testing.T) {
	sub := burr.State{}.Set("a", 1).Set("b", 2).Subset("a", "a")
	if !reflect.DeepEqual(sub.Keys(), []string{"a"}) {
		t.Fatal(sub.Keys())
	}
}

func TestAppendNilToTypedSlice(t *testing.T) {
	// nil is no int: the list becomes a mixed one, as in Burr.
	s, err := burr.State{}.Set("l", []int{1}).Append("l", nil)
	if err != nil || !reflect.DeepEqual(s.Value("l"), []any{1, nil}) {
		t.Fatalf("got %#v, %v", s.Value("l"), err)
	}
}

// Lists are mixed in Burr and in any state loaded from JSON: a value of
// another type than a typed list's elements makes it a []any.
func TestAppendMixed(t *testing.T) {
	s := burr.State{}.Set("l", []string{"a"})
	cases := []struct {
		name string
		do   func() (burr.State, error)
		want any
	}{
		{"same type stays typed", func() (burr.State, error) { return s.Append("l", "b") }, []string{"a", "b"}},
		{"other type", func() (burr.State, error) { return s.Append("l", 1) }, []any{"a", 1}},
		{"extend mixed", func() (burr.State, error) { return s.Extend("l", []any{"b", 2.5}) }, []any{"a", "b", 2.5}},
		{"extend typed", func() (burr.State, error) { return s.Extend("l", []string{"b"}) }, []string{"a", "b"}},
		{"extend other type", func() (burr.State, error) { return s.Extend("l", []int{1}) }, []any{"a", 1}},
		{"new key, mixed", func() (burr.State, error) { return s.Append("n", 1, "x") }, []any{1, "x"}},
		{"new key, typed", func() (burr.State, error) { return s.Append("n", 1, 2) }, []int{1, 2}},
	}
	for _, c := range cases {
		got, err := c.do()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		key := "l"
		if got.Has("n") {
			key = "n"
		}
		if v := got.Value(key); !reflect.DeepEqual(v, c.want) {
			t.Errorf("%s: %#v, want %#v", c.name, v, c.want)
		}
	}
	if !reflect.DeepEqual(s.Value("l"), []string{"a"}) {
		t.Error("the original list changed")
	}
	_, err := burr.State{}.Set("n", 1).Extend("n", []int{2})
	wantErrContains(t, err, `"n"`, "non-extendable")
}
