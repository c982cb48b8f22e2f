package store

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/burrgo/burr/internal/trackfile"
)

// lineInfo is what the index needs of one log line: its kind and the step
// it belongs to, read from the line's top-level members without decoding
// its values (a state of megabytes is skipped, not parsed).
type lineInfo struct {
	kind trackfile.Kind
	seq  int  // sequence_id of an entry, action_sequence_id of the others
	ok   bool // kind and seq were read
	// failed reports an end_entry whose exception is not null.
	failed bool
	action string // of a begin_entry
	// interrupt reports an attribute "interrupt" of the action (not of a
	// span): the question of a step ended by burr.Ask.
	interrupt bool
	// usage tells which usage attribute (usage.go) an attribute line
	// holds, and value is its value, valid while the line is.
	usage usageKey
	value []byte
}

// classify reads the kind and step of a log line. It reports ok=false for
// a line it cannot read quickly (malformed JSON, an escaped member name or
// type, a missing or non-integer id): such a line is decoded by
// trackfile.DecodeLine, which says what is wrong with it, or reads it by
// the full rules.
func classify(raw []byte) lineInfo {
	var li lineInfo
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return li
	}
	i = skipWS(raw, i+1)
	var typ, seq, aseq, exc, action, key, span, value []byte
	for i < len(raw) && raw[i] != '}' {
		if raw[i] != '"' {
			return li
		}
		end := strEnd(raw, i)
		if end < 0 {
			return li
		}
		name := raw[i+1 : end]
		if bytes.IndexByte(name, '\\') >= 0 {
			return li // an escaped name: leave it to the full decoder
		}
		i = skipWS(raw, end+1)
		if i >= len(raw) || raw[i] != ':' {
			return li
		}
		i = skipWS(raw, i+1)
		vEnd := skipValue(raw, i)
		if vEnd < 0 {
			return li
		}
		v := raw[i:vEnd]
		switch string(name) {
		case "type":
			typ = v
		case "sequence_id":
			seq = v
		case "action_sequence_id":
			aseq = v
		case "exception":
			exc = v
		case "action":
			action = v
		case "key":
			key = v
		case "span_id":
			span = v
		case "value":
			value = v
		}
		i = skipWS(raw, vEnd)
		if i < len(raw) && raw[i] == ',' {
			i = skipWS(raw, i+1)
			if i < len(raw) && raw[i] == '}' {
				return li // a trailing comma
			}
		} else if i >= len(raw) || raw[i] != '}' {
			return li
		}
	}
	if i >= len(raw) || skipWS(raw, i+1) != len(raw) {
		return li
	}
	if len(typ) < 2 || typ[0] != '"' || bytes.IndexByte(typ, '\\') >= 0 {
		return li
	}
	li.kind = trackfile.Kind(typ[1 : len(typ)-1])
	id := aseq
	if li.kind == trackfile.BeginEntry || li.kind == trackfile.EndEntry {
		id = seq
		li.failed = len(exc) > 0 && string(exc) != "null"
		if li.kind == trackfile.BeginEntry && len(action) >= 2 && action[0] == '"' {
			if bytes.IndexByte(action, '\\') < 0 {
				li.action = string(action[1 : len(action)-1])
			} else {
				var a string // not &li.action, which would move li to the heap
				_ = json.Unmarshal(action, &a)
				li.action = a
			}
		}
	}
	if li.kind == trackfile.Attribute {
		li.interrupt = string(key) == `"interrupt"` && (len(span) == 0 || string(span) == "null" || string(span) == `""`)
		if len(key) >= 2 && key[0] == '"' {
			var k usageKey
			if bytes.IndexByte(key, '\\') < 0 {
				if bytes.HasPrefix(key, []byte(`"gen_ai.`)) { // no string made for other keys
					k = usageKeyOf(string(key[1 : len(key)-1]))
				}
			} else {
				var name string
				_ = json.Unmarshal(key, &name)
				k = usageKeyOf(name)
			}
			if k != usageNone {
				li.usage, li.value = k, value
			}
		}
	}
	n, err := strconv.Atoi(string(id))
	if err != nil {
		return li
	}
	li.seq, li.ok = n, true
	return li
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// strEnd returns the index of the quote closing the string that starts at
// b[i], or -1.
func strEnd(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// The quote is escaped when an odd number of backslashes precede it.
		k := i - 1
		for k >= 0 && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i
		}
		i++
	}
}

// skipValue returns the index just after the JSON value that starts at
// b[i], or -1 when it is malformed. Objects and arrays are matched by their
// brackets, not checked member by member.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		e := strEnd(b, i)
		if e < 0 {
			return -1
		}
		return e + 1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				e := strEnd(b, i)
				if e < 0 {
					return -1
				}
				i = e
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	start := i
	for i < len(b) && (b[i] == '-' || b[i] == '+' || b[i] == '.' || (b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z')) {
		i++
	}
	if i == start {
		return -1
	}
	return i
}
