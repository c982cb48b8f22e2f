package burr

// Key is a typed name for a state key. It reads and writes the value as T:
//
//	var count = burr.Key[int]("count")
//	n, err := count.Get(s)
//	s = count.Set(s, n+1)
//
// Reading converts between numeric types when no precision is lost, and decodes
// values that came back from JSON (maps and lists) into T, so a state loaded
// from a persister reads the same as the state that was saved. A number
// loaded from JSON that no int or float64 holds exactly (an integer beyond
// int64, such as Python's 18446744073709551615, or 1e999) is kept as a
// json.Number: it reads as any T that holds its value exactly (uint64,
// json.Number, *big.Int) and is an error naming the value for any other T.
type Key[T any] string

// Get returns the value under the key as T. A missing key or a value that
// cannot be read as T is a [*KeyError] naming the key and both types.
func (k Key[T]) Get(s State) (T, error) {
	v, ok := s.Get(string(k))
	if !ok {
		var zero T
		return zero, &KeyError{Key: string(k), Op: "get", Want: typeOf[T](), Got: "missing key", Missing: true}
	}
	out, err := convertTo[T](v)
	if err != nil {
		return out, &KeyError{Key: string(k), Op: "get", Want: typeOf[T](), Got: typeName(v), Err: err}
	}
	return out, nil
}

// Or returns the value under the key as T, or def when it is missing or of
// another type.
func (k Key[T]) Or(s State, def T) T {
	v, err := k.Get(s)
	if err != nil {
		return def
	}
	return v
}

// Set returns a [State] with the key set to v.
func (k Key[T]) Set(s State, v T) State { return s.Set(string(k), v) }

// Name returns the key's name.
func (k Key[T]) Name() string { return string(k) }
