package burr_test

import (
	"context"
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/burrgo/burr"
)

func stateJSON(t *testing.T, s burr.State) string {
	t.Helper()
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Burr keeps __SEQUENCE_ID and __PRIOR_STEP in its state dict where they were
// first inserted: the sequence id before the first action runs (after the
// initial keys), the prior step after the first action's writes. Later keys
// follow them. The demo chatbot logs start {"__SEQUENCE_ID":0,"chat_history":…}.
func TestInternalKeysWhereBurrPutsThem(t *testing.T) {
	ctx := context.Background()
	first := burr.NewAction("first", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("x", 1), nil
	}, burr.Writes("x"))
	second := burr.NewAction("second", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("y", 2), nil
	}, burr.Writes("y"))
	for _, c := range []struct {
		name  string
		state burr.State
		want  []string
	}{
		{"empty", burr.State{},
			[]string{`{"__SEQUENCE_ID":0,"x":1,"__PRIOR_STEP":"first"}`, `{"__SEQUENCE_ID":1,"x":1,"__PRIOR_STEP":"second","y":2}`}},
		{"with initial keys", burr.State{}.Set("count_to", 10).Set("counter", 0),
			[]string{`{"count_to":10,"counter":0,"__SEQUENCE_ID":0,"x":1,"__PRIOR_STEP":"first"}`,
				`{"count_to":10,"counter":0,"__SEQUENCE_ID":1,"x":1,"__PRIOR_STEP":"second","y":2}`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			app, err := burr.New(ctx, burr.WithActions(first, second), burr.WithTransitions(burr.From("first").To("second")),
				burr.WithState(c.state), burr.WithEntrypoint("first"))
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range c.want {
				res, err := app.Step(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := stateJSON(t, res.State); got != want {
					t.Errorf("step %d: state %s\nwant %s", i, got, want)
				}
			}
		})
	}
	// WithSequenceID sets the sequence id at build, after the initial keys.
	app, err := burr.New(ctx, burr.WithActions(first, second), burr.WithTransitions(burr.From("first").To("second")),
		burr.WithState(burr.State{}.Set("a", 1)), burr.WithEntrypoint("first"), burr.WithSequenceID(4))
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stateJSON(t, res.State), `{"a":1,"__SEQUENCE_ID":5,"x":1,"__PRIOR_STEP":"first"}`; got != want {
		t.Errorf("state %s\nwant %s", got, want)
	}
}

