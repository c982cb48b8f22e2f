package llm

import "github.com/burrgo/burr"

// The roles of chat messages, as the chat-completions API names them.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// HistoryKey is the state key ChatAction reads and writes: the conversation
// so far, oldest message first.
const HistoryKey = "chat_history"

// History reads and writes the conversation held under HistoryKey. Reading
// also works on a state loaded from a persister, where the messages came back
// from JSON as maps:
//
//	msgs, err := llm.History.Get(app.State())
var History = burr.Key[[]Message](HistoryKey)

// Message is one message of a conversation. Its JSON form is the
// chat-completions one: {"role": "user", "content": "Hello"}.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}
