package config

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
)

// LiteLLM's defaults where ours differ (litellm/router.py Router.__init__
// and litellm/router_utils/cooldown_handlers.py, at BerriAI/litellm
// f292d1a and 04f2117).
const (
	litellmNumRetries   = 2               // openai.DEFAULT_MAX_RETRIES
	litellmCooldown     = 5 * time.Second // DEFAULT_COOLDOWN_TIME_SECONDS
	litellmMaxFallbacks = 5               // ROUTER_MAX_FALLBACKS
)

// litellmIgnored are settings with no bearing on routing (logging,
// caching, the proxy's own services): warned about, not translated.
var litellmIgnored = map[string]bool{
	"redis_host": true, "redis_port": true, "redis_password": true, "redis_url": true, "cache_responses": true,
	"cache_kwargs": true, "set_verbose": true, "debug_level": true, "alerting_config": true, "drop_params": true,
	"json_logs": true, "success_callback": true, "failure_callback": true, "callbacks": true, "service_callback": true,
	"cache": true, "cache_params": true, "turn_off_message_logging": true, "telemetry": true, "modify_params": true,
	"ssl_verify": true, "client_ttl": true, "routing_strategy_args": true,
}

// litellmRefused are routing settings with no equivalent here, and what to
// use instead.
var litellmRefused = map[string]string{
	"model_group_retry_policy":      "retries per kind are router-wide here (retry.retries_per_kind)",
	"allowed_fails_policy":          "breakers count failures of every kind alike here; use allowed_fails (breaker.failures) router-wide or per deployment",
	"model_group_alias":             "name the route you mean, or add a route with the alias's name",
	"retry_after":                   "backoff is retry.initial_backoff and retry.max_backoff here, and a provider's Retry-After is always honoured",
	"enable_tag_filtering":          "route on deployment labels with a labels policy instead",
	"provider_budget_config":        "use quotas with a usd limit",
	"default_max_parallel_requests": "set max_concurrency on each deployment",
}

// litellmRetryKinds are retry_policy's keys and the kinds each sets
// (litellm/router_utils/get_retry_from_policy.py).
var litellmRetryKinds = map[string][]llmrouter.Kind{
	"RateLimitErrorRetries":              {llmrouter.KindRateLimited},
	"TimeoutErrorRetries":                {llmrouter.KindTimeout},
	"AuthenticationErrorRetries":         {llmrouter.KindAuth},
	"ContentPolicyViolationErrorRetries": {llmrouter.KindContentPolicy},
	"NotFoundErrorRetries":               {llmrouter.KindNotFound},
	// ContextWindowExceededError is a BadRequestError in LiteLLM, and
	// matched as one.
	"BadRequestErrorRetries": {llmrouter.KindBadRequest, llmrouter.KindContextLength},
}

// settings merges router_settings over litellm_settings (the Router uses
// its own argument, else the litellm.* default the other section sets) and
// checks every key.
func (cv *converter) settings() error {
	for _, sec := range []struct {
		name string
		s    *litellmSettings
	}{{"litellm_settings", &cv.src.LiteLLMSettings}, {"router_settings", &cv.src.RouterSettings}} {
		for _, key := range slices.Sorted(maps.Keys(sec.s.Rest)) {
			path := sec.name + "." + key
			if why, ok := litellmRefused[key]; ok {
				return cv.fail(path, "has no equivalent; "+why)
			}
			if !litellmIgnored[key] {
				return cv.fail(path, "unknown LiteLLM setting, or one with no translation")
			}
			cv.warn(path, "no bearing on routing, ignored")
		}
	}
	if len(cv.src.Rest) > 0 {
		return cv.fail(slices.Min(slices.Collect(maps.Keys(cv.src.Rest))), "unknown top-level section; want model_list, router_settings, litellm_settings, general_settings, environment_variables")
	}
	cv.set = mergeSettings(&cv.src.RouterSettings, &cv.src.LiteLLMSettings)
	for i, check := range cv.set.OptionalPreCallChecks {
		if check != "enforce_model_rate_limits" {
			return cv.fail(cv.set.from["optional_pre_call_checks"]+"["+strconv.Itoa(i)+"]", strconv.Quote(check)+" has no equivalent; only enforce_model_rate_limits (per-deployment rpm and tpm limits) has one")
		}
	}
	return nil
}

