package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/tracking"
)

// tokenRecorder sums the token counts logged, as a hook sees them.
type tokenRecorder struct {
	mu                 sync.Mutex
	prompt, completion map[int]int64
}

func (r *tokenRecorder) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, kv := range a.Attributes {
		n, ok := kv.Value.(int)
		if !ok {
			continue
		}
		switch kv.Key {
		case AttrPromptTokens:
			r.prompt[a.SequenceID] += int64(n)
		case AttrCompletionTokens:
			r.completion[a.SequenceID] += int64(n)
		}
	}
	return nil
}

// The tokens that package llm's chat action logs through the tracker are
// read back per step and summed per model over the whole log.
func TestUsageFromTheTracker(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// A step calling another model, logging its usage by hand, twice.
	other := burr.NewAction("summarize", func(ctx context.Context, s burr.State) (burr.State, error) {
		burr.LogAttributes(ctx, AttrRequestModel, "gpt-x", AttrPromptTokens, 1000, AttrCompletionTokens, 200)
		burr.LogAttributes(ctx, AttrResponseModel, "gpt-x-2025", AttrPromptTokens, 500, AttrCompletionTokens, 50)
		return s, nil
	})
	plain := burr.NewAction("plain", func(ctx context.Context, s burr.State) (burr.State, error) { return s, nil })
	rec := &tokenRecorder{prompt: map[int]int64{}, completion: map[int]int64{}}
	app, err := burr.New(ctx,
		burr.WithActions(llm.ChatAction("chat", &llm.Offline{}), other, plain),
		burr.WithTransitions(burr.From("chat").To("summarize"), burr.From("summarize").To("plain"), burr.From("plain").To("chat")),
		burr.WithEntrypoint("chat"), burr.WithAppID("a"), burr.WithHooks(tr, rec))
	if err != nil {
		t.Fatal(err)
	}
	for _, prompt := range []string{"How are you?", "Tell me more about the weather"} {
		s, err := app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: prompt}))
		if err != nil {
			t.Fatal(err)
		}
		for range s.All() {
		}
		if _, _, err := s.Get(); err != nil {
			t.Fatal(err)
		}
		if prompt == "How are you?" {
			if _, err := app.Run(ctx, burr.HaltAfter("plain")); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := New(dir)
	a, err := st.App("p", "a")
	if err != nil || len(a.Problems) > 0 {
		t.Fatalf("%v, %v", err, a.Problems)
	}
	lg, err := st.Steps(a, a.Index.Seqs())
	if err != nil {
		t.Fatal(err)
	}
	steps := lg.Steps()
	if len(steps) != 4 {
		t.Fatalf("%d steps", len(steps))
	}
	wantModel := []string{"offline", "gpt-x-2025", "", "offline"}
	var chatPrompt, chatCompletion int64
	for i, step := range steps {
		u := step.Usage()
		seq := step.SequenceID
		if u.Model != wantModel[i] || u.PromptTokens != rec.prompt[seq] || u.CompletionTokens != rec.completion[seq] || u.HasTokens != (i != 2) {
			t.Errorf("step %d (%s): usage %+v, want model %q, %d / %d tokens", seq, step.Action, u, wantModel[i], rec.prompt[seq], rec.completion[seq])
		}
		if step.Action == "chat" {
			chatPrompt += u.PromptTokens
			chatCompletion += u.CompletionTokens
			if u.PromptTokens == 0 || u.CompletionTokens == 0 {
				t.Errorf("chat step %d logged no tokens: %+v", seq, u)
			}
		}
	}
	if steps[0].Usage().PromptTokens != 3 { // "How are you?"
		t.Errorf("first prompt: %+v", steps[0].Usage())
	}
	got := a.Index.Usage()
	want := []Usage{
		{Model: "gpt-x-2025", PromptTokens: 1500, CompletionTokens: 250, HasTokens: true},
		{Model: "offline", PromptTokens: chatPrompt, CompletionTokens: chatCompletion, HasTokens: true},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Index.Usage() = %+v, want %+v", got, want)
	}
}

// Usage values of the wrong type are ignored; tokens without a model are
// summed under "", a request model stands in for a missing response model,
// and lines the fast reader leaves to the full decoder count as well.
func TestUsageOddValues(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "p", "a")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	const ts = `"2025-01-01T12:00:00"`
	begin := func(seq string) string {
		return `{"type":"begin_entry","start_time":` + ts + `,"action":"x","inputs":{},"sequence_id":` + seq + "}\n"
	}
	attr := func(seq, key, value string) string {
		return `{"type":"attribute","key":"` + key + `","action_sequence_id":` + seq + `,"span_id":null,"value":` + value + `,"tags":{},"time_logged":` + ts + "}\n"
	}
	log := begin("0") +
		attr("0", AttrPromptTokens, `"12"`) + // a string: ignored
		attr("0", AttrPromptTokens, `-4`) + // negative: ignored
		attr("0", AttrPromptTokens, `1.5`) + // not whole: ignored
		attr("0", AttrCompletionTokens, `7`) +
		attr("0", AttrRequestModel, `"m"`) +
		begin("1") +
		attr("1", AttrPromptTokens, `10`) +
		// A line the fast reader leaves to the full decoder (an escaped key).
		`{"type":"attribute","key":"gen_ai.usage.completion_token\u0073","action_sequence_id":1,"span_id":null,"value":5,"tags":{},"time_logged":` + ts + "}\n" +
		begin("2") + attr("2", AttrResponseModel, `42`) + // no tokens, model of the wrong type
		attr("3", AttrPromptTokens, `4e0`) + begin("3") // a line before its step begins
	if err := os.WriteFile(filepath.Join(app, "log.jsonl"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	st := New(dir)
	a, err := st.App("p", "a")
	if err != nil {
		t.Fatal(err)
	}
	got := a.Index.Usage()
	want := []Usage{
		{Model: "", PromptTokens: 14, CompletionTokens: 5, HasTokens: true},
		{Model: "m", PromptTokens: 0, CompletionTokens: 7, HasTokens: true},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Index.Usage() = %+v, want %+v", got, want)
	}
	lg, err := st.Steps(a, a.Index.Seqs())
	if err != nil {
		t.Fatal(err)
	}
	steps := lg.Steps()
	if len(steps) != 4 {
		t.Fatalf("%d steps", len(steps))
	}
	for i, step := range steps {
		w := []Usage{want[1], {PromptTokens: 10, CompletionTokens: 5, HasTokens: true}, {}, {PromptTokens: 4, HasTokens: true}}[i]
		if u := step.Usage(); u != w {
			t.Errorf("step %d: %+v, want %+v", i, u, w)
		}
	}
}
