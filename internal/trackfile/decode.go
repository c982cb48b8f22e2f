package trackfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Why a line is not a line of the format; see the package's reading rules.
var (
	ErrInvalidJSON = errors.New("invalid JSON")
	ErrNotObject   = errors.New("not a JSON object")
	ErrMissingType = errors.New("missing type")
	ErrUnknownKind = errors.New("unknown line type")
)

// FieldError is a field of a line, or of a file, that is missing or cannot be
// read. As the error of DecodeLine it is an identifying field, without which
// the line is skipped; in Line.Problems it is another field, read as its zero
// value.
type FieldError struct {
	Kind  Kind   // the kind of the line or object
	Field string // its JSON name; "child.app_id" for a field of a nested object
	Value string // the field's JSON text, shortened; "" when the field is missing
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: missing %s", e.Kind, e.Field)
	}
	return fmt.Sprintf("%s: invalid %s %s", e.Kind, e.Field, e.Value)
}

// Line is one decoded line of log.jsonl or children.jsonl.
type Line struct {
	Kind Kind
	// Model points to the kind's model: *BeginEntryModel for BeginEntry,
	// *EndEntryModel for EndEntry, *BeginSpanModel, *EndSpanModel,
	// *AttributeModel, *InitializeStreamModel for BeginStream,
	// *FirstItemStreamModel, *EndStreamModel, and *ChildApplicationModel for
	// ChildApplication.
	Model any
	// Problems lists the fields that are missing or could not be read; they
	// hold their zero values, and the line counts nonetheless.
	Problems []FieldError
}

// Problem describes the line's problems in one text, "" when it has none.
func (l *Line) Problem() string {
	var b strings.Builder
	for i := range l.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(l.Problems[i].Error())
	}
	return b.String()
}

// lineModels maps the kinds of lines to their models.
var lineModels = map[Kind]reflect.Type{
	BeginEntry:       reflect.TypeFor[BeginEntryModel](),
	EndEntry:         reflect.TypeFor[EndEntryModel](),
	BeginSpan:        reflect.TypeFor[BeginSpanModel](),
	EndSpan:          reflect.TypeFor[EndSpanModel](),
	Attribute:        reflect.TypeFor[AttributeModel](),
	BeginStream:      reflect.TypeFor[InitializeStreamModel](),
	FirstItemStream:  reflect.TypeFor[FirstItemStreamModel](),
	EndStream:        reflect.TypeFor[EndStreamModel](),
	ChildApplication: reflect.TypeFor[ChildApplicationModel](),
}

// identifying lists, per kind, the fields without which a line is skipped.
var identifying = map[Kind][]string{
	BeginEntry:       {"sequence_id"},
	EndEntry:         {"sequence_id"},
	BeginSpan:        {"action_sequence_id", "span_id"},
	EndSpan:          {"action_sequence_id", "span_id"},
	Attribute:        {"action_sequence_id"},
	BeginStream:      {"action_sequence_id"},
	FirstItemStream:  {"action_sequence_id"},
	EndStream:        {"action_sequence_id"},
	ChildApplication: {"child", "child.app_id"},
}

// ModelOf returns a new model of a kind of line (a pointer, as in
// Line.Model), or nil for a kind that is not a kind of line.
func ModelOf(k Kind) any {
	t, ok := lineModels[k]
	if !ok {
		return nil
	}
	return reflect.New(t).Interface()
}

// FieldNames returns the JSON names of a model's fields in the order Burr
// writes them; model is a model or a pointer to one.
func FieldNames(model any) []string {
	t := reflect.TypeOf(model)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for _, f := range fieldsOf(t) {
		names = append(names, f.name)
	}
	return names
}

// MayBe reports whether raw can be a line of kind k. It is a fast test to skip
// lines before decoding them: false means that DecodeLine would not return
// that kind; true means nothing.
func MayBe(raw []byte, k Kind) bool {
	// Every spelling of the kind's name but the plain one has an escape.
	return bytes.Contains(raw, []byte(k)) || bytes.IndexByte(raw, '\\') >= 0
}

