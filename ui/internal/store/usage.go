package store

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// The attributes the UI reads token usage from: the names Burr's own UI
// reads, which package llm's chat action logs on its step.
const (
	AttrPromptTokens     = "gen_ai.usage.prompt_tokens"
	AttrCompletionTokens = "gen_ai.usage.completion_tokens"
	AttrResponseModel    = "gen_ai.response.model"
	AttrRequestModel     = "gen_ai.request.model"
)

// Usage is the token usage logged on one step, or summed over the steps
// of one model.
type Usage struct {
	Model            string // gen_ai.response.model, else gen_ai.request.model; "" when neither was logged
	PromptTokens     int64
	CompletionTokens int64
	// HasTokens reports that a token count was logged.
	HasTokens bool
}

// Total is PromptTokens plus CompletionTokens.
func (u Usage) Total() int64 { return u.PromptTokens + u.CompletionTokens }

// usageKey tells which usage attribute an attribute line holds.
type usageKey uint8

const (
	usageNone usageKey = iota
	usagePrompt
	usageCompletion
	usageResponseModel
	usageRequestModel
)

func usageKeyOf(key string) usageKey {
	switch key {
	case AttrPromptTokens:
		return usagePrompt
	case AttrCompletionTokens:
		return usageCompletion
	case AttrResponseModel:
		return usageResponseModel
	case AttrRequestModel:
		return usageRequestModel
	}
	return usageNone
}

// stepUsage gathers the usage attributes of one step. Token counts logged
// more than once (several calls in one step) are summed.
type stepUsage struct {
	Usage
	requestModel string
}

// add reads the value of one usage attribute; values of the wrong type
// (a count that is not a non-negative integer, a model that is not a
// string) are ignored.
func (u *stepUsage) add(k usageKey, value []byte) {
	switch k {
	case usagePrompt, usageCompletion:
		n, ok := tokenCount(value)
		if !ok {
			return
		}
		if k == usagePrompt {
			u.PromptTokens += n
		} else {
			u.CompletionTokens += n
		}
		u.HasTokens = true
	case usageResponseModel, usageRequestModel:
		dst := &u.Model
		if k == usageRequestModel {
			dst = &u.requestModel
		}
		if len(value) > 2 && value[0] == '"' && value[len(value)-1] == '"' && bytes.IndexByte(value, '\\') < 0 {
			if *dst != string(value[1:len(value)-1]) { // the same model again makes no string
				*dst = string(value[1 : len(value)-1])
			}
			return
		}
		var s string
		if json.Unmarshal(value, &s) == nil && s != "" {
			*dst = s
		}
	}
}

func (u *stepUsage) result() Usage {
	out := u.Usage
	if out.Model == "" {
		out.Model = u.requestModel
	}
	return out
}

// tokenCount reads a JSON number that is a non-negative integer: plain
// digits without allocating, other spellings (1e3, 12.0) by the decoder.
func tokenCount(value []byte) (int64, bool) {
	value = bytes.TrimSpace(value)
	if n := len(value); n > 0 && n <= 18 {
		var v int64
		digits := true
		for _, c := range value {
			if c < '0' || c > '9' {
				digits = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if digits {
			return v, true
		}
	}
	var f float64
	if json.Unmarshal(value, &f) != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt64/2 {
		return 0, false
	}
	return int64(f), true
}

// Usage is the token usage the step logged, in its action's attributes
// and its spans'. HasTokens is false when it logged no token count.
func (s *Step) Usage() Usage {
	var u stepUsage
	for _, a := range s.Attributes {
		u.add(usageKeyOf(a.Key), a.Value)
	}
	for _, sp := range s.Spans {
		for _, a := range sp.Attributes {
			u.add(usageKeyOf(a.Key), a.Value)
		}
	}
	return u.result()
}

// addUsage records one usage attribute of step seq, on the step, or
// aside until it begins.
func (x *Index) addUsage(seq int, k usageKey, value []byte) {
	var u *stepUsage
	if st := x.steps[seq]; st != nil {
		if st.usage == nil {
			st.usage = &stepUsage{}
		}
		u = st.usage
	} else {
		if x.orphanUsage == nil {
			x.orphanUsage = map[int]*stepUsage{}
		}
		if u = x.orphanUsage[seq]; u == nil {
			u = &stepUsage{}
			x.orphanUsage[seq] = u
		}
	}
	u.add(k, value)
}

// Usage sums the token usage of the steps of the log by model, ordered by
// model name ("" for steps that logged tokens but no model). Only steps
// that logged a token count are counted. The sums cover the whole log:
// the Index reads every usage attribute as it indexes.
func (x *Index) Usage() []Usage {
	byModel := map[string]*Usage{}
	for _, st := range x.steps {
		if st.usage == nil {
			continue
		}
		u := st.usage.result()
		if !u.HasTokens {
			continue
		}
		m := byModel[u.Model]
		if m == nil {
			m = &Usage{Model: u.Model, HasTokens: true}
			byModel[u.Model] = m
		}
		m.PromptTokens += u.PromptTokens
		m.CompletionTokens += u.CompletionTokens
	}
	out := make([]Usage, 0, len(byModel))
	for _, u := range byModel {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b Usage) int { return strings.Compare(a.Model, b.Model) })
	return out
}