// A loaded state keeps its internal keys where the JSON had them, through
// every State operation and through steps.
func TestInternalKeysKeepTheirPlace(t *testing.T) {
	const doc = `{"__SEQUENCE_ID":3,"a":1,"__PRIOR_STEP":"x","b":2}`
	var s burr.State
	if err := s.UnmarshalJSON([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	if got := stateJSON(t, s); got != doc {
		t.Fatalf("written back as %s", got)
	}
	if got := s.Keys(); !reflect.DeepEqual(got, []string{"__SEQUENCE_ID", "a", "__PRIOR_STEP", "b"}) {
		t.Fatalf("Keys = %q", got)
	}
	var all []string
	for k, v := range s.All() {
		all = append(all, k+"="+stateValue(v))
	}
	if want := []string{"__SEQUENCE_ID=3", "a=1", "__PRIOR_STEP=x", "b=2"}; !reflect.DeepEqual(all, want) {
		t.Fatalf("All = %q", all)
	}
	cases := []struct {
		name string
		s    burr.State
		want string
	}{
		{"set existing", s.Set("a", 5).Set(burr.SequenceIDKey, 4), `{"__SEQUENCE_ID":4,"a":5,"__PRIOR_STEP":"x","b":2}`},
		{"set new", s.Set("c", 3), `{"__SEQUENCE_ID":3,"a":1,"__PRIOR_STEP":"x","b":2,"c":3}`},
		{"delete before", s.Delete("a"), `{"__SEQUENCE_ID":3,"__PRIOR_STEP":"x","b":2}`},
		{"delete after", s.Delete("b"), `{"__SEQUENCE_ID":3,"a":1,"__PRIOR_STEP":"x"}`},
		{"delete internal and set again", s.Delete(burr.PriorStepKey).Set(burr.PriorStepKey, "y"), `{"__SEQUENCE_ID":3,"a":1,"b":2,"__PRIOR_STEP":"y"}`},
		{"keep only", s.KeepOnly("b"), `{"__SEQUENCE_ID":3,"__PRIOR_STEP":"x","b":2}`},
		{"subset in the order given", s.Subset("b", burr.PriorStepKey, "a"), `{"b":2,"__PRIOR_STEP":"x","a":1}`},
		{"merge", burr.State{}.Set("z", 0).Set(burr.PriorStepKey, "p").Merge(s),
			`{"z":0,"__PRIOR_STEP":"x","__SEQUENCE_ID":3,"a":1,"b":2}`},
		{"without internal", s.WithoutInternal(), `{"a":1,"b":2}`},
		// Both internal keys at one place: insertion order decides.
		{"seq then prior", burr.State{}.Set("a", 1).Set(burr.SequenceIDKey, 1).Set(burr.PriorStepKey, "p"),
			`{"a":1,"__SEQUENCE_ID":1,"__PRIOR_STEP":"p"}`},
		{"prior then seq", burr.State{}.Set("a", 1).Set(burr.PriorStepKey, "p").Set(burr.SequenceIDKey, 1),
			`{"a":1,"__PRIOR_STEP":"p","__SEQUENCE_ID":1}`},
		{"seq deleted and set again", burr.State{}.Set(burr.SequenceIDKey, 1).Set(burr.PriorStepKey, "p").
			Delete(burr.SequenceIDKey).Set(burr.SequenceIDKey, 2), `{"__PRIOR_STEP":"p","__SEQUENCE_ID":2}`},
		{"prior deleted and set again", burr.State{}.Set(burr.PriorStepKey, "p").Set(burr.SequenceIDKey, 1).
			Delete(burr.PriorStepKey).Set(burr.PriorStepKey, "q"), `{"__SEQUENCE_ID":1,"__PRIOR_STEP":"q"}`},
		{"entry between them deleted", burr.State{}.Set(burr.PriorStepKey, "p").Set("a", 1).Set(burr.SequenceIDKey, 1).
			Delete("a").Set("b", 2), `{"__PRIOR_STEP":"p","__SEQUENCE_ID":1,"b":2}`},
		{"entry between them deleted, other order", burr.State{}.Set(burr.SequenceIDKey, 1).Set("a", 1).Set(burr.PriorStepKey, "p").
			Delete("a").Set(burr.SequenceIDKey, 3), `{"__SEQUENCE_ID":3,"__PRIOR_STEP":"p"}`},
	}
	for _, c := range cases {
		if got := stateJSON(t, c.s); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
		if got := c.s.Len(); got != len(c.s.Keys()) {
			t.Errorf("%s: Len %d, %d keys", c.name, got, len(c.s.Keys()))
		}
	}

	// Resumed from that state, steps keep the places too.
	ctx := context.Background()
	store := newFakeStore()
	store.records = append(store.records, burr.Record{StepRef: burr.AppRef{AppID: "app"}.At(3), Position: "x", State: s, Status: burr.StatusCompleted})
	x := burr.NewAction("x", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("b", 20).Set("c", 30), nil
	}, burr.Writes("b", "c"))
	app, err := burr.New(ctx, burr.WithActions(x), burr.WithTransitions(burr.From("x").To("x")), burr.WithAppID("app"),
		burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("x")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stateJSON(t, res.State), `{"__SEQUENCE_ID":4,"a":1,"__PRIOR_STEP":"x","b":20,"c":30}`; got != want {
		t.Errorf("after a step: %s\nwant %s", got, want)
	}
}

// As Python Burr's test_application_builder_initialize_fork_app_id_happy_pth: a
// loaded state without internal keys gets __PRIOR_STEP, then __SEQUENCE_ID.
func TestInitializeInternalKeyOrder(t *testing.T) {
	store := newFakeStore()
	store.records = append(store.records, burr.Record{StepRef: burr.AppRef{AppID: "old"}.At(5), Position: "counter",
		State: burr.State{}.Set("count", 5), Status: burr.StatusCompleted})
	app, err := burr.New(context.Background(), burr.WithActions(counterAction("counter")),
		burr.WithTransitions(burr.From("counter").To("counter")), burr.WithAppID("new"),
		burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.ForkFrom(burr.AppRef{AppID: "old"}.At(burr.Latest)), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stateJSON(t, app.State()), `{"count":5,"__PRIOR_STEP":"counter","__SEQUENCE_ID":5}`; got != want {
		t.Errorf("state %s\nwant %s", got, want)
	}
}

func stateValue(v any) string {
	b, _ := json.Marshal(v)
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// A stored state is never null: null is a damaged record, not an empty state
// (which would silently lose a conversation).
func TestStateNullIsNotAState(t *testing.T) {
	for doc, kind := range map[string]string{`null`: "null", ` null `: "null", `[]`: "an array", `"x"`: "a string", `0`: "a number"} {
		s := burr.State{}.Set("kept", 1)
		err := s.UnmarshalJSON([]byte(doc))
		wantErrContains(t, err, "want a JSON object", kind)
		if s.Value("kept") != 1 {
			t.Errorf("%s: the state was changed by a failed decode", doc)
		}
	}
	if err := json.Unmarshal([]byte(`{"state":null}`), &struct{ State burr.State }{}); err == nil {
		t.Error("encoding/json decoded a null state")
	}
}

// Integers beyond int64 (Python's ints have no limit) and numbers beyond
// float64 keep their exact text, instead of becoming a float or an infinity.
func TestStateNumbersBeyondGo(t *testing.T) {
	const doc = `{"u":18446744073709551615,"neg":-9223372036854775809,"huge":1e999,"max":9223372036854775807}`
	var s burr.State
	if err := s.UnmarshalJSON([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	if got := stateJSON(t, s); got != doc {
		t.Fatalf("written back as %s", got)
	}
	if s.Value("u") != json.Number("18446744073709551615") || s.Value("max") != math.MaxInt64 {
		t.Fatalf("u = %#v, max = %#v", s.Value("u"), s.Value("max"))
	}
	if v, err := burr.Key[uint64]("u").Get(s); err != nil || v != math.MaxUint64 {
		t.Errorf("Key[uint64] = %v, %v", v, err)
	}
	if v, err := burr.Key[*big.Int]("neg").Get(s); err != nil || v.String() != "-9223372036854775809" {
		t.Errorf("Key[*big.Int] = %v, %v", v, err)
	}
	if v, err := burr.Key[json.Number]("huge").Get(s); err != nil || v != "1e999" {
		t.Errorf("Key[json.Number] = %v, %v", v, err)
	}
	for _, c := range []struct {
		err  error
		want []string
	}{
		{err1(burr.Key[int]("u").Get(s)), []string{`"u"`, "18446744073709551615 overflows int"}},
		{err1(burr.Key[int64]("neg").Get(s)), []string{`"neg"`, "-9223372036854775809 overflows int64"}},
		{err1(burr.Key[uint64]("neg").Get(s)), []string{"negative"}},
		{err1(burr.Key[float64]("u").Get(s)), []string{"18446744073709551615 loses precision as float64"}},
		{err1(burr.Key[float64]("huge").Get(s)), []string{`"huge"`, "1e999 overflows float64"}},
		{err1(burr.Key[string]("u").Get(s)), []string{"is a number"}},
		{err1(s.Increment("u", 1)), []string{`"u"`, "an integer that fits int", "18446744073709551615"}},
		{err1(s.Increment("max", 1)), []string{`"max"`, "overflows"}},
		{err1(burr.State{}.Set("n", uint64(math.MaxUint64)).Increment("n", 1)), []string{`"n"`, "fits int"}},
	} {
		wantErrContains(t, c.err, c.want...)
	}
	if v, err := burr.Key[float64]("f").Get(burr.State{}.Set("f", json.Number("0.1"))); err != nil || v != 0.1 {
		t.Errorf("Key[float64] of json.Number 0.1 = %v, %v", v, err)
	}
}

func err1[T any](_ T, err error) error { return err }

// One rule for non-finite numbers: written as null, read (Python's literals)
// as null.
func TestStateNonFinite(t *testing.T) {
	s := burr.State{}.Set("nan", math.NaN()).Set("inf", math.Inf(-1)).Set("l", []any{math.Inf(1)}).
		Set("m", map[string]any{"x": float32(math.NaN())})
	if got, want := stateJSON(t, s), `{"nan":null,"inf":null,"l":[null],"m":{"x":null}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// An action cannot change the internal keys; one that drops them gets them
// back where they were.
func TestActionDroppingInternalKeys(t *testing.T) {
	ctx := context.Background()
	drop := burr.NewAction("drop", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.WithoutInternal().Set("x", 1), nil
	}, burr.Writes("x"))
	app, err := burr.New(ctx, burr.WithActions(drop), burr.WithTransitions(burr.From("drop").To("drop")),
		burr.WithState(burr.State{}.Set("a", 0)), burr.WithEntrypoint("drop"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`{"a":0,"__SEQUENCE_ID":0,"x":1,"__PRIOR_STEP":"drop"}`, `{"a":0,"__SEQUENCE_ID":1,"x":1,"__PRIOR_STEP":"drop"}`} {
		res, err := app.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := stateJSON(t, res.State); got != want {
			t.Errorf("step %d: %s\nwant %s", i, got, want)
		}
	}
}
