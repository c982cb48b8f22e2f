package burr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/burrgo/burr/internal/jsonx"
)

// MarshalJSON encodes the state as a JSON object in key order, internal keys
// last. Integral floats keep ".0" so that they read back as floats.
func (s State) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, 64+32*len(s.entries)))
}

// AppendJSON appends the JSON encoding of the state to buf.
func (s State) AppendJSON(buf []byte) ([]byte, error) {
	start := len(buf)
	buf = append(buf, '{')
	var err error
	for i, e := range s.entries {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonx.AppendString(buf, e.key)
		buf = append(buf, ':')
		if buf, err = jsonx.Append(buf, e.val); err != nil {
			return buf[:start], &KeyError{Key: e.key, Op: "encode", Want: "a JSON-encodable value", Got: typeName(e.val), Err: err}
		}
	}
	if s.hasSeq {
		if len(s.entries) > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `"`+SequenceIDKey+`":`...)
		buf = strconv.AppendInt(buf, int64(s.seq), 10)
	}
	if s.hasPrev {
		if len(s.entries) > 0 || s.hasSeq {
			buf = append(buf, ',')
		}
		buf = append(buf, `"`+PriorStepKey+`":`...)
		buf = jsonx.AppendString(buf, s.prior)
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON decodes a JSON object into the state, keeping the key order of
// the document. Integers decode as int, other numbers as float64, objects as
// map[string]any and arrays as []any; typed Keys convert them back. The NaN
// and Infinity literals Python writes are read as null.
func (s *State) UnmarshalJSON(b []byte) error {
	err := s.unmarshal(b)
	if err != nil {
		// Python's json.dumps writes NaN and infinities as bare literals;
		// read them as null rather than rejecting the whole state.
		if fixed := jsonx.ReplaceNonFinite(b); fixed != nil {
			return s.unmarshal(fixed)
		}
	}
	return err
}

func (s *State) unmarshal(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("burr: decoding state: %w", err)
	}
	if tok == nil {
		*s = State{}
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("burr: decoding state: want a JSON object, have %v", tok)
	}
	var out State
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("burr: decoding state: %w", err)
		}
		key := kt.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("burr: decoding state key %q: %w", key, err)
		}
		v = jsonx.Normalize(v)
		if isInternal(key) {
			if out, err = out.setInternal(key, v); err != nil {
				return err
			}
			continue
		}
		if i := out.find(key); i >= 0 {
			out.entries[i].val = v
			continue
		}
		out.entries = append(out.entries, entry{key: key, val: v, gen: nextGen()})
		if len(out.entries) > indexThreshold {
			if out.idx == nil {
				out.idx = buildIndex(out.entries)
			} else {
				out.idx[key] = len(out.entries) - 1
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("burr: decoding state: %w", err)
	}
	*s = out
	return nil
}
