package ui_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"

	"github.com/burrgo/burr/ui"
)

// Show what the tokens of a run cost. The step logged its model and token
// counts as package llm's chat action does; the prices are in US dollars
// per million tokens, as in a file for [ui.ReadPrices].
func ExampleWithPrices() {
	dir, err := os.MkdirTemp("", "burr-ui-prices")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	app := filepath.Join(dir, "demo", "chat-1")
	os.MkdirAll(app, 0o755)
	attr := func(key, value string) string {
		return `{"type":"attribute","key":"` + key + `","action_sequence_id":0,"span_id":null,"value":` + value +
			`,"tags":{},"time_logged":"2025-01-01T12:00:00.1Z"}` + "\n"
	}
	os.WriteFile(filepath.Join(app, "log.jsonl"), []byte(
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"chat","inputs":{},"sequence_id":0}`+"\n"+
			attr("gen_ai.response.model", `"gpt-4o"`)+
			attr("gen_ai.usage.prompt_tokens", "1200")+
			attr("gen_ai.usage.completion_tokens", "300")+
			`{"type":"end_entry","end_time":"2025-01-01T12:00:01","action":"chat","result":{},"exception":null,"state":{},"sequence_id":0}`+"\n"), 0o644)

	s := ui.NewServer(dir, ui.WithPrices(map[string]ui.Price{"gpt-4o": {Input: 2.5, Output: 10}}))
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/projects/demo/apps/chat-1")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tokens := regexp.MustCompile(`id="app-tokens">.*?"prompt-tokens">(\d+)<.*?"completion-tokens">(\d+)<`).FindSubmatch(page)
	cost := regexp.MustCompile(`id="app-cost"><span class="cost">([^<]+)<`).FindSubmatch(page)
	fmt.Printf("prompt %s, completion %s tokens, cost %s\n", tokens[1], tokens[2], cost[1])
	// Output:
	// prompt 1200, completion 300 tokens, cost $0.006000
}
