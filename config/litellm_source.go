package config

// The parts of a LiteLLM proxy configuration the conversion reads, as
// LiteLLM documents them (docs/my-website/docs/proxy/configs.md,
// reliability.md, routing.md; litellm/router.py Router.__init__ for the
// defaults). Pointers tell "not set" from zero, which LiteLLM tells apart.

type litellmFile struct {
	ModelList       []litellmDeployment `yaml:"model_list"`
	RouterSettings  litellmSettings     `yaml:"router_settings"`
	LiteLLMSettings litellmSettings     `yaml:"litellm_settings"`
	GeneralSettings map[string]any      `yaml:"general_settings"`
	Environment     map[string]any      `yaml:"environment_variables"`
	Rest            map[string]any      `yaml:",inline"`
}

type litellmDeployment struct {
	ModelName string        `yaml:"model_name"`
	Params    litellmParams `yaml:"litellm_params"`
	Info      litellmInfo   `yaml:"model_info"`
	// rpm and tpm may also sit beside litellm_params.
	RPM  *float64       `yaml:"rpm"`
	TPM  *float64       `yaml:"tpm"`
	Rest map[string]any `yaml:",inline"`

	// Set by the conversion.
	path   string // "model_list[i]", for errors and warnings
	name   string // deployment name in the output
	weight float64
	off    bool // LiteLLM would never call it
}

type litellmParams struct {
	Model             string         `yaml:"model"`
	CustomLLMProvider string         `yaml:"custom_llm_provider"`
	APIKey            string         `yaml:"api_key"`
	APIBase           string         `yaml:"api_base"`
	APIVersion        string         `yaml:"api_version"`
	RPM               *float64       `yaml:"rpm"`
	TPM               *float64       `yaml:"tpm"`
	Weight            *float64       `yaml:"weight"`
	Order             *int           `yaml:"order"`
	Timeout           *float64       `yaml:"timeout"`
	StreamTimeout     *float64       `yaml:"stream_timeout"`
	MaxParallel       *int           `yaml:"max_parallel_requests"`
	InputCost         *float64       `yaml:"input_cost_per_token"`
	OutputCost        *float64       `yaml:"output_cost_per_token"`
	Region            string         `yaml:"region_name"`
	AWSRegion         string         `yaml:"aws_region_name"`
	VertexLocation    string         `yaml:"vertex_location"`
	AllowedFails      *int           `yaml:"allowed_fails"`
	CooldownTime      *float64       `yaml:"cooldown_time"`
	Rest              map[string]any `yaml:",inline"`
}

type litellmInfo struct {
	ID             string         `yaml:"id"`
	MaxInputTokens *int           `yaml:"max_input_tokens"`
	MaxOutputTok   *int           `yaml:"max_output_tokens"`
	InputCost      *float64       `yaml:"input_cost_per_token"`
	OutputCost     *float64       `yaml:"output_cost_per_token"`
	AllowedFails   *int           `yaml:"allowed_fails"`
	CooldownTime   *float64       `yaml:"cooldown_time"`
	RPM            *float64       `yaml:"rpm"`
	TPM            *float64       `yaml:"tpm"`
	Rest           map[string]any `yaml:",inline"`
}

// litellmSettings is router_settings, or the routing part of
// litellm_settings (which sets the litellm.* defaults the Router falls
// back on).
type litellmSettings struct {
	RoutingStrategy        *string               `yaml:"routing_strategy"`
	NumRetries             *int                  `yaml:"num_retries"`
	Timeout                *float64              `yaml:"timeout"`
	RequestTimeout         *float64              `yaml:"request_timeout"`
	StreamTimeout          *float64              `yaml:"stream_timeout"`
	Fallbacks              []map[string][]string `yaml:"fallbacks"`
	DefaultFallbacks       []string              `yaml:"default_fallbacks"`
	ContextWindowFallbacks []map[string][]string `yaml:"context_window_fallbacks"`
	ContentPolicyFallbacks []map[string][]string `yaml:"content_policy_fallbacks"`
	AllowedFails           *int                  `yaml:"allowed_fails"`
	CooldownTime           *float64              `yaml:"cooldown_time"`
	RetryPolicy            map[string]int        `yaml:"retry_policy"`
	EnablePreCallChecks    *bool                 `yaml:"enable_pre_call_checks"`
	OptionalPreCallChecks  []string              `yaml:"optional_pre_call_checks"`
	MaxFallbacks           *int                  `yaml:"max_fallbacks"`
	DisableCooldowns       *bool                 `yaml:"disable_cooldowns"`
	Rest                   map[string]any        `yaml:",inline"`

	from map[string]string // field → the section it came from
}
