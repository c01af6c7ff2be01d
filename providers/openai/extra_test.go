package openai

import (
	"math"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

func TestOpenRouterMaxPriceAsDecimalStrings(t *testing.T) {
	cases := []struct {
		name               string
		prompt, completion float64
		want               string // the max_price object; "" means not sent
	}{
		{"both", 0.6, 0.8, `"max_price":{"prompt":"0.6","completion":"0.8"}`},
		{"whole dollars", 15, 75, `"max_price":{"prompt":"15","completion":"75"}`},
		{"tiny, no exponent", 1e-7, 0.000001, `"max_price":{"prompt":"0.0000001","completion":"0.000001"}`},
		{"huge, no exponent", 1e21, 0, `"max_price":{"prompt":"1000000000000000000000"}`},
		{"completion only", 0, 2.5, `"max_price":{"completion":"2.5"}`},
		{"nothing to cap", 0, 0, ""},
		{"negative and infinite are no cap", -1, math.Inf(1), ""},
		{"NaN is no cap", math.NaN(), 3, `"max_price":{"completion":"3"}`},
	}
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("u")}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &llmrouter.Deployment{Name: "m", Extra: OpenRouterPreferences{
				MaxPrice: &OpenRouterMaxPrice{Prompt: tc.prompt, Completion: tc.completion}}}
			body, err := New(OpenRouter()).appendBody(nil, d, req, false)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if i := strings.Index(string(body), `"max_price":`); i >= 0 {
				got = string(body[i:])
				got = got[:strings.IndexByte(got, '}')+1]
			}
			if got != tc.want {
				t.Errorf("got %s; want %s (body %s)", got, tc.want, body)
			}
		})
	}
}

func TestAzureDeveloperRoleByAPIVersion(t *testing.T) {
	cases := []struct {
		version   string
		developer bool
	}{
		{"", false}, // the default, DefaultAzureAPIVersion
		{"2024-10-21", false},
		{"2024-06-01", false},
		{"2024-10-01-preview", false},
		{"2024-11-30-preview", false},
		{"2024-12-01-preview", true},
		{"2025-01-01-preview", true},
		{"2025-04-01-preview", true},
		{"2026-02-01", true},
		{"preview", false},
		{"latest", false},
		{"2025-01-01-beta", false},
		{"2025-1-01-preview", false},
		{"2025x01-01", false},
	}
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.Developer("d"), llmrouter.User("u")}}
	d := &llmrouter.Deployment{Name: "m"}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			body, err := New(Azure("https://res.openai.azure.com", tc.version)).appendBody(nil, d, req, false)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"role":"system","content":"d"}`
			if tc.developer {
				want = `{"role":"developer","content":"d"}`
			}
			if !strings.Contains(string(body), want) {
				t.Errorf("api-version %q: body %s; want %s", tc.version, body, want)
			}
		})
	}
	// The v1 API takes developer, as OpenAI does.
	body, _ := New(AzureV1("https://res.openai.azure.com")).appendBody(nil, d, req, false)
	if !strings.Contains(string(body), `{"role":"developer","content":"d"}`) {
		t.Errorf("AzureV1 body %s: developer role lost", body)
	}
}
