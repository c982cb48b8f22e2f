package store

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Limits of a value diff: deeper, longer or larger values are shown as
// changed whole.
const (
	maxDiffDepth = 32
	maxDiffParts = 200
	maxDiffBytes = 4 << 20
)

// Part is one difference inside a changed value, at a path from the key:
// ".field", "[3]", ".items[2].name"; "" is the value itself.
type Part struct {
	Path string
	// Kind is "added" or "removed" (a member of an object), "changed"
	// (Old → New), or "appended" (items added at the end of a list: Items).
	Kind     string
	Old, New json.RawMessage
	Items    []json.RawMessage
}

// diffValue lists the differences from old to cur, two JSON values: by
// member for objects, the new items for a list that grew at its end, by
// index for lists of the same length, Old → New otherwise. It returns nil
// when a diff by path would not help (values too large or too different):
// the value is then shown changed whole.
func diffValue(old, cur json.RawMessage) []Part {
	if len(old)+len(cur) > maxDiffBytes {
		return nil
	}
	var parts []Part
	if !diffAt(&parts, "", old, cur, 0) || len(parts) > maxDiffParts {
		return nil
	}
	if len(parts) == 1 && parts[0].Path == "" && parts[0].Kind == "changed" {
		return nil // a scalar, or a value replaced whole: nothing more to say
	}
	return parts
}

// diffAt appends the differences at path; it returns false when there are
// too many or the values are too deep.
func diffAt(parts *[]Part, path string, old, cur json.RawMessage, depth int) bool {
	if len(*parts) > maxDiffParts || depth > maxDiffDepth {
		return false
	}
	if jsonEqual(old, cur) {
		return true
	}
	o, c := bytes.TrimSpace(old), bytes.TrimSpace(cur)
	switch {
	case len(o) > 0 && len(c) > 0 && o[0] == '{' && c[0] == '{':
		of, cf := orderedFields(o), orderedFields(c)
		if of == nil || cf == nil {
			break
		}
		before := make(map[string]json.RawMessage, len(of))
		for _, f := range of {
			before[f.Key] = f.Value
		}
		now := make(map[string]bool, len(cf))
		for _, f := range cf {
			now[f.Key] = true
			p := path + memberPath(f.Key)
			if v, ok := before[f.Key]; !ok {
				*parts = append(*parts, Part{Path: p, Kind: "added", New: f.Value})
			} else if !diffAt(parts, p, v, f.Value, depth+1) {
				return false
			}
		}
		for _, f := range of {
			if !now[f.Key] {
				*parts = append(*parts, Part{Path: path + memberPath(f.Key), Kind: "removed", Old: f.Value})
			}
		}
		return true
	case len(o) > 0 && len(c) > 0 && o[0] == '[' && c[0] == '[':
		var oi, ci []json.RawMessage
		if json.Unmarshal(o, &oi) != nil || json.Unmarshal(c, &ci) != nil {
			break
		}
		if len(ci) > len(oi) && prefixEqual(oi, ci) {
			*parts = append(*parts, Part{Path: path, Kind: "appended", Items: ci[len(oi):]})
			return true
		}
		if len(ci) == len(oi) {
			for i := range ci {
				if !diffAt(parts, path+"["+strconv.Itoa(i)+"]", oi[i], ci[i], depth+1) {
					return false
				}
			}
			return true
		}
	}
	*parts = append(*parts, Part{Path: path, Kind: "changed", Old: old, New: cur})
	return true
}

func prefixEqual(prefix, list []json.RawMessage) bool {
	for i := range prefix {
		if !jsonEqual(prefix[i], list[i]) {
			return false
		}
	}
	return true
}

// memberPath is the path step of an object member: ".name", or
// `["odd name"]` for a name that is not a plain identifier.
func memberPath(key string) string {
	plain := key != ""
	for i, r := range key {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + key
	}
	q, _ := json.Marshal(key)
	return "[" + strings.ReplaceAll(string(q), `\u0026`, "&") + "]"
}