// mergeSettings returns every setting of r, else of l (router_settings
// over litellm_settings), with the section each came from in from, keyed
// by its yaml name. request_timeout stands in for an unset timeout.
func mergeSettings(r, l *litellmSettings) litellmSettings {
	s := litellmSettings{from: map[string]string{}}
	out, sections := reflect.ValueOf(&s).Elem(), [...]struct {
		name string
		v    reflect.Value
	}{{"router_settings", reflect.ValueOf(r).Elem()}, {"litellm_settings", reflect.ValueOf(l).Elem()}}
	for i := range out.NumField() {
		key, _, _ := strings.Cut(out.Type().Field(i).Tag.Get("yaml"), ",")
		if key == "" { // Rest, and the unexported from
			continue
		}
		for _, sec := range sections {
			if v := sec.v.Field(i); !v.IsNil() { // every setting is a pointer, slice or map
				out.Field(i).Set(v)
				s.from[key] = sec.name + "." + key
				break
			}
		}
	}
	if s.Timeout == nil && s.RequestTimeout != nil {
		s.Timeout, s.from["timeout"] = s.RequestTimeout, s.from["request_timeout"]
	}
	return s
}

// enforcesLimits reports whether LiteLLM enforces deployments' rpm and
// tpm as limits (litellm/router_utils/pre_call_checks/
// model_rate_limit_check.py); otherwise simple-shuffle only weighs by
// them.
func (cv *converter) enforcesLimits() bool {
	return slices.Contains(cv.set.OptionalPreCallChecks, "enforce_model_rate_limits")
}

// strategy maps routing_strategy (default simple-shuffle).
func (cv *converter) strategy() (string, error) {
	if cv.set.RoutingStrategy == nil {
		return "weighted_random", nil
	}
	switch s := *cv.set.RoutingStrategy; s {
	case "simple-shuffle":
		return "weighted_random", nil
	case "least-busy":
		return "least_busy", nil
	case "latency-based-routing":
		return "least_latency", nil
	case "cost-based-routing":
		return "cheapest", nil
	case "usage-based-routing", "usage-based-routing-v2":
		return "", cv.fail(cv.set.from["routing_strategy"], strconv.Quote(s)+" has no equivalent; use simple-shuffle with rpm/tpm (weights) and optional_pre_call_checks: [enforce_model_rate_limits] (limits the router routes around), or least-busy")
	default:
		return "", cv.fail(cv.set.from["routing_strategy"], "unknown strategy "+strconv.Quote(s)+"; LiteLLM's are simple-shuffle, least-busy, latency-based-routing, cost-based-routing, usage-based-routing(-v2)")
	}
}

