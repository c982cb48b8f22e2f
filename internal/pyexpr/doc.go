// Package pyexpr compiles and evaluates Python expressions over Go values:
// the language of Burr's expr() conditions, which read the application's
// state as Python locals.
//
// [Compile] parses with Python's grammar and lexical rules and refuses,
// with the position, anything outside the subset below or anything it
// would read otherwise than Python does; it never guesses. A [Program]
// evaluates with Python's semantics by walking the syntax tree; it is
// immutable and safe for concurrent use, and evaluating a comparison of
// ints, strings, bools or None read from state allocates nothing.
//
// # Accepted
//
//   - Literals: ints in every form Python writes them (1_000, 0x_ff, 0o17,
//     0b1010; any size), floats (1., .5, 1e-3, 1_0.5; 1e999 is inf),
//     strings in single, double or triple quotes with the r and u prefixes,
//     Python's escapes (\n \t \\ \' \" \a \b \f \v \ooo \xhh \uhhhh
//     \Uhhhhhhhh, backslash-newline; an unknown escape such as \d is kept,
//     as Python keeps it), adjacent strings concatenated; True, False, None.
//   - Names: Python identifiers, non-ASCII ones normalised to NFKC as Python
//     does. Keywords are not names; soft keywords (match, case, type, _) are.
//   - Boolean operators and, or, not, with Python's semantics: and/or
//     short-circuit and return an operand, not a bool.
//   - Comparisons == != < <= > >= in, not in, is, is not, chained (0 < x < 10
//     evaluates x once).
//   - Arithmetic + - * / // % ** and unary - + ~, bitwise & | ^ << >> on
//     ints, with Python's semantics (see below); | & - ^ on sets.
//   - Conditional expressions a if c else b.
//   - Subscripts x[i] (negative indices count from the end), slices
//     x[lo:hi:step] on lists, tuples and strings, x[i, j] (a tuple key).
//   - Calls of the builtins abs, all, any, bool, float, int, len, max, min,
//     str and sum (see [Builtins]), with positional arguments.
//   - Attributes a.b: the field b of a Go struct (by its JSON name, its Go
//     name, or its Go name in any case) or the key "b" of a map with string
//     keys. Burr's state holds Python objects where a Go state holds structs
//     or maps, so messages[-1].content reads what Burr reads.
//   - List, tuple, dict and set displays: [a, b], (a,), (), {k: v}, {a, b},
//     trailing commas, and a tuple without parentheses at the top (a, b).
//   - Parentheses, comments (# to the end of the line), line breaks inside
//     brackets, backslash continuation, leading blanks (stripped, as eval()
//     strips them).
//
// # Refused when compiled
//
// Assignment (=, +=, :=), lambda, comprehensions and generator expressions
// (Burr evaluates their body in a scope that cannot see the state, so they
// fail in Burr too), yield, await, starred and keyword arguments, **
// unpacking in displays, Ellipsis, f-strings, bytes, complex literals, \N{}
// escapes, surrogate escapes, statements and ';', '@', method calls
// (x.lower()), calls of anything but the builtins above, extended slicing
// (a[1:2, 3]), is and is not with a number or string literal (CPython warns
// that the answer depends on how it stores values), decimal int literals of
// more than 4300 digits (as CPython), and what is not Python: && || ! <> and
// any other character or token Python does not know. An unterminated string,
// an unclosed bracket, a misplaced underscore in a number or a leading zero
// are errors, as they are in Python.
//
// # Values
//
// Eval reads Go values as Python values: nil is None; bool is bool; every
// Go int and uint kind, *big.Int and json.Number integers are int (of any
// size); float32, float64 and json.Number fractions are float; string is str;
// []any, other slices and arrays are lists; map[string]any and other maps
// are dicts; named types follow their underlying kind; a nil pointer is None
// and a pointer to a non-struct is what it points to. Other values (structs,
// pointers to structs, funcs, …) are objects: they can be compared with ==
// (reflect.DeepEqual), tested with is, read with attributes, and are true.
//
// Arithmetic is Python's: ints never overflow (they grow past 64 bits);
// / always gives a float, correctly rounded even for large ints; // and %
// floor toward negative infinity, the result of % taking the divisor's sign,
// for ints and floats alike (following CPython's float code, signed zeros and
// infinities included); ** of ints is an int for a non-negative exponent and
// a float otherwise; ints and floats compare exactly (2**53 + 1 != 2.0**53);
// bool is an int (True + True == 2); str and list + and * concatenate and
// repeat. Errors are raised where Python raises them, with Python's
// exception name and message: TypeError for '<' between str and int,
// ZeroDivisionError, IndexError, KeyError, ValueError, OverflowError.
//
// "is" is identity as far as Go values have one: None, True and False are
// singletons; numbers and strings are the same object when they have the
// same type and value; lists, dicts and objects are the same when they are
// the same Go slice, map or pointer; lists, dicts and sets the expression
// builds are new each time (the empty tuple is one object, as in CPython).
//
// # Names, keys and builtins
//
// A name is looked up in the variables given to Eval, in the order of
// [Program.Names]. A variable shadows the builtin of the same name, as
// Python's locals shadow its builtins: with a variable max, max(l) raises
// TypeError: 'int' object is not callable. [Program.Keys] lists the names
// read as values — builtins included, since a builtin used as a value (max
// > 3, len == 0) can only mean a state key — and leaves out builtins that are
// only called. A name that is neither given nor a called builtin raises
// NameError.
//
// # Differences from Python that remain
//
//   - Only the builtins listed above exist; other names are variables.
//     Burr leaves every Python builtin (id, type, input, …) out of a
//     condition's keys; here such names are keys like any other.
//   - a.b reads struct fields and map keys; Python has attributes on objects
//     and none on dicts. Attributes of built-in types (.real, .lower) and
//     method calls are refused or raise AttributeError.
//   - str % args (printf-style formatting) and dict | dict (merge) raise
//     TypeError.
//   - Comprehensions and generator expressions are refused, though Python
//     runs those whose body reads only their own loop variables (Burr
//     evaluates the body in a scope without the state).
//   - Go maps have no order: iterating a Go map, or printing it with str(),
//     visits its keys sorted. Dicts and sets the expression builds keep their
//     insertion order; Python orders a set by hash.
//   - sum() adds floats one by one, as Python 3.11 does; Python 3.12 and
//     later compensate rounding errors.
//   - float ** float uses Go's math.Pow, which may differ from the C
//     library's pow in the last bit for some operands; a negative number
//     raised to a fractional power (complex in Python) raises ValueError.
//   - Strings are Go strings: they cannot hold lone surrogates, so the
//     escapes \ud800–\udfff are refused.
//   - Limits that Python does not have, so that a condition cannot exhaust
//     memory: ints of at most 65,536 bits, and str or list repetition of at
//     most 1 Mi (1,048,576) characters or elements (OverflowError,
//     MemoryError).
//     Nesting is limited to 200 brackets or operators, comparing or printing
//     a value that contains itself raises RecursionError.
//   - "in" on a list compares with ==: a float NaN read from state is not
//     found in a list holding it (CPython finds it by identity).
//   - Identifiers follow Unicode's ID_Start and ID_Continue as Go's tables
//     know them; Python uses XID_Start and XID_Continue, which differ on a
//     handful of characters.
package pyexpr
