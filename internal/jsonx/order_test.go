package jsonx

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"testing"
)

func TestKeyOrderKept(t *testing.T) {
	v, err := Decode([]byte(`{"role":"user","content":"hi","type":"text","meta":{"z":1,"y":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if got := KeyOrder(m); !slices.Equal(got, []string{"role", "content", "type", "meta"}) {
		t.Fatalf("KeyOrder = %q", got)
	}
	b, _ := Marshal(m)
	if want := `{"role":"user","content":"hi","type":"text","meta":{"z":1,"y":2}}`; string(b) != want {
		t.Fatalf("got %s", b)
	}
	// Changed in place: deleted keys are skipped, new ones follow, sorted.
	delete(m, "content")
	m["b"], m["a"] = 1, 2
	b, _ = Marshal(m)
	if want := `{"role":"user","type":"text","meta":{"z":1,"y":2},"a":2,"b":1}`; string(b) != want {
		t.Fatalf("got %s", b)
	}
	if got := SortedKeys(m); !slices.Equal(got, []string{"role", "type", "meta", "a", "b"}) {
		t.Fatalf("SortedKeys = %q", got)
	}
	// A map made in Go has no order to keep: sorted keys.
	if KeyOrder(map[string]any{"b": 1, "a": 2}) != nil {
		t.Fatal("a map made in Go has a key order")
	}
	if got := SortedKeys(map[string]any{"b": 1, "a": 2}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatal(got)
	}
}

// TestKeyOrderLargeObject uses more keys than the linear membership check.
func TestKeyOrderLargeObject(t *testing.T) {
	doc := []byte{'{'}
	var keys []string
	for i := 40; i > 0; i-- {
		k := fmt.Sprintf("k%02d", i)
		keys = append(keys, k)
		if len(doc) > 1 {
			doc = append(doc, ',')
		}
		doc = fmt.Appendf(doc, "%q:%d", k, i)
	}
	doc = append(doc, '}')
	v, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	m["new"] = 0
	delete(m, "k20")
	want := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "k20" })
	if got := SortedKeys(m); !slices.Equal(got, append(want, "new")) {
		t.Fatalf("SortedKeys = %q", got)
	}
}

// TestKeyOrderForgotten checks that the table lets go of the maps it knows
// and never hands a dead map's order to another map.
func TestKeyOrderForgotten(t *testing.T) {
	before := orderCount.Load()
	func() {
		for range 1000 {
			if _, err := Decode([]byte(`{"z":1,"y":2,"x":{"b":1,"a":2}}`)); err != nil {
				t.Fatal(err)
			}
		}
	}()
	for i := 0; i < 50 && orderCount.Load() > before+100; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if n := orderCount.Load(); n > before+100 {
		t.Fatalf("%d orders still registered after the maps were collected", n-before)
	}
	// Maps made in Go after all that churn (some at addresses of collected
	// decoded maps) never get an order.
	for i := range 1000 {
		m := map[string]any{"z": i, "y": 2, "x": 3}
		if b, _ := Marshal(m); string(b) != fmt.Sprintf(`{"x":3,"y":2,"z":%d}`, i) {
			t.Fatalf("map made in Go written as %s", b)
		}
	}
}

func BenchmarkMarshalDecodedChat(b *testing.B) {
	doc := []byte{'['}
	for i := range 200 {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = fmt.Appendf(doc, `{"role":"user","content":"message %d","type":"text"}`, i)
	}
	doc = append(doc, ']')
	v, err := Decode(doc)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = Append(buf[:0], v)
	}
}

func BenchmarkDecodeChat(b *testing.B) {
	doc := []byte{'['}
	for i := range 200 {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = fmt.Appendf(doc, `{"role":"user","content":"message %d","type":"text"}`, i)
	}
	doc = append(doc, ']')
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChatEncodingJSON(b *testing.B) {
	doc := []byte{'['}
	for i := range 200 {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = fmt.Appendf(doc, `{"role":"user","content":"message %d","type":"text"}`, i)
	}
	doc = append(doc, ']')
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
	}
}