// DecodeLine decodes a line of log.jsonl or children.jsonl by the package's
// reading rules. It returns ErrInvalidJSON, ErrNotObject, ErrMissingType,
// ErrUnknownKind (wrapped) or a *FieldError naming a missing identifying field
// for a line to skip; a blank line is ErrInvalidJSON too.
func DecodeLine(raw []byte) (Line, error) {
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return Line{}, ErrInvalidJSON
	}
	if raw[0] != '{' {
		return Line{}, ErrNotObject
	}
	var stack [12]member
	ms := members(raw, stack[:0])
	typ, ok := lookup(ms, "type")
	if !ok || typ[0] != '"' {
		return Line{}, ErrMissingType
	}
	name, err := unquote(typ)
	if err != nil {
		return Line{}, ErrMissingType
	}
	kind := Kind(name)
	t, ok := lineModels[kind]
	if !ok {
		return Line{}, fmt.Errorf("%w %q", ErrUnknownKind, name)
	}
	v := reflect.New(t)
	var problems []FieldError
	decodeObject(v.Elem(), ms, kind, "", &problems)
	for _, id := range identifying[kind] {
		for i := range problems {
			if problems[i].Field == id {
				return Line{}, &problems[i]
			}
		}
	}
	return Line{Kind: kind, Model: v.Interface(), Problems: problems}, nil
}

// Decode decodes a whole JSON object, such as graph.json or metadata.json,
// into model, a pointer to one of the models, by the package's reading rules.
// It returns the fields it could not read, which hold their zero values, or
// ErrInvalidJSON or ErrNotObject.
func Decode(data []byte, model any) ([]FieldError, error) {
	data = bytes.TrimSpace(data)
	if !json.Valid(data) {
		return nil, ErrInvalidJSON
	}
	if data[0] != '{' {
		return nil, ErrNotObject
	}
	v := reflect.ValueOf(model).Elem()
	var problems []FieldError
	decodeObject(v, members(data, nil), kindOf(v.Type()), "", &problems)
	return problems, nil
}

// kindOf is the kind of a model type, for messages.
func kindOf(t reflect.Type) Kind {
	for k, m := range lineModels {
		if m == t {
			return k
		}
	}
	switch t {
	case reflect.TypeFor[ApplicationModel]():
		return Application
	case reflect.TypeFor[ApplicationMetadataModel]():
		return ApplicationMetadata
	case reflect.TypeFor[ActionModel]():
		return Action
	case reflect.TypeFor[TransitionModel]():
		return Transition
	case reflect.TypeFor[PointerModel]():
		return Pointer
	}
	return Kind(t.Name())
}

// How a field's JSON value is read.
type fieldKind uint8

const (
	fString      fieldKind = iota // string or Kind
	fInt                          // int: a JSON integer
	fStringPtr                    // *string: a string or null
	fIntPtr                       // *int: an integer or null
	fRaw                          // json.RawMessage: any JSON value
	fTime                         // Time: a timestamp string
	fStrings                      // []string
	fStruct                       // a nested model
	fStructPtr                    // a nested model or null
	fStructSlice                  // a list of nested models
)

type fieldInfo struct {
	name     string
	index    int
	kind     fieldKind
	optional bool // may be missing or null
}

var fieldCache sync.Map // reflect.Type → []fieldInfo

// fieldsOf lists the JSON fields of a model type, in declaration order.
func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var out []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, fieldInfo{name: name, index: i, kind: fieldKindOf(sf.Type), optional: sf.Tag.Get("trackfile") == "optional"})
	}
	fieldCache.Store(t, out)
	return out
}

func fieldKindOf(t reflect.Type) fieldKind {
	switch {
	case t == reflect.TypeFor[Time]():
		return fTime
	case t == reflect.TypeFor[json.RawMessage]():
		return fRaw
	case t.Kind() == reflect.String:
		return fString
	case t.Kind() == reflect.Int:
		return fInt
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
		return fStringPtr
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Int:
		return fIntPtr
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		return fStructPtr
	case t.Kind() == reflect.Struct:
		return fStruct
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return fStrings
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return fStructSlice
	}
	panic("trackfile: no decoding for field type " + t.String())
}

