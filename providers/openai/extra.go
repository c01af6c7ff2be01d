package openai

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/jsonx"
)

// OpenRouterPreferences are OpenRouter's provider-routing preferences for
// one deployment: put one (or a pointer to one) in Deployment.Extra and the
// adapter sends it as the request's "provider" object. Zero fields are not
// sent, leaving OpenRouter's defaults. See
// https://openrouter.ai/docs/features/provider-routing.
//
//	llmrouter.Deployment{
//		Name: "llama-70b", Model: "meta-llama/llama-3.3-70b-instruct", Provider: openrouter,
//		Extra: openai.OpenRouterPreferences{Only: []string{"groq", "cerebras"}, DataCollection: "deny", ZDR: true},
//	}
type OpenRouterPreferences struct {
	// Order lists provider slugs to try first, in order ("anthropic",
	// "together").
	Order []string
	// Only restricts routing to these provider slugs.
	Only []string
	// Ignore lists provider slugs never to use.
	Ignore []string
	// AllowFallbacks, when set, says whether OpenRouter may use providers
	// beyond Order/Only when those fail (OpenRouter's default is true).
	AllowFallbacks *bool
	// RequireParameters restricts routing to providers that support every
	// parameter of the request.
	RequireParameters bool
	// DataCollection is "allow" or "deny": "deny" skips providers that may
	// store or train on prompts.
	DataCollection string
	// ZDR restricts routing to zero-data-retention endpoints.
	ZDR bool
	// Quantizations restricts routing to these quantization levels ("fp8",
	// "bf16", ...).
	Quantizations []string
	// Sort orders providers by "price", "throughput" or "latency".
	Sort string
	// MaxPrice caps what a provider may charge; nil means no cap.
	MaxPrice *OpenRouterMaxPrice
}

// OpenRouterMaxPrice is the most a provider may charge, in US dollars per
// million tokens. A zero (or negative, or infinite) field is not sent: no
// cap on that part. The caps are sent as decimal strings ("0.6"), as
// OpenRouter's OpenAPI document types them.
type OpenRouterMaxPrice struct {
	Prompt     float64
	Completion float64
}

// LiteLLMMetadata is what a LiteLLM proxy records with each request of one
// deployment, for spend tracking and logging: put one (or a pointer to one)
// in Deployment.Extra and the adapter sends it as the request's "metadata"
// object, Tags as metadata.tags.
//
//	Extra: openai.LiteLLMMetadata{Tags: []string{"team:search"}, Metadata: map[string]any{"app": "indexer"}}
type LiteLLMMetadata struct {
	// Tags label the request for per-tag spend tracking.
	Tags []string
	// Metadata is free-form; its values must encode as JSON. A "tags" key
	// is overridden by Tags when Tags is not empty.
	Metadata map[string]any
}

// appendExtra appends the body fields of a deployment's Extra, if it is a
// type this adapter knows.
func appendExtra(dst []byte, extra any) ([]byte, error) {
	switch x := extra.(type) {
	case OpenRouterPreferences:
		return appendOpenRouter(dst, &x), nil
	case *OpenRouterPreferences:
		if x != nil {
			return appendOpenRouter(dst, x), nil
		}
	case LiteLLMMetadata:
		return appendLiteLLM(dst, &x)
	case *LiteLLMMetadata:
		if x != nil {
			return appendLiteLLM(dst, x)
		}
	case Settings:
		return appendSettings(dst, &x)
	case *Settings:
		if x != nil {
			return appendSettings(dst, x)
		}
	}
	return dst, nil
}

// appendSettings appends the body fields of a Settings.
func appendSettings(dst []byte, s *Settings) ([]byte, error) {
	if s.OpenRouter != nil {
		dst = appendOpenRouter(dst, s.OpenRouter)
	}
	if s.LiteLLM != nil {
		return appendLiteLLM(dst, s.LiteLLM)
	}
	return dst, nil
}

func appendOpenRouter(dst []byte, o *OpenRouterPreferences) []byte {
	dst = append(dst, `,"provider":{`...)
	n := len(dst)
	sep := func(dst []byte) []byte {
		if len(dst) > n {
			dst = append(dst, ',')
		}
		return dst
	}
	list := func(dst []byte, key string, v []string) []byte {
		if len(v) == 0 {
			return dst
		}
		dst = append(sep(dst), key...)
		return jsonx.AppendStrings(dst, v)
	}
	dst = list(dst, `"order":`, o.Order)
	dst = list(dst, `"only":`, o.Only)
	dst = list(dst, `"ignore":`, o.Ignore)
	if o.AllowFallbacks != nil {
		dst = appendBool(append(sep(dst), `"allow_fallbacks":`...), *o.AllowFallbacks)
	}
	if o.RequireParameters {
		dst = append(sep(dst), `"require_parameters":true`...)
	}
	if o.DataCollection != "" {
		dst = appendString(append(sep(dst), `"data_collection":`...), o.DataCollection)
	}
	if o.ZDR {
		dst = append(sep(dst), `"zdr":true`...)
	}
	dst = list(dst, `"quantizations":`, o.Quantizations)
	if o.Sort != "" {
		dst = appendString(append(sep(dst), `"sort":`...), o.Sort)
	}
	if m := o.MaxPrice; m != nil && (isPrice(m.Prompt) || isPrice(m.Completion)) {
		dst = append(sep(dst), `"max_price":{`...)
		if isPrice(m.Prompt) {
			dst = appendPrice(append(dst, `"prompt":`...), m.Prompt)
		}
		if isPrice(m.Completion) {
			if isPrice(m.Prompt) {
				dst = append(dst, ',')
			}
			dst = appendPrice(append(dst, `"completion":`...), m.Completion)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// isPrice reports whether v is a price cap to send: positive and finite.
func isPrice(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// appendPrice appends v as OpenRouter's OpenAPI document types its prices:
// a JSON string holding a decimal number, never an exponent ("0.000001",
// "15").
func appendPrice(dst []byte, v float64) []byte {
	dst = strconv.AppendFloat(append(dst, '"'), v, 'f', -1, 64)
	return append(dst, '"')
}

func appendLiteLLM(dst []byte, m *LiteLLMMetadata) ([]byte, error) {
	if len(m.Tags) == 0 && len(m.Metadata) == 0 {
		return dst, nil
	}
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		if k == "tags" && len(m.Tags) > 0 {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst = append(dst, `,"metadata":{`...)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		v, err := json.Marshal(m.Metadata[k])
		if err != nil {
			return dst, err
		}
		dst = append(appendString(dst, k), ':')
		dst = append(dst, v...)
	}
	if len(m.Tags) > 0 {
		if len(keys) > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendStrings(append(dst, `"tags":`...), m.Tags)
	}
	return append(dst, '}'), nil
}
