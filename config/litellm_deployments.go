package config

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
)

// litellmConnection are litellm_params that say how to reach a provider:
// they go into the provider registry's description (never a secret's
// value), not into the deployment.
var litellmConnection = map[string]bool{
	"organization": true, "aws_access_key_id": true, "aws_secret_access_key": true, "aws_session_token": true,
	"aws_profile_name": true, "aws_role_name": true, "vertex_project": true, "vertex_credentials": true,
	"azure_ad_token": true, "tenant_id": true, "client_id": true, "client_secret": true, "extra_headers": true,
	"max_retries": true, "use_in_pass_through": true,
}

// litellmSecrets are connection settings whose literal value is a secret.
var litellmSecrets = map[string]bool{
	"aws_secret_access_key": true, "aws_session_token": true, "vertex_credentials": true, "azure_ad_token": true,
	"client_secret": true,
}

// litellmInfoIgnored are model_info fields with no bearing on routing
// here (LiteLLM reads them for cost tracking and its UI).
var litellmInfoIgnored = map[string]bool{
	"mode": true, "base_model": true, "max_tokens": true, "description": true, "db_model": true, "team_id": true,
	"access_groups": true, "supported_environments": true, "litellm_provider": true,
}

// deployments translates model_list.
func (cv *converter) deployments() error {
	cv.members = map[string][]*litellmDeployment{}
	cv.names = map[string]bool{}
	providers := map[LiteLLMProvider]string{}
	for i := range cv.src.ModelList {
		d := &cv.src.ModelList[i]
		d.path = "model_list[" + strconv.Itoa(i) + "]"
		path := d.path
		if d.ModelName == "" {
			return cv.fail(path+".model_name", "empty: every deployment belongs to a model group")
		}
		if d.Params.Model == "" {
			return cv.fail(path+".litellm_params.model", "empty")
		}
		for _, key := range slices.Sorted(maps.Keys(d.Rest)) {
			return cv.fail(path+"."+key, "unknown deployment field; want model_name, litellm_params, model_info, rpm, tpm")
		}
		if _, ok := cv.members[d.ModelName]; !ok {
			cv.groups = append(cv.groups, d.ModelName)
		}
		cv.members[d.ModelName] = append(cv.members[d.ModelName], d)
		d.name = d.Info.ID
		if d.name == "" {
			d.name = d.ModelName + "/" + strconv.Itoa(len(cv.members[d.ModelName]))
		}
		if cv.names[d.name] {
			return cv.fail(path+".model_info.id", "duplicate deployment name "+strconv.Quote(d.name))
		}
		cv.names[d.name] = true
		p, err := cv.provider(d, providers)
		if err != nil {
			return err
		}
		spec, err := cv.deployment(d, p)
		if err != nil {
			return err
		}
		cv.out.Config.Deployments = append(cv.out.Config.Deployments, spec)
	}
	for _, g := range cv.groups {
		if cv.names[g] {
			return cv.fail("model_list", "model group "+strconv.Quote(g)+" has the name of a deployment's model_info.id; requests could not tell them apart")
		}
	}
	return nil
}

// provider finds (or adds) the provider registry name of a deployment.
func (cv *converter) provider(d *litellmDeployment, seen map[LiteLLMProvider]string) (string, error) {
	lp, path := &d.Params, d.path
	kind, _, ok := strings.Cut(lp.Model, "/")
	if lp.CustomLLMProvider != "" {
		kind, ok = lp.CustomLLMProvider, true
	}
	if !ok {
		if kind = inferProvider(lp.Model); kind == "" {
			return "", cv.fail(path+".litellm_params.model", "no provider prefix, and not a model name whose provider is plain; write it as provider/model (openai/..., azure/...)")
		}
		cv.warn(path+".litellm_params.model", "no provider prefix: LiteLLM infers the provider from the model name; taken as %s", kind)
	}
	p := LiteLLMProvider{Kind: kind, APIBase: lp.APIBase, APIVersion: lp.APIVersion}
	switch env, isEnv := envRef(lp.APIKey); {
	case isEnv:
		p.KeyEnv = env
	case lp.APIKey != "":
		cv.warn(path+".litellm_params.api_key", "a literal key: not copied; register provider for it in code with the key from your secret store")
	}
	for _, key := range slices.Sorted(maps.Keys(lp.Rest)) {
		if !litellmConnection[key] {
			return "", cv.fail(path+".litellm_params."+key, "has no equivalent in a deployment (request defaults and provider options belong to the request or the provider adapter)")
		}
		if s, _ := lp.Rest[key].(string); litellmSecrets[key] && s != "" {
			if _, isEnv := envRef(s); !isEnv {
				cv.warn(path+".litellm_params."+key, "a literal secret: not copied")
			}
		}
	}
	key := p
	if name, ok := seen[key]; ok {
		return name, nil
	}
	p.Name = kind
	switch {
	case p.KeyEnv != "":
		p.Name = kind + ":" + p.KeyEnv
	case p.APIBase != "":
		if u, err := url.Parse(p.APIBase); err == nil && u.Host != "" {
			p.Name = kind + "@" + u.Host
		} else if env, isEnv := envRef(p.APIBase); isEnv {
			p.Name = kind + ":" + env
		}
	}
	for n := 2; cv.providerNamed(p.Name); n++ {
		p.Name = kind + "-" + strconv.Itoa(n)
	}
	seen[key] = p.Name
	cv.out.Providers = append(cv.out.Providers, p)
	return p.Name, nil
}

