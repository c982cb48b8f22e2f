package burrhttp_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
	"github.com/burrgo/burr/llm"
)

// A chat endpoint that streams the offline model's answer as Server-Sent
// Events, read here by a plain HTTP client.
func ExampleSSE_Stream() {
	app, err := burr.New(context.Background(),
		burr.WithActions(llm.ChatAction("chat", &llm.Offline{})),
		burr.WithTransitions(burr.From("chat").To("chat")),
		burr.WithEntrypoint("chat"), burr.WithAppID("conversation-1"))
	if err != nil {
		panic(err)
	}
	sse := &burrhttp.SSE{State: func(burr.State) any { return nil }} // send no state to the client
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse.Stream(w, r, app, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{"prompt": r.FormValue("prompt")}))
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "?prompt=Hello")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	// Print the events, the first items' data, and how many items came.
	items, event := 0, ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
			if event == "item" {
				items++
			}
			if event != "item" || items <= 2 {
				fmt.Println(line)
			}
		}
		if strings.HasPrefix(line, "data: ") && (event == "start" || event == "item" && items <= 2) {
			fmt.Println(line)
		}
	}
	fmt.Println(items, "items in all")
	// Output:
	// event: start
	// data: {"app_id":"conversation-1","action":"chat"}
	// event: item
	// data: "[offline "
	// event: item
	// data: "model] "
	// event: result
	// 48 items in all
}
