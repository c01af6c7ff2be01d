package config_test

import (
	"fmt"

	"github.com/llmrouter/llmrouter/config"
)

func ExampleConvertLiteLLM() {
	out, err := config.ConvertLiteLLM([]byte(`
model_list:
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o-eu, api_key: os.environ/AZURE_KEY, rpm: 900}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o-us, api_key: os.environ/AZURE_KEY, rpm: 0}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4-5, api_key: os.environ/ANTHROPIC_API_KEY}
router_settings:
  num_retries: 1
  fallbacks: [{"gpt-4o": ["claude"]}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range out.Providers {
		fmt.Println("register:", p.Name)
	}
	for _, w := range out.Warnings {
		fmt.Println("warning:", w)
	}
	fmt.Println(out.Config.Routes["gpt-4o"].Tiers, "then", out.Config.Routes["gpt-4o"].Fallback)
	fmt.Println("route attempts:", out.Config.Retry.RouteAttempts)
	// Output:
	// register: azure:AZURE_KEY
	// register: anthropic:ANTHROPIC_API_KEY
	// warning: model_list[1].litellm_params.rpm: 0: simple-shuffle never picks a deployment of weight 0; left out (here zero means "not set")
	// [[gpt-4o/1]] then [claude]
	// route attempts: 2
}
