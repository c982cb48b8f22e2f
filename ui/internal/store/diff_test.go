package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func partsText(parts []Part) string {
	var out []string
	for _, p := range parts {
		switch p.Kind {
		case "changed":
			out = append(out, fmt.Sprintf("%s: %s -> %s", p.Path, p.Old, p.New))
		case "added":
			out = append(out, fmt.Sprintf("%s: + %s", p.Path, p.New))
		case "removed":
			out = append(out, fmt.Sprintf("%s: - %s", p.Path, p.Old))
		case "appended":
			var items []string
			for _, it := range p.Items {
				items = append(items, string(it))
			}
			out = append(out, fmt.Sprintf("%s: ++ %s", p.Path, strings.Join(items, " ")))
		}
	}
	return strings.Join(out, "; ")
}

func TestDiffValue(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	deeper := strings.Repeat(`{"a":`, 40) + "2" + strings.Repeat("}", 40)
	tests := []struct{ old, cur, want string }{
		{`1`, `2`, ""}, // a scalar: shown old → new, no parts
		{`"a"`, `"b"`, ""},
		{`{"user":{"name":"ada","age":3}}`, `{"user":{"name":"bob","age":3}}`, `.user.name: "ada" -> "bob"`},
		{`[{"role":"user","content":"hi"}]`, `[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]`,
			`: ++ {"role":"assistant","content":"hello"}`},
		{`{"chat":[1,2]}`, `{"chat":[1,2,3,4],"n":1}`, `.chat: ++ 3 4; .n: + 1`},
		{`{"a b":1,"gone":true}`, `{"a b":2}`, `["a b"]: 1 -> 2; .gone: - true`},
		{`[1,2,3]`, `[1,9,3]`, `[1]: 2 -> 9`},
		{`[1,2,3]`, `[4]`, ""}, // replaced whole
		{`{"x": [1, 2]}`, `{"x":[1,2]}`, ""},
		{deep, deeper, ""}, // too deep: changed whole
		{`{"a":1}`, `[1]`, ""},
	}
	for _, tt := range tests {
		got := partsText(diffValue(json.RawMessage(tt.old), json.RawMessage(tt.cur)))
		if got != tt.want {
			t.Errorf("diff %s → %s:\n got %s\nwant %s", tt.old, tt.cur, got, tt.want)
		}
	}
	// Many differences: changed whole rather than a long list.
	var a, b []string
	for i := range 300 {
		a, b = append(a, fmt.Sprint(i)), append(b, fmt.Sprint(i+1))
	}
	if p := diffValue(json.RawMessage("["+strings.Join(a, ",")+"]"), json.RawMessage("["+strings.Join(b, ",")+"]")); p != nil {
		t.Errorf("300 differences: %d parts", len(p))
	}
}

// A step's changes carry the parts of each changed key.
func TestStepChangesHaveParts(t *testing.T) {
	lg := NewLog()
	end := func(seq int, state string) string {
		return fmt.Sprintf(`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"chat","result":{},"exception":null,"state":%s,"sequence_id":%d}`, state, seq)
	}
	lg.Add([]byte(strings.Join([]string{
		beginLine(0, "chat"), end(0, `{"chat_history":[{"role":"user","content":"hi"}],"count":1}`),
		beginLine(1, "chat"), end(1, `{"chat_history":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}],"count":2}`),
	}, "\n") + "\n"))
	ch := lg.Steps()[1].Changes
	if len(ch) != 2 || ch[0].Key != "chat_history" || partsText(ch[0].Parts) != `: ++ {"role":"assistant","content":"hello"}` || ch[1].Parts != nil {
		t.Errorf("changes = %+v", ch)
	}
}