func (cv *converter) providerNamed(name string) bool {
	for _, p := range cv.out.Providers {
		if p.Name == name {
			return true
		}
	}
	return false
}

// deployment translates one deployment's own settings.
func (cv *converter) deployment(d *litellmDeployment, provider string) (llmrouter.DeploymentSpec, error) {
	lp, info, path := &d.Params, &d.Info, d.path
	spec := llmrouter.DeploymentSpec{Name: d.name, Provider: provider, Model: lp.Model}
	if _, model, ok := strings.Cut(lp.Model, "/"); ok && lp.CustomLLMProvider == "" {
		spec.Model = model
	}
	spec.Region = firstNonEmpty(lp.Region, lp.AWSRegion, lp.VertexLocation)
	if in := firstSet(lp.InputCost, info.InputCost); in != nil {
		spec.Price.InputPerMTok = *in * 1e6
	}
	if out := firstSet(lp.OutputCost, info.OutputCost); out != nil {
		spec.Price.OutputPerMTok = *out * 1e6
	}
	if info.MaxOutputTok != nil && *info.MaxOutputTok > 0 {
		spec.MaxOutputTokens = *info.MaxOutputTok
	}
	if mi := info.MaxInputTokens; mi != nil {
		switch {
		case *mi > 0:
			// Ours is the whole window, input and output.
			spec.ContextWindow = *mi + spec.MaxOutputTokens
		case cv.set.EnablePreCallChecks != nil && *cv.set.EnablePreCallChecks:
			d.off = true
			cv.warn(path+".model_info.max_input_tokens", "0 under enable_pre_call_checks: LiteLLM filters the deployment out of every request (any input exceeds it); left out")
		default:
			cv.warn(path+".model_info.max_input_tokens", "0: LiteLLM reads it only under enable_pre_call_checks; left unset (ours: zero means unknown)")
		}
	}
	if lp.MaxParallel != nil && *lp.MaxParallel > 0 {
		spec.MaxConcurrency = *lp.MaxParallel
		cv.warn(path+".litellm_params.max_parallel_requests", "LiteLLM queues calls past it; max_concurrency routes around the deployment instead")
	}
	if cv.enforcesLimits() {
		if rpm := firstSet(lp.RPM, d.RPM, info.RPM); rpm != nil {
			if *rpm <= 0 {
				d.off = true
				cv.warn(path+".litellm_params.rpm", "0 under enforce_model_rate_limits: LiteLLM refuses every call; left out")
			}
			spec.RPM = int(*rpm)
		}
		if tpm := firstSet(lp.TPM, d.TPM, info.TPM); tpm != nil {
			if *tpm <= 0 {
				d.off = true
				cv.warn(path+".litellm_params.tpm", "0 under enforce_model_rate_limits: LiteLLM refuses every call; left out")
			}
			spec.TPM = int(*tpm)
			if spec.TPM > 0 && spec.TPM <= 1024 {
				cv.warn(path+".litellm_params.tpm", "%d is within the output tokens a request reserves when it sets no max_tokens (1024): such requests skip this deployment, and Plan and records say so (README \"Limits and reservations\")", spec.TPM)
			}
		}
	}
	var err error
	if spec.Timeouts.Attempt, err = cv.optSeconds(path+".litellm_params.timeout", lp.Timeout); err != nil {
		return spec, err
	}
	spec.Timeouts.FirstToken, spec.Timeouts.Idle = spec.Timeouts.Attempt, spec.Timeouts.Attempt
	if lp.StreamTimeout != nil {
		st, err := cv.optSeconds(path+".litellm_params.stream_timeout", lp.StreamTimeout)
		if err != nil {
			return spec, err
		}
		spec.Timeouts.FirstToken, spec.Timeouts.Idle = st, st
	}
	allowed, allowedPath := firstSet(info.AllowedFails, lp.AllowedFails), path+".model_info.allowed_fails"
	if info.AllowedFails == nil {
		allowedPath = path + ".litellm_params.allowed_fails"
	}
	cooldown, cooldownPath := firstSet(info.CooldownTime, lp.CooldownTime), path+".model_info.cooldown_time"
	if info.CooldownTime == nil {
		cooldownPath = path + ".litellm_params.cooldown_time"
	}
	if spec.Breaker, err = cv.breaker(allowed, cooldown, allowedPath, cooldownPath, false); err != nil {
		return spec, err
	}
	for _, key := range slices.Sorted(maps.Keys(info.Rest)) {
		if !litellmInfoIgnored[key] && !strings.HasPrefix(key, "supports_") {
			return spec, cv.fail(path+".model_info."+key, "has no equivalent in a deployment")
		}
		cv.warn(path+".model_info."+key, "informational in LiteLLM (cost tracking, UI); not translated (declared capabilities here would restrict routing)")
	}
	return spec, nil
}

func (cv *converter) optSeconds(path string, s *float64) (time.Duration, error) {
	if s == nil {
		return 0, nil
	}
	return cv.seconds(path, *s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// inferProvider names the provider of a model given without a prefix, for
// the model families whose provider is plain; "" for others.
func inferProvider(model string) string {
	switch {
	case strings.HasPrefix(model, "claude"):
		return "anthropic"
	case strings.HasPrefix(model, "gemini"):
		return "gemini"
	case strings.HasPrefix(model, "gpt-"), strings.HasPrefix(model, "chatgpt"), strings.HasPrefix(model, "text-embedding"),
		len(model) > 1 && model[0] == 'o' && model[1] >= '0' && model[1] <= '9':
		return "openai"
	}
	return ""
}