// reliability translates retries, timeouts, cooldowns and pre-call checks
// into router-wide settings.
func (cv *converter) reliability() error {
	cfg, s := &cv.out.Config, &cv.set
	retries := litellmNumRetries
	if s.NumRetries != nil {
		if *s.NumRetries < 0 {
			return cv.fail(s.from["num_retries"], "negative")
		}
		retries = *s.NumRetries
	}
	// LiteLLM retries a model group num_retries times, then falls back;
	// each fallback group gets as many.
	cfg.Retry.RouteAttempts = retries + 1
	fallbacks := litellmMaxFallbacks
	if s.MaxFallbacks != nil {
		fallbacks = max(*s.MaxFallbacks, 0)
	}
	cfg.Retry.MaxAttempts = (retries + 1) * (1 + fallbacks)
	if len(s.RetryPolicy) > 0 {
		cfg.Retry.RetriesPerKind = map[llmrouter.Kind]int{}
		for _, key := range slices.Sorted(maps.Keys(s.RetryPolicy)) {
			path := s.from["retry_policy"] + "." + key
			n := s.RetryPolicy[key]
			if n < 0 {
				return cv.fail(path, "negative")
			}
			switch kinds, ok := litellmRetryKinds[key]; {
			case ok:
				for _, k := range kinds {
					cfg.Retry.RetriesPerKind[k] = n
				}
			case key == "InternalServerErrorRetries":
				cv.warn(path, "LiteLLM's get_num_retries_from_retry_policy does not read it (num_retries applies); ignored likewise")
			default:
				return cv.fail(path, "unknown retry_policy key; LiteLLM's are RateLimitErrorRetries, TimeoutErrorRetries, AuthenticationErrorRetries, ContentPolicyViolationErrorRetries, NotFoundErrorRetries, BadRequestErrorRetries")
			}
		}
	}
	if s.Timeout != nil {
		d, err := cv.seconds(s.from["timeout"], *s.Timeout)
		if err != nil {
			return err
		}
		cfg.Timeouts.Attempt = d
		// LiteLLM's timeout is the HTTP client's: for a stream, the wait
		// for each read, unless stream_timeout is set.
		cfg.Timeouts.FirstToken, cfg.Timeouts.Idle = d, d
	}
	if s.StreamTimeout != nil {
		d, err := cv.seconds(s.from["stream_timeout"], *s.StreamTimeout)
		if err != nil {
			return err
		}
		cfg.Timeouts.FirstToken, cfg.Timeouts.Idle = d, d
	}
	if s.DisableCooldowns != nil && *s.DisableCooldowns {
		cfg.Breaker.Disabled = true
	} else {
		b, err := cv.breaker(s.AllowedFails, s.CooldownTime, s.from["allowed_fails"], s.from["cooldown_time"], true)
		if err != nil {
			return err
		}
		cfg.Breaker = b
	}
	if s.EnablePreCallChecks != nil && *s.EnablePreCallChecks {
		cfg.Policies = append(cfg.Policies, llmrouter.PolicySpec{ContextFits: true})
	}
	return nil
}

// breaker translates allowed_fails and cooldown_time. LiteLLM cools a
// deployment down for cooldown_time once more than allowed_fails of its
// calls fail within a minute; without allowed_fails (router-wide), once
// more than half of the minute's calls fail, two calls at least
// (cooldown_handlers.py _should_cooldown_deployment).
func (cv *converter) breaker(allowed *int, cooldown *float64, allowedPath, cooldownPath string, routerWide bool) (llmrouter.BreakerPolicy, error) {
	var b llmrouter.BreakerPolicy
	if cooldown != nil {
		d, err := cv.seconds(cooldownPath, *cooldown)
		if err != nil {
			return b, err
		}
		b.OpenFor = d
	} else if routerWide {
		b.OpenFor = litellmCooldown
	}
	switch {
	case allowed != nil && *allowed < 0:
		return b, cv.fail(allowedPath, "negative")
	case allowed != nil:
		b.Failures = uint32(*allowed) + 1
		b.Interval = time.Minute
	case routerWide:
		b.FailureRatio = math.Nextafter(0.5, 1) // more than half
		b.MinRequests = 2
		b.Interval = time.Minute
	}
	return b, nil
}

// seconds turns LiteLLM's seconds (a float) into a duration.
func (cv *converter) seconds(path string, s float64) (time.Duration, error) {
	if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, cv.fail(path, "must be a positive number of seconds")
	}
	d := time.Duration(s * float64(time.Second))
	if d < time.Millisecond {
		return 0, cv.fail(path, "under a millisecond")
	}
	return d, nil
}

// firstSet returns the first of vs that is set, or nil.
func firstSet[T any](vs ...*T) *T {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}
