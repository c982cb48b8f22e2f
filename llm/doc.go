// Package llm is a streaming chat action for Burr applications, backed by any
// OpenAI-compatible chat-completions API or by an offline model.
//
// ChatAction returns a streaming [burr.Action]. It takes the user's message as
// the input "prompt", sends the conversation in the state key "chat_history"
// (a []Message, read with History) plus that message to a Model, and hands
// every piece of text the model produces to the consumer as a stream item of
// type string. When the model has finished, the action's result is
//
//	burr.Result{"content": "<the whole answer>", "finish_reason": "stop", "model": "<model name>"}
//
// and its new state has both the user's message and the assistant's answer
// appended to "chat_history". A step either appends both messages or nothing:
// when the model fails (HTTP error, malformed stream, cancelled context) the
// step fails and the history stays as it was.
//
// Stopping. When the consumer stops the stream ([burr.Stream.Stop], the "stop
// generating" button), the action's yield returns false; the action returns at
// once with the partial answer, finish_reason "stopped", and that partial
// answer is kept in the history. When the consumer abandons the stream
// (Close, or a cancelled context), the HTTP request to the model is aborted
// and nothing is kept.
//
// Observability. The action logs on its step, with [burr.LogAttributes], the
// OpenTelemetry GenAI attributes ([AttrOperation] and the others): the model
// asked for and the one that answered, the finish reason, and the token usage
// the model reported ([Reply].Usage; the OpenAI model asks the server for it
// with stream_options.include_usage). A tracker writes them into the step's
// log under the names Burr's UI reads; the otel package's hooks set them on
// the step's span.
//
// Models. OpenAI talks to OpenAI or to any server that speaks its
// chat-completions streaming protocol (vLLM, Ollama, llama.cpp, LiteLLM…);
// Offline is a deterministic model that needs no network, for demos and tests;
// FromEnv picks one from the environment (OPENAI_API_KEY, OPENAI_BASE_URL,
// OPENAI_MODEL). Package llmtest has a fake OpenAI-compatible server for
// tests.
package llm
