package burrotel

import (
	"fmt"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"go.opentelemetry.io/otel/attribute"
)

// renamed maps the attribute names Burr's UI reads onto the current names of
// the OpenTelemetry GenAI semantic conventions.
var renamed = map[string]string{
	"gen_ai.usage.prompt_tokens":     "gen_ai.usage.input_tokens",
	"gen_ai.usage.completion_tokens": "gen_ai.usage.output_tokens",
}

// convertAttrs turns logged attributes into OpenTelemetry attributes:
// strings, booleans, integers, floats and slices of them keep their type,
// durations become seconds, anything else its JSON (or, failing that, its
// text, as the tracker writes it).
func convertAttrs(in []burr.Attribute) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(in))
	for _, a := range in {
		k := a.Key
		if r, ok := renamed[k]; ok {
			k = r
		}
		out = append(out, convertValue(k, a.Value))
	}
	return out
}

func convertValue(k string, v any) attribute.KeyValue {
	switch v := v.(type) {
	case string:
		return attribute.String(k, v)
	case bool:
		return attribute.Bool(k, v)
	case int:
		return attribute.Int(k, v)
	case int8:
		return attribute.Int64(k, int64(v))
	case int16:
		return attribute.Int64(k, int64(v))
	case int32:
		return attribute.Int64(k, int64(v))
	case int64:
		return attribute.Int64(k, v)
	case uint8:
		return attribute.Int64(k, int64(v))
	case uint16:
		return attribute.Int64(k, int64(v))
	case uint32:
		return attribute.Int64(k, int64(v))
	case float32:
		return attribute.Float64(k, float64(v))
	case float64:
		return attribute.Float64(k, v)
	case time.Duration:
		return attribute.Float64(k, v.Seconds())
	case []string:
		return attribute.StringSlice(k, v)
	case []int:
		return attribute.IntSlice(k, v)
	case []int64:
		return attribute.Int64Slice(k, v)
	case []float64:
		return attribute.Float64Slice(k, v)
	case []bool:
		return attribute.BoolSlice(k, v)
	case nil:
		return attribute.String(k, "null")
	case fmt.Stringer:
		return attribute.String(k, v.String())
	case error:
		return attribute.String(k, v.Error())
	}
	if b, err := jsonx.Marshal(v); err == nil {
		return attribute.String(k, string(b))
	}
	text, _ := jsonx.Text(v) // a placeholder for a value that contains itself
	return attribute.String(k, text)
}
