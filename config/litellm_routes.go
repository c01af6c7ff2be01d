package config

import (
	"slices"
	"strconv"

	"github.com/llmrouter/llmrouter"
)

// routes makes a route of every model group: its deployments LiteLLM may
// pick, weighted as simple-shuffle weighs them, in tiers by order.
func (cv *converter) routes() error {
	strategy, err := cv.strategy()
	if err != nil {
		return err
	}
	cv.out.Config.Routes = map[string]llmrouter.RouteSpec{}
	for _, g := range cv.groups {
		members := cv.members[g]
		if strategy == "weighted_random" {
			if err := cv.shuffleWeights(g, members); err != nil {
				return err
			}
		}
		var on []*litellmDeployment
		for _, d := range members {
			if !d.off {
				on = append(on, d)
			}
		}
		if len(on) == 0 {
			return cv.fail(members[0].path+".model_name", "every deployment of model group "+strconv.Quote(g)+" is switched off (see the warnings); LiteLLM fails every request to it")
		}
		tiers, err := cv.tiers(on)
		if err != nil {
			return err
		}
		rs := llmrouter.RouteSpec{Tiers: tiers}
		if strategy != "weighted_random" {
			rs.Strategy = strategy
		}
		cv.out.Config.Routes[g] = rs
	}
	// Deployments LiteLLM never calls are left out of the catalog too;
	// deployments() wrote it in model_list order, one spec an entry.
	kept := cv.out.Config.Deployments[:0]
	for i, spec := range cv.out.Config.Deployments {
		if d := &cv.src.ModelList[i]; !d.off {
			spec.Weight = d.weight
			kept = append(kept, spec)
		}
	}
	cv.out.Config.Deployments = kept
	return cv.fallbacks()
}

// shuffleWeights sets the weights simple-shuffle picks by
// (litellm/router_strategy/simple_shuffle.py): the first deployment's
// weight key decides, weight before rpm before tpm; a deployment without
// that key, or with 0, is never picked.
func (cv *converter) shuffleWeights(g string, members []*litellmDeployment) error {
	keys := []struct {
		name string
		get  func(*litellmParams) *float64
	}{
		{"weight", func(p *litellmParams) *float64 { return p.Weight }},
		{"rpm", func(p *litellmParams) *float64 { return p.RPM }},
		{"tpm", func(p *litellmParams) *float64 { return p.TPM }},
	}
	first := members[0]
	for _, key := range keys {
		if key.get(&first.Params) == nil {
			// The first deployment does not set it: LiteLLM ignores it
			// while that deployment is healthy, and weighs by it when it
			// is not. No translation keeps that.
			for _, d := range members[1:] {
				if key.get(&d.Params) != nil {
					return cv.fail(d.path+".litellm_params."+key.name,
						"set here but not on "+first.path+", the first deployment of model group "+strconv.Quote(g)+
							": LiteLLM then ignores "+key.name+" while that one is healthy and weighs by it when it is not; set "+key.name+" on every deployment of the group (0 switches one off)")
				}
			}
			continue
		}
		for _, d := range members {
			path := d.path + ".litellm_params." + key.name
			switch v := key.get(&d.Params); {
			case v == nil:
				d.off = true
				cv.warn(d.path, "no %s beside weighted siblings in model group %q: simple-shuffle gives it weight 0 and never picks it; left out", key.name, g)
			case *v <= 0:
				d.off = true
				cv.warn(path, "%v: simple-shuffle never picks a deployment of weight 0; left out (here zero means \"not set\")", *v)
			default:
				d.weight = *v
			}
		}
		return nil
	}
	return nil
}

// tiers orders deployments by litellm_params.order (1 first); without
// order, one tier.
func (cv *converter) tiers(ds []*litellmDeployment) ([][]string, error) {
	byOrder := map[int][]string{}
	var orders []int
	for _, d := range ds {
		o := 0
		if d.Params.Order != nil {
			o = *d.Params.Order
		}
		if (d.Params.Order == nil) != (ds[0].Params.Order == nil) {
			return nil, cv.fail(d.path+".litellm_params.order", "set on some deployments of model group "+strconv.Quote(d.ModelName)+" but not all; give each an order")
		}
		if _, ok := byOrder[o]; !ok {
			orders = append(orders, o)
		}
		byOrder[o] = append(byOrder[o], d.name)
	}
	slices.Sort(orders)
	tiers := make([][]string, 0, len(orders))
	for _, o := range orders {
		tiers = append(tiers, byOrder[o])
	}
	return tiers, nil
}

