// Package burrtest turns a step of a tracked run into a test of one action,
// as Burr's "burr-test-case create" does for pytest: a [Case] holds the
// step's input state, inputs, and expected state and result, read from the
// run's log.jsonl (written by the Go tracker or by Python Burr) by
// [FromLog] or by the "burr test-case create" command; [Run] runs an action
// on a Case and [Check] compares what it returns with what the run
// recorded.
package burrtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/burrgo/burr"
)

// Case is one recorded step, the fixture of a test of its action. Its JSON
// form extends Burr's test case ("action", "name", "input_state",
// "expected_state") with the step's inputs and result. Burr's private
// state keys ("__SEQUENCE_ID", "__PRIOR_STEP", …) are left out.
type Case struct {
	Action string `json:"action"`
	Name   string `json:"name"`
	// InputState is the state the step started from: the state the
	// previous step ended with.
	InputState json.RawMessage `json:"input_state"`
	// Inputs are the step's inputs (an object).
	Inputs json.RawMessage `json:"inputs"`
	// ExpectedState is the state the step ended with; null for a step that
	// failed.
	ExpectedState json.RawMessage `json:"expected_state"`
	// ExpectedResult is the step's result; null for a step that failed.
	ExpectedResult json.RawMessage `json:"expected_result"`
	// ExpectedError is the error text of a step that failed.
	ExpectedError string `json:"expected_error,omitempty"`
	// Source names the run and step the case was taken from.
	Source Source `json:"source"`
}

// Source names the step a Case was taken from.
type Source struct {
	Project  string `json:"project,omitempty"`
	AppID    string `json:"app_id,omitempty"`
	Sequence int    `json:"sequence_id"`
}

// ReadFile reads the cases of a fixture file: a JSON array of cases.
func ReadFile(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []Case
	if err := json.Unmarshal(data, &cases); err != nil {
		return nil, fmt.Errorf("burrtest: %s: %w", path, err)
	}
	return cases, nil
}

// Find returns the case called name among cases.
func Find(cases []Case, name string) (Case, error) {
	for _, c := range cases {
		if c.Name == name {
			return c, nil
		}
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	return Case{}, fmt.Errorf("burrtest: no case %q (cases: %s)", name, strings.Join(names, ", "))
}

// AddToFile writes c into the fixture file path (a JSON array), replacing
// the case of the same name, creating the file if needed.
func AddToFile(path string, c Case) error {
	cases, err := ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if i := slices.IndexFunc(cases, func(x Case) bool { return x.Name == c.Name }); i >= 0 {
		cases[i] = c
	} else {
		cases = append(cases, c)
	}
	data, err := json.MarshalIndent(cases, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// State returns the case's input state as a burr.State (JSON values:
// numbers are float64, objects map[string]any).
func (c Case) State() (burr.State, error) {
	m, err := object(c.InputState, "input_state")
	if err != nil {
		return burr.State{}, err
	}
	return burr.StateFrom(m), nil
}

func object(raw json.RawMessage, field string) (map[string]any, error) {
	m := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("burrtest: %s is not a JSON object: %w", field, err)
	}
	return m, nil
}

// Run runs action once on the case's input state with its inputs, as a
// one-step application, and returns its result and the state it ended
// with. The action is run as it is: a test stubs what it calls out to
// (a model, a service) the way the action lets it.
func Run(ctx context.Context, action *burr.Action, c Case) (burr.Result, burr.State, error) {
	st, err := c.State()
	if err != nil {
		return nil, burr.State{}, err
	}
	in, err := object(c.Inputs, "inputs")
	if err != nil {
		return nil, burr.State{}, err
	}
	app, err := burr.New(ctx, burr.WithActions(action), burr.WithEntrypoint(action.Name()), burr.WithState(st))
	if err != nil {
		return nil, burr.State{}, err
	}
	var opts []burr.StepOption
	if len(in) > 0 {
		opts = append(opts, burr.WithInputs(in))
	}
	res, err := app.Step(ctx, opts...)
	return res.Result, res.State, err
}

// TB is the part of testing.TB that Check uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check runs action on the case (Run) and reports to t every difference
// with what the run recorded: each state key (Burr's private keys left
// out) and result key whose value differs, compared as JSON, or the error
// when the step failed. It returns the result and state for further
// checks.
func Check(ctx context.Context, t TB, action *burr.Action, c Case) (burr.Result, burr.State) {
	t.Helper()
	res, st, err := Run(ctx, action, c)
	if c.ExpectedError != "" {
		if err == nil {
			t.Errorf("burrtest %s: action %q succeeded; the recorded step failed with %q", c.Name, c.Action, c.ExpectedError)
		}
		return res, st
	}
	if err != nil {
		t.Errorf("burrtest %s: action %q: %v", c.Name, c.Action, err)
		return res, st
	}
	want, err := object(c.ExpectedState, "expected_state")
	if err != nil {
		t.Errorf("burrtest %s: %v", c.Name, err)
		return res, st
	}
	got := map[string]any{}
	for k, v := range st.All() {
		if !strings.HasPrefix(k, "__") {
			got[k] = v
		}
	}
	compare(t, c.Name, "state", got, want)
	if wantRes, err := object(c.ExpectedResult, "expected_result"); err == nil && len(bytes.TrimSpace(c.ExpectedResult)) > 0 && string(bytes.TrimSpace(c.ExpectedResult)) != "null" {
		compare(t, c.Name, "result", map[string]any(res), wantRes)
	}
	return res, st
}

// compare reports the keys of got and want whose JSON values differ.
func compare(t TB, name, what string, got, want map[string]any) {
	t.Helper()
	norm := func(v any) any {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		var out any
		_ = json.Unmarshal(data, &out)
		return out
	}
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			t.Errorf("burrtest %s: %s key %q missing, want %s", name, what, k, js(w))
		case !wok:
			t.Errorf("burrtest %s: %s key %q = %s, not in the recorded %s", name, what, k, js(g), what)
		case !reflect.DeepEqual(norm(g), norm(w)):
			t.Errorf("burrtest %s: %s key %q = %s, want %s", name, what, k, js(g), js(w))
		}
	}
}

func js(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
