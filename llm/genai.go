package llm

import (
	"context"

	"github.com/burrgo/burr"
)

// The attributes [ChatAction] logs on its step ([burr.LogAttributes]): the
// names of the OpenTelemetry GenAI semantic conventions, and for the token
// counts the names Burr's UI reads (the OpenTelemetry hooks of the otel
// package export those as gen_ai.usage.input_tokens and
// gen_ai.usage.output_tokens).
const (
	AttrOperation     = "gen_ai.operation.name"          // "chat"
	AttrRequestModel  = "gen_ai.request.model"           // the Model's Name
	AttrResponseModel = "gen_ai.response.model"          // Reply.Model, or the Model's Name
	AttrFinishReasons = "gen_ai.response.finish_reasons" // []string{Reply.FinishReason}
	AttrInputTokens   = "gen_ai.usage.prompt_tokens"     // Usage.InputTokens
	AttrOutputTokens  = "gen_ai.usage.completion_tokens" // Usage.OutputTokens
)

// logReply logs what the model answered with.
func logReply(ctx context.Context, m Model, r Reply) {
	model := r.Model
	if model == "" {
		model = m.Name()
	}
	kv := []any{AttrResponseModel, model, AttrFinishReasons, []string{r.FinishReason}}
	if r.Usage != nil {
		kv = append(kv, AttrInputTokens, r.Usage.InputTokens, AttrOutputTokens, r.Usage.OutputTokens)
	}
	burr.LogAttributes(ctx, kv...)
}
