package config

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter"
	"go.yaml.in/yaml/v3"
)

// LiteLLM is what ConvertLiteLLM makes of a LiteLLM proxy configuration.
type LiteLLM struct {
	// Config is the configuration as data. Its registries are empty: the
	// service registers in code a provider for every name in Providers.
	Config llmrouter.Config
	// YAML is Config in this package's file format, headed by comments
	// naming the providers to register.
	YAML []byte
	// Providers are the provider registry names the deployments refer to,
	// in order of first use, with what LiteLLM said of each (no secret:
	// keys are named by their environment variable only).
	Providers []LiteLLMProvider
	// Warnings say what the conversion left out or changed in form: a
	// deployment LiteLLM would never call, a setting with no effect on
	// routing. Each starts with the LiteLLM path it is about.
	Warnings []string
}

// LiteLLMProvider is one provider registry name a converted configuration
// refers to: the deployments that LiteLLM reached with one provider
// prefix, API base, version and key.
type LiteLLMProvider struct {
	// Name is the registry name (Config.Providers key).
	Name string
	// Kind is LiteLLM's provider ("azure", "openai", "anthropic",
	// "bedrock"): the model's prefix, or custom_llm_provider.
	Kind string
	// APIBase and APIVersion are as LiteLLM had them: a URL, or
	// "os.environ/NAME".
	APIBase, APIVersion string
	// KeyEnv names the environment variable holding the API key
	// (api_key: os.environ/NAME), or is empty.
	KeyEnv string
}

// ConvertLiteLLM turns a LiteLLM proxy configuration (model_list,
// router_settings and the routing part of litellm_settings) into this
// package's configuration, translating meanings rather than names:
//
//   - each model group (model_name) becomes a route of its deployments;
//     a deployment LiteLLM would never pick is left out with a warning
//     (weight, rpm or tpm 0 under simple-shuffle, a missing weight beside
//     weighted siblings, max_input_tokens 0 under pre-call checks), since
//     zero here means "not set";
//   - simple-shuffle's weights (weight, else rpm, else tpm) become
//     weights; rpm and tpm become limits only where LiteLLM enforces them
//     (optional_pre_call_checks: enforce_model_rate_limits);
//   - num_retries, retry_policy, fallbacks, default_fallbacks,
//     context_window_fallbacks, content_policy_fallbacks, allowed_fails,
//     cooldown_time, timeout and stream_timeout (router-wide and per
//     deployment) become their equivalents, LiteLLM's defaults included;
//   - os.environ/KEY references become provider registry names: no key
//     is ever copied, and a literal key is left out with a warning.
//
// A setting with no equivalent is refused with an *Error naming its path
// and line ("router_settings.routing_strategy (line 9): ..."). README
// "Coming from LiteLLM" has the whole table.
func ConvertLiteLLM(data []byte) (*LiteLLM, error) {
	var src litellmFile
	if err := yaml.Unmarshal(data, &src); err != nil {
		return nil, &Error{Err: err}
	}
	cv := &converter{data: data, src: &src, out: &LiteLLM{}}
	if err := cv.convert(); err != nil {
		return nil, err
	}
	y, err := cv.marshal()
	if err != nil {
		return nil, err
	}
	cv.out.YAML = y
	return cv.out, nil
}

// converter holds one conversion's state.
type converter struct {
	data []byte
	src  *litellmFile
	out  *LiteLLM
	set  litellmSettings // router_settings over litellm_settings
	// groups are the model groups in order of first appearance, and
	// members their deployments (names in the output).
	groups  []string
	members map[string][]*litellmDeployment
	// names are every route and deployment name of the output.
	names map[string]bool
}

// fail returns the *Error for the LiteLLM value at path.
func (cv *converter) fail(path, reason string) error {
	return &Error{Path: path, Line: lineOf(cv.data, path), Err: &llmrouter.ConfigError{Field: path, Reason: reason}}
}

// warn records a warning about the value at path.
func (cv *converter) warn(path, format string, args ...any) {
	cv.out.Warnings = append(cv.out.Warnings, path+": "+fmt.Sprintf(format, args...))
}

func (cv *converter) convert() error {
	if len(cv.src.ModelList) == 0 {
		return cv.fail("model_list", "empty: a LiteLLM configuration names its deployments in model_list")
	}
	if err := cv.settings(); err != nil {
		return err
	}
	if err := cv.deployments(); err != nil {
		return err
	}
	if err := cv.routes(); err != nil {
		return err
	}
	if err := cv.reliability(); err != nil {
		return err
	}
	for name := range cv.src.GeneralSettings {
		cv.warn("general_settings."+name, "a proxy-server setting (auth, database, alerting); a library router has none, ignored")
	}
	if len(cv.src.Environment) > 0 {
		cv.warn("environment_variables", "not copied: set them in the service's environment")
	}
	slices.Sort(cv.out.Warnings)
	return nil
}

// marshal writes the configuration as YAML, headed by the providers to
// register.
func (cv *converter) marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Converted from a LiteLLM configuration by llmrouter convert litellm.\n")
	b.WriteString("# Register these providers in code (Config.Providers); no key is in this file:\n")
	for _, p := range cv.out.Providers {
		fmt.Fprintf(&b, "#   %s: %s", p.Name, p.Kind)
		for _, f := range [...]struct{ name, v string }{{"api_base", p.APIBase}, {"api_version", p.APIVersion}} {
			if env, ok := envRef(f.v); ok {
				fmt.Fprintf(&b, ", %s from $%s", f.name, env)
			} else if f.v != "" {
				fmt.Fprintf(&b, ", %s %s", f.name, f.v)
			}
		}
		if p.KeyEnv != "" {
			fmt.Fprintf(&b, ", key from $%s", p.KeyEnv)
		}
		b.WriteByte('\n')
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&cv.out.Config); err != nil {
		return nil, fmt.Errorf("config: writing the converted configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: writing the converted configuration: %w", err)
	}
	return b.Bytes(), nil
}

// envRef returns NAME for "os.environ/NAME".
func envRef(v string) (string, bool) {
	name, ok := strings.CutPrefix(v, "os.environ/")
	return name, ok && name != ""
}
