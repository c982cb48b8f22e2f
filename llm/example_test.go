package llm_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
)

// A chatbot with the offline model: the answer streams piece by piece, then
// the conversation is in the state.
func Example() {
	ctx := context.Background()
	model := &llm.Offline{} // no delay; llm.FromEnv() picks a real model when OPENAI_API_KEY is set
	app, err := burr.New(ctx,
		burr.WithActions(llm.ChatAction("chat", model)),
		burr.WithTransitions(burr.From("chat").To("chat")),
		burr.WithEntrypoint("chat"))
	if err != nil {
		panic(err)
	}
	stream, err := app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{"prompt": "Hello, Burr!"}))
	if err != nil {
		panic(err)
	}
	var answer strings.Builder
	for item := range stream.All() {
		answer.WriteString(item.(string)) // show it to the user as it comes
	}
	result, state, err := stream.Get()
	if err != nil {
		panic(err)
	}
	history, _ := llm.History.Get(state)
	fmt.Println(result["content"] == answer.String())
	fmt.Println(len(history), history[0].Role, history[1].Role)
	fmt.Println(answer.String()[:47])
	// Output:
	// true
	// 2 user assistant
	// [offline model] You said: "Hello, Burr!". That
}

// An OpenAI-compatible server: here the fake one from llmtest; in production
// leave the options out and set OPENAI_API_KEY (and OPENAI_BASE_URL,
// OPENAI_MODEL for another server).
func ExampleNewOpenAI() {
	srv := llmtest.NewServer(&llmtest.Handler{Reply: func([]llm.Message) []string {
		return []string{"Hello", " from", " the", " server."}
	}})
	defer srv.Close()
	model := llm.NewOpenAI(llm.WithBaseURL(srv.URL+"/v1"), llm.WithAPIKey("sk-test"), llm.WithModel("my-model"))
	reply, err := model.Chat(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "Hi"}}, func(text string) bool {
		fmt.Printf("%q ", text)
		return true
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("|", reply.Content, reply.FinishReason)
	// Output:
	// "Hello" " from" " the" " server." | Hello from the server. stop
}
