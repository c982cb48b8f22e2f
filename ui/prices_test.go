package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

func usageAttr(seq, key, value string) string {
	return `{"type":"attribute","key":"` + key + `","action_sequence_id":` + seq + `,"span_id":null,"value":` + value + `,"tags":{},"time_logged":"2025-01-01T12:00:00.0002"}`
}

// writeUsageRun writes a run whose step 0 called a priced model, step 1 a
// model without a price, and step 2 no model.
func writeUsageRun(t *testing.T, dir string) {
	fixture.WriteRun(t, dir, "proj", "llm", fixture.CounterGraph, fixture.MetaPK,
		fixture.Begin0,
		usageAttr("0", "gen_ai.request.model", `"gpt-4o"`),
		usageAttr("0", "gen_ai.usage.prompt_tokens", "1000"),
		usageAttr("0", "gen_ai.usage.completion_tokens", "500"),
		fixture.End0,
		fixture.Begin1,
		usageAttr("1", "gen_ai.response.model", `"local-7b"`),
		usageAttr("1", "gen_ai.usage.prompt_tokens", "10"),
		usageAttr("1", "gen_ai.usage.completion_tokens", "20"),
		fixture.End1,
		fixture.Begin2, fixture.End2)
}

// stepRow returns the summary row of step seq.
func stepRow(t *testing.T, body string, seq int) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)id="step-` + strconv.Itoa(seq) + `".*?</summary>`)
	row := re.FindString(body)
	if row == "" {
		t.Fatalf("no row for step %d", seq)
	}
	return row
}

func TestUsageAndCost(t *testing.T) {
	dir := t.TempDir()
	writeUsageRun(t, dir)

	s := NewServer(dir, WithPrices(map[string]Price{"gpt-4o": {Input: 2.5, Output: 10}}))
	t.Cleanup(func() { s.Close() })
	code, body := get(t, s, "/projects/proj/apps/llm")
	if code != 200 {
		t.Fatalf("app page = %d", code)
	}
	// The application: every step's tokens, and the cost of the priced
	// ones: 1000 × $2.5/M + 500 × $10/M.
	mustContain(t, body,
		`id="app-tokens"><span class="tok" title="prompt tokens / completion tokens (gpt-4o, local-7b)"><span class="prompt-tokens">1010</span> / <span class="completion-tokens">520</span>`,
		`id="app-cost"><span class="cost">$0.007500</span> <span class="muted unpriced">+ tokens of local-7b (no price)</span>`)
	mustContain(t, stepRow(t, body, 0), `<span class="prompt-tokens">1000</span> / <span class="completion-tokens">500</span>`, `<span class="step-cost">$0.007500</span>`)
	row1 := stepRow(t, body, 1)
	mustContain(t, row1, `<span class="prompt-tokens">10</span> / <span class="completion-tokens">20</span>`)
	if strings.Contains(row1, "step-cost") {
		t.Errorf("a model without a price has a cost: %s", row1)
	}
	if row2 := stepRow(t, body, 2); strings.Contains(row2, "prompt-tokens") {
		t.Errorf("a step without tokens shows some: %s", row2)
	}

	// Without prices: tokens only.
	plain := newTestServer(t, dir)
	_, body = get(t, plain, "/projects/proj/apps/llm")
	mustContain(t, body, `<span class="prompt-tokens">1010</span>`, `id="app-cost"><span class="muted unpriced">no price for gpt-4o, local-7b</span>`)
	if strings.Contains(body, `class="cost"`) || strings.Contains(body, "step-cost") {
		t.Error("a cost is shown without prices")
	}

	// An application without tokens shows neither.
	fixture.WriteRun(t, dir, "proj", "plain", "", "", fixture.Begin0, fixture.End0)
	_, body = get(t, s, "/projects/proj/apps/plain")
	if strings.Contains(body, "app-tokens") || strings.Contains(body, "app-cost") {
		t.Error("tokens shown for a run that logged none")
	}
}

func TestReadPrices(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"gpt-4o": {"input": 2.5, "output": 10}, "free": {"input": 0, "output": 0}}`)
	prices, err := ReadPrices(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(prices) != 2 || prices["gpt-4o"] != (Price{2.5, 10}) || prices["free"] != (Price{}) {
		t.Errorf("prices %+v", prices)
	}
	for _, c := range []struct{ name, data, want string }{
		{"list.json", `[1, 2]`, "not a JSON object of model name to"},
		{"null.json", `null`, "not a JSON object"},
		{"typo.json", `{"m": {"input": 1, "ouput": 2}}`, `model "m": want {"input"`},
		{"missing.json", `{"m": {"input": 1}}`, `model "m": both "input" and "output" prices are needed`},
		{"negative.json", `{"m": {"input": -1, "output": 2}}`, `model "m": a negative price`},
		{"string.json", `{"m": {"input": "1", "output": 2}}`, `model "m": want`},
		{"empty-name.json", `{"": {"input": 1, "output": 2}}`, "empty model name"},
	} {
		p := write(c.name, c.data)
		_, err := ReadPrices(p)
		if err == nil || !strings.Contains(err.Error(), "prices file "+p+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.want)
		}
	}
	if _, err := ReadPrices(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFormatCost(t *testing.T) {
	for usd, want := range map[float64]string{0: "$0", 0.0075: "$0.007500", 0.5: "$0.5000", 12.3456: "$12.3456", 1234.5: "$1234.50"} {
		if got := formatCost(usd); got != want {
			t.Errorf("formatCost(%v) = %q, want %q", usd, got, want)
		}
	}
}