// decodeObject fills the model v from the members of a JSON object,
// appending a problem for each field it cannot read. prefix is the path of
// a nested object ("child.").
func decodeObject(v reflect.Value, ms []member, kind Kind, prefix string, problems *[]FieldError) {
	for _, f := range fieldsOf(v.Type()) {
		raw, ok := lookup(ms, f.name)
		if f.optional && (!ok || string(raw) == "null") {
			continue
		}
		if !ok {
			*problems = append(*problems, FieldError{Kind: kind, Field: prefix + f.name})
			continue
		}
		if !setField(v.Field(f.index), f.kind, raw, kind, prefix+f.name+".", problems) {
			*problems = append(*problems, FieldError{Kind: kind, Field: prefix + f.name, Value: shorten(raw)})
		}
	}
}

// setField reads raw into the field fv; it reports whether raw has the
// field's type. Problems inside a nested object are appended to problems.
func setField(fv reflect.Value, k fieldKind, raw []byte, kind Kind, prefix string, problems *[]FieldError) bool {
	null := string(raw) == "null"
	switch k {
	case fString:
		s, err := unquote(raw)
		if err != nil {
			return false
		}
		fv.SetString(s)
	case fInt:
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return false
		}
		fv.SetInt(int64(n))
	case fStringPtr:
		if null {
			return true
		}
		s, err := unquote(raw)
		if err != nil {
			return false
		}
		fv.Set(reflect.ValueOf(&s))
	case fIntPtr:
		if null {
			return true
		}
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return false
		}
		fv.Set(reflect.ValueOf(&n))
	case fRaw:
		fv.SetBytes(bytes.Clone(raw))
	case fTime:
		var t Time
		if null || t.UnmarshalJSON(raw) != nil {
			return false
		}
		fv.Set(reflect.ValueOf(t))
	case fStrings:
		var list []string
		if null || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
			return false
		}
		fv.Set(reflect.ValueOf(list))
	case fStruct:
		if raw[0] != '{' {
			return false
		}
		decodeObject(fv, members(raw, nil), kind, prefix, problems)
	case fStructPtr:
		if null {
			return true
		}
		if raw[0] != '{' {
			return false
		}
		p := reflect.New(fv.Type().Elem())
		decodeObject(p.Elem(), members(raw, nil), kind, prefix, problems)
		fv.Set(p)
	case fStructSlice:
		if raw[0] != '[' {
			return false
		}
		elems := elements(raw)
		list := reflect.MakeSlice(fv.Type(), len(elems), len(elems))
		for i, e := range elems {
			if e[0] != '{' {
				*problems = append(*problems, FieldError{Kind: kind, Field: fmt.Sprintf("%s%d", prefix, i), Value: shorten(e)})
				continue
			}
			decodeObject(list.Index(i), members(e, nil), kind, fmt.Sprintf("%s%d.", prefix, i), problems)
		}
		fv.Set(list)
	}
	return true
}

// shorten returns the JSON text of a value for a message, cut to 40 bytes.
func shorten(raw []byte) string {
	const n = 40
	if len(raw) <= n {
		return string(raw)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return string(raw[:cut]) + "…"
}

// unquote returns the string a JSON string value holds.
func unquote(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// member is one member of a JSON object: its name, unescaped, and its value.
type member struct {
	name  string
	value []byte
}

// lookup returns the value of the last member called name.
func lookup(ms []member, name string) ([]byte, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].name == name {
			return ms[i].value, true
		}
	}
	return nil, false
}

// members lists the members of obj, a valid JSON object, appending them to
// dst.
func members(obj []byte, dst []member) []member {
	i := skipSpace(obj, 1) // after '{'
	for i < len(obj) && obj[i] != '}' {
		end := stringEnd(obj, i)
		name := obj[i+1 : end]
		var s string
		if bytes.IndexByte(name, '\\') >= 0 {
			s, _ = unquote(obj[i : end+1])
		} else {
			s = string(name)
		}
		i = skipSpace(obj, end+1) + 1 // the ':'
		i = skipSpace(obj, i)
		vEnd := valueEnd(obj, i)
		dst = append(dst, member{name: s, value: obj[i:vEnd]})
		i = skipSpace(obj, vEnd)
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return dst
}

// elements lists the elements of arr, a valid JSON array.
func elements(arr []byte) [][]byte {
	var out [][]byte
	i := skipSpace(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		end := valueEnd(arr, i)
		out = append(out, arr[i:end])
		i = skipSpace(arr, end)
		if arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index of the quote that closes the string starting
// at b[i].
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i
}

// valueEnd returns the index just after the valid JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i) + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}
