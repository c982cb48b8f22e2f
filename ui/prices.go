package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/burrgo/burr/ui/internal/store"
)

// Price is what a model costs, in US dollars per million tokens: Input for
// prompt tokens, Output for completion tokens. In a prices file (see
// [ReadPrices]) it is {"input": 2.5, "output": 10}.
type Price struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
}

// WithPrices makes the application page show what the tokens of each step
// and of each application cost, by the price of the model the step logged
// (gen_ai.response.model, else gen_ai.request.model). Model names are
// matched exactly; steps of a model without a price show their tokens
// only.
func WithPrices(prices map[string]Price) Option {
	return func(s *Server) {
		s.prices = make(map[string]Price, len(prices))
		for m, p := range prices {
			s.prices[m] = p
		}
	}
}

// maxPricesFile bounds the size of a prices file.
const maxPricesFile = 4 << 20

// ReadPrices reads a prices file for [WithPrices]: a JSON object from
// model name to [Price], such as
//
//	{"gpt-4o": {"input": 2.5, "output": 10}, "gpt-4o-mini": {"input": 0.15, "output": 0.6}}
//
// Prices are in US dollars per million tokens, and must be finite and not
// negative. Every error names the file and what is wrong with it.
func ReadPrices(name string) (map[string]Price, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("prices file %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPricesFile+1))
	if err != nil {
		return nil, fmt.Errorf("prices file %s: %w", name, err)
	}
	if len(data) > maxPricesFile {
		return nil, fmt.Errorf("prices file %s: larger than %d bytes", name, maxPricesFile)
	}
	prices, err := parsePrices(data)
	if err != nil {
		return nil, fmt.Errorf("prices file %s: %w", name, err)
	}
	return prices, nil
}

func parsePrices(data []byte) (map[string]Price, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf(`not a JSON object of model name to {"input": USD per 1M tokens, "output": USD per 1M tokens}: %w`, err)
	}
	if raw == nil {
		return nil, errors.New(`not a JSON object of model name to {"input": ..., "output": ...}: null`)
	}
	prices := make(map[string]Price, len(raw))
	for model, v := range raw {
		if strings.TrimSpace(model) == "" {
			return nil, errors.New("empty model name")
		}
		var p struct {
			Input, Output *float64
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf(`model %q: want {"input": USD per 1M tokens, "output": USD per 1M tokens}: %w`, model, err)
		}
		if p.Input == nil || p.Output == nil {
			return nil, fmt.Errorf(`model %q: both "input" and "output" prices are needed`, model)
		}
		if *p.Input < 0 || *p.Output < 0 {
			return nil, fmt.Errorf("model %q: a negative price (input %v, output %v)", model, *p.Input, *p.Output)
		}
		prices[model] = Price{Input: *p.Input, Output: *p.Output}
	}
	return prices, nil
}

// usageView is the tokens and cost of a step or of an application.
type usageView struct {
	Prompt, Completion int64
	HasTokens          bool
	Cost               float64
	HasCost            bool     // every model counted has a price
	Priced             bool     // some tokens have a price
	Unpriced           []string // models counted without a price ("" for none logged)
	Models             []string
}

// Total is the prompt and completion tokens together.
func (v usageView) Total() int64 { return v.Prompt + v.Completion }

// costOf is what u costs at price p.
func costOf(u store.Usage, p Price) float64 {
	return (float64(u.PromptTokens)*p.Input + float64(u.CompletionTokens)*p.Output) / 1e6
}

// usageOf sums the usages (one per model, or one step's) and prices them.
func (s *Server) usageOf(us ...store.Usage) usageView {
	var v usageView
	for _, u := range us {
		if !u.HasTokens {
			continue
		}
		v.HasTokens = true
		v.Prompt += u.PromptTokens
		v.Completion += u.CompletionTokens
		v.Models = append(v.Models, u.Model)
		if p, ok := s.prices[u.Model]; ok && u.Model != "" {
			v.Cost += costOf(u, p)
			v.Priced = true
		} else {
			v.Unpriced = append(v.Unpriced, u.Model)
		}
	}
	v.HasCost = v.Priced && len(v.Unpriced) == 0
	return v
}

// formatCost formats an amount of US dollars: cents and below get more
// digits, so that the cost of a short call does not show as $0.00.
func formatCost(usd float64) string {
	switch {
	case usd == 0:
		return "$0"
	case usd < 0.01:
		return fmt.Sprintf("$%.6f", usd)
	case usd < 100:
		return fmt.Sprintf("$%.4f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}
