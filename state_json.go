package burr

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/burrgo/burr/internal/jsonx"
)

// MarshalJSON encodes the state as a JSON object in key order (see [State]).
// Integral floats keep ".0" so that they read back as floats; NaN and
// infinities, which JSON cannot hold, are written as null; maps that came
// from JSON keep their key order (other maps are written with sorted keys).
func (s State) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, 64+32*len(s.entries)))
}

// AppendJSON appends the JSON encoding of the state to buf.
func (s State) AppendJSON(buf []byte) ([]byte, error) {
	start := len(buf)
	buf = append(buf, '{')
	first := true
	for i := 0; ; i++ {
		if a, b := s.internalAt(i); a != "" {
			buf = s.appendInternal(buf, a, first)
			first = false
			if b != "" {
				buf = s.appendInternal(buf, b, false)
			}
		}
		if i >= len(s.entries) {
			break
		}
		e := &s.entries[i]
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = jsonx.AppendString(buf, e.key)
		buf = append(buf, ':')
		var err error
		if buf, err = jsonx.Append(buf, e.val); err != nil {
			return buf[:start], &KeyError{Key: e.key, Op: "encode", Want: "a JSON-encodable value", Got: typeName(e.val), Err: err}
		}
	}
	return append(buf, '}'), nil
}

func (s *State) appendInternal(buf []byte, key string, first bool) []byte {
	if !first {
		buf = append(buf, ',')
	}
	if key == SequenceIDKey {
		buf = append(buf, `"`+SequenceIDKey+`":`...)
		return strconv.AppendInt(buf, int64(s.seq), 10)
	}
	buf = append(buf, `"`+PriorStepKey+`":`...)
	return jsonx.AppendString(buf, s.prior)
}

// UnmarshalJSON decodes a JSON object into the state, keeping the key order
// of the document, internal keys included, and the key order of the objects
// inside it (written back as they were read).
//
// Integers decode as int, and as json.Number (holding the exact digits) when
// they do not fit an int; other numbers decode as float64, and as json.Number
// when they are beyond float64's range (1e999). Objects decode as
// map[string]any and arrays as []any; typed Keys convert them back. The NaN
// and Infinity literals Python's json.dumps writes are read as null.
//
// A document that is not an object is an error, null included: a stored
// state is never null, so null is a damaged record, not an empty state.
func (s *State) UnmarshalJSON(b []byte) error {
	var out State
	err := jsonx.DecodeObject(b, func(key string, v any) error {
		if isInternal(key) {
			var err error
			out, err = out.setInternal(key, v)
			return err
		}
		if i := out.find(key); i >= 0 {
			out.entries[i].val = v
			return nil
		}
		out.entries = append(out.entries, entry{key: key, val: v, gen: nextGen()})
		if len(out.entries) > indexThreshold {
			if out.idx == nil {
				out.idx = buildIndex(out.entries)
			} else {
				out.idx[key] = len(out.entries)
			}
		}
		return nil
	})
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			return err
		}
		return fmt.Errorf("burr: decoding state: %w", err)
	}
	*s = out
	return nil
}