// fallbacks translates fallbacks, default_fallbacks,
// context_window_fallbacks and content_policy_fallbacks into each route's
// Fallback and FallbackOn. LiteLLM tries a fallback group with its own
// fallbacks before the next (router_utils/fallback_event_handlers.py
// run_async_fallback), so each list is that walk, flattened.
func (cv *converter) fallbacks() error {
	s := &cv.set
	general, err := cv.fallbackMap(s.from["fallbacks"], s.Fallbacks)
	if err != nil {
		return err
	}
	if s.DefaultFallbacks != nil {
		for i, name := range s.DefaultFallbacks {
			if err := cv.known(s.from["default_fallbacks"]+"["+strconv.Itoa(i)+"]", name); err != nil {
				return err
			}
		}
		general["*"] = s.DefaultFallbacks // appended last: it wins over a "*" in fallbacks
	}
	ctxWindow, err := cv.fallbackMap(s.from["context_window_fallbacks"], s.ContextWindowFallbacks)
	if err != nil {
		return err
	}
	content, err := cv.fallbackMap(s.from["content_policy_fallbacks"], s.ContentPolicyFallbacks)
	if err != nil {
		return err
	}
	limit := llmrouter.MaxFallbacks
	if s.MaxFallbacks != nil {
		limit = min(limit, max(*s.MaxFallbacks, 0))
	}
	for _, g := range cv.groups {
		rs := cv.out.Config.Routes[g]
		rs.Fallback = cv.walk(g, general, true, limit)
		// Configured at all, they replace the general fallbacks for
		// their kind; a group without an entry then ends the request
		// (router.py async_function_with_fallbacks_common_utils).
		if s.ContextWindowFallbacks != nil || s.ContentPolicyFallbacks != nil {
			rs.FallbackOn = map[string][]string{}
		}
		if s.ContextWindowFallbacks != nil {
			rs.FallbackOn[llmrouter.KindContextLength.String()] = orEmpty(cv.walk(g, ctxWindow, false, limit))
		}
		if s.ContentPolicyFallbacks != nil {
			rs.FallbackOn[llmrouter.KindContentPolicy.String()] = orEmpty(cv.walk(g, content, false, limit))
		}
		cv.out.Config.Routes[g] = rs
	}
	return nil
}

// fallbackMap reads a LiteLLM fallback list: [{group: [groups]}, ...].
// The first entry of a group counts, as in LiteLLM; "*" is the default.
func (cv *converter) fallbackMap(path string, list []map[string][]string) (map[string][]string, error) {
	m := map[string][]string{}
	for i, item := range list {
		ip := path + "[" + strconv.Itoa(i) + "]"
		if len(item) != 1 {
			return nil, cv.fail(ip, "want one model group and its fallbacks, as {\"gpt-4\": [\"claude\"]}")
		}
		for g, to := range item {
			if g != "*" {
				if err := cv.known(ip+"."+g, g); err != nil {
					return nil, err
				}
			}
			for j, name := range to {
				if err := cv.known(ip+"."+g+"["+strconv.Itoa(j)+"]", name); err != nil {
					return nil, err
				}
			}
			if _, dup := m[g]; !dup || g == "*" {
				m[g] = to
			}
		}
	}
	return m, nil
}

// known checks that name is a model group or a deployment (model_info.id).
func (cv *converter) known(path, name string) error {
	if _, ok := cv.out.Config.Routes[name]; ok {
		return nil
	}
	for _, d := range cv.out.Config.Deployments {
		if d.Name == name {
			return nil
		}
	}
	for _, d := range cv.src.ModelList {
		if d.name == name && d.off {
			return cv.fail(path, "deployment "+strconv.Quote(name)+" is switched off (see the warnings)")
		}
	}
	return cv.fail(path, "unknown model group or model id "+strconv.Quote(name))
}

// walk flattens the fallbacks of group g: each fallback, then its own,
// depth first, skipping g and repeats, at most limit names.
func (cv *converter) walk(g string, m map[string][]string, useDefault bool, limit int) []string {
	var out []string
	of := func(x string) []string {
		if to, ok := m[x]; ok {
			return to
		}
		if useDefault {
			return m["*"]
		}
		return nil
	}
	var visit func(x string)
	visit = func(x string) {
		for _, f := range of(x) {
			if f == g || slices.Contains(out, f) || len(out) >= limit {
				continue
			}
			out = append(out, f)
			visit(f)
		}
	}
	visit(g)
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
