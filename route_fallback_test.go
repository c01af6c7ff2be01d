package llmrouter_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Route-level fallbacks (Route.Fallback, Route.FallbackOn) and the
// per-route retry bounds (RetryPolicy.RouteAttempts, RetriesPerKind): the
// library side of LiteLLM's fallbacks, default_fallbacks,
// context_window_fallbacks, content_policy_fallbacks, num_retries and
// retry_policy (config/litellm.go translates them).

func TestRouteFallbackWhenRequestNamesNone(t *testing.T) {
	down := fake.New("down", fake.WithDefault(fake.Fail(llmrouter.KindServer, 500)))
	up := fake.New("up")
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", down), dep("b", up), dep("c", up)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}}, Fallback: []string{"big"}}),
		llmrouter.WithRoute("big", llmrouter.Route{Tiers: [][]string{{"b"}}}),
		llmrouter.WithRoute("other", llmrouter.Route{Tiers: [][]string{{"c"}}}),
		llmrouter.WithLineage(rec), fastRetry)
	require.NoError(t, err)

	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	assert.Equal(t, []string{"big"}, rec.all()[0].Fallbacks)

	// A request's own Fallback replaces the route's.
	req := hello("chat")
	req.Fallback = []string{"other"}
	resp, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "c", resp.Deployment)
}

func TestFallbackOnKindEndsTheRouteAndTakesItsList(t *testing.T) {
	cases := []struct {
		name string
		kind llmrouter.Kind
		code int
		want string // deployment that answers; "" for ErrNoRoute
	}{
		{"context length goes to the long-context route", llmrouter.KindContextLength, 400, "long"},
		{"a refusal goes to the lenient route", llmrouter.KindContentPolicy, 400, "lenient"},
		{"a kind with an empty list ends the request", llmrouter.KindNotFound, 404, ""},
		{"other failures take the general list", llmrouter.KindServer, 500, "general"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := fake.New("bad", fake.WithDefault(fake.Fail(tc.kind, tc.code)))
			sibling := fake.New("sibling")
			good := fake.New("good")
			r, err := llmrouter.New(
				llmrouter.WithDeployments(dep("a", bad), dep("a2", sibling), dep("long", good), dep("lenient", good), dep("general", good)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"a2"}}, Fallback: []string{"general"},
					FallbackOn: map[llmrouter.Kind][]string{
						llmrouter.KindContextLength: {"long"},
						llmrouter.KindContentPolicy: {"lenient"},
						llmrouter.KindNotFound:      {},
					}}),
				fastRetry)
			require.NoError(t, err)
			resp, err := r.Chat(context.Background(), hello("chat"))
			if tc.kind != llmrouter.KindServer {
				assert.Zero(t, sibling.CallCount(), "a kind FallbackOn names ends the route at once")
			}
			if tc.want == "" {
				require.ErrorIs(t, err, llmrouter.ErrNoRoute)
				return
			}
			require.NoError(t, err)
			if tc.kind == llmrouter.KindServer {
				assert.Equal(t, "a2", resp.Deployment, "general failures still fail over within the route first")
				return
			}
			assert.Equal(t, tc.want, resp.Deployment)
		})
	}
}

func TestFallbackOnContentPolicyCountsAFilteredAnswer(t *testing.T) {
	filtered := fake.New("f", fake.WithDefault(fake.Step{FinishReason: llmrouter.FinishContentFilter}))
	good := fake.New("g")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", filtered), dep("b", good)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}},
			FallbackOn: map[llmrouter.Kind][]string{llmrouter.KindContentPolicy: {"b"}}}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
}

func TestRouteAttemptsMovesToFallbackRoute(t *testing.T) {
	// Three deployments failing on the route; RouteAttempts 2 (LiteLLM's
	// num_retries: 1) moves the request on after two calls.
	down := fake.New("down", fake.WithDefault(fake.Fail(llmrouter.KindServer, 500)))
	up := fake.New("up")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", down), dep("b", down), dep("c", down), dep("z", up)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}, {"c"}}, Fallback: []string{"z"}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{RouteAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "z", resp.Deployment)
	assert.Equal(t, 2, down.CallCount())
}

func TestRetriesPerKind(t *testing.T) {
	t.Run("zero retries of a kind moves on at its first failure", func(t *testing.T) {
		limited := fake.New("limited", fake.WithDefault(fake.Fail(llmrouter.KindRateLimited, 429)))
		sibling := fake.New("sibling")
		up := fake.New("up")
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", limited), dep("a2", sibling), dep("z", up)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"a2"}}, Fallback: []string{"z"}}),
			llmrouter.WithRetry(llmrouter.RetryPolicy{RetriesPerKind: map[llmrouter.Kind]int{llmrouter.KindRateLimited: 0}}))
		require.NoError(t, err)
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "z", resp.Deployment)
		assert.Zero(t, sibling.CallCount())
	})
	t.Run("a stopping kind with retries is retried on the route", func(t *testing.T) {
		// LiteLLM's ContentPolicyViolationErrorRetries: 1.
		refuses := fake.New("refuses", fake.WithScript(fake.Fail(llmrouter.KindContentPolicy, 400)))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", refuses)),
			llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
				RetriesPerKind: map[llmrouter.Kind]int{llmrouter.KindContentPolicy: 1}}))
		require.NoError(t, err)
		resp, err := r.Chat(context.Background(), hello("a"))
		require.NoError(t, err)
		assert.Equal(t, "a", resp.Deployment)
		assert.Equal(t, 2, refuses.CallCount())
	})
}

func TestDeploymentTimeoutsOverTheRouters(t *testing.T) {
	// The deployment's own attempt (or first-token) timeout fails it over;
	// the router has none.
	for _, tc := range []struct {
		name     string
		timeouts llmrouter.Timeouts
		stream   bool
	}{
		{"attempt", llmrouter.Timeouts{Attempt: 20 * time.Millisecond}, false},
		{"first token of a stream", llmrouter.Timeouts{FirstToken: 20 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slow := fake.New("slow", fake.WithDefault(fake.Hang()))
			up := fake.New("up")
			a := dep("a", slow)
			a.Timeouts = tc.timeouts
			r, err := llmrouter.New(llmrouter.WithDeployments(a, dep("b", up)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
				llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if !tc.stream {
				resp, err := r.Chat(ctx, hello("chat"))
				require.NoError(t, err, "the deployment's own attempt timeout fails it over; the router has none")
				assert.Equal(t, "b", resp.Deployment)
				return
			}
			s, err := r.ChatStream(ctx, hello("chat"))
			require.NoError(t, err)
			assert.Equal(t, "b", s.Deployment())
			for s.Next() {
			}
			require.NoError(t, s.Close())
		})
	}
}

func TestDeploymentBreakerFailures(t *testing.T) {
	// A deployment that trips after 2 failures in its interval (LiteLLM's
	// allowed_fails: 1), successes between them or not; the router's
	// breaker would wait for 5 in a row.
	var n int
	flaky := fake.New("flaky", fake.WithFunc(func(fake.Call) fake.Step {
		n++
		if n%2 == 1 {
			return fake.Fail(llmrouter.KindServer, 500)
		}
		return fake.Reply("ok")
	}))
	a := dep("a", flaky)
	a.Breaker = llmrouter.BreakerPolicy{Failures: 2}
	r, err := llmrouter.New(llmrouter.WithDeployments(a), llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}))
	require.NoError(t, err)
	for range 3 { // fail, ok, fail: two failures
		_, _ = r.Chat(context.Background(), hello("a"))
	}
	assert.Equal(t, llmrouter.BreakerOpen, r.Stats().Deployments[0].Breaker)
}

func TestRouteFallbackValidation(t *testing.T) {
	p := fake.New("p")
	route := func(rt llmrouter.Route) llmrouter.Option { return llmrouter.WithRoute("chat", rt) }
	perKind := func(k llmrouter.Kind, n int) llmrouter.Option {
		return llmrouter.WithRetry(llmrouter.RetryPolicy{RetriesPerKind: map[llmrouter.Kind]int{k: n}})
	}
	totalTimeout := dep("c", p)
	totalTimeout.Timeouts.Total = time.Second
	cases := []struct {
		name  string
		opt   llmrouter.Option
		field string
	}{
		{"unknown", route(llmrouter.Route{Tiers: [][]string{{"a"}}, Fallback: []string{"nope"}}), `Routes["chat"].Fallback[0]`},
		{"itself", route(llmrouter.Route{Tiers: [][]string{{"a"}}, Fallback: []string{"chat"}}), `Routes["chat"].Fallback[0]`},
		{"twice", route(llmrouter.Route{Tiers: [][]string{{"a"}}, Fallback: []string{"b", "b"}}), `Routes["chat"].Fallback[1]`},
		{"canceled", route(llmrouter.Route{Tiers: [][]string{{"a"}}, FallbackOn: map[llmrouter.Kind][]string{llmrouter.KindCanceled: {"b"}}}), `Routes["chat"].FallbackOn[canceled]`},
		{"unknown kind", route(llmrouter.Route{Tiers: [][]string{{"a"}}, FallbackOn: map[llmrouter.Kind][]string{llmrouter.KindUnknown: {"b"}}}), `Routes["chat"].FallbackOn[unknown]`},
		{"kind past the last", route(llmrouter.Route{Tiers: [][]string{{"a"}}, FallbackOn: map[llmrouter.Kind][]string{99: {"b"}}}), `Routes["chat"].FallbackOn[kind(99)]`},
		{"deployment total timeout", llmrouter.WithDeployments(totalTimeout), "Deployments[2].Timeouts.Total"},
		{"negative retries", perKind(llmrouter.KindServer, -1), "Retry.RetriesPerKind[server]"},
		{"retries of an unknown kind", perKind(llmrouter.KindUnknown, 1), "Retry.RetriesPerKind[unknown]"},
		{"retries of a kind past the last", perKind(99, 1), "Retry.RetriesPerKind[kind(99)]"},
		{"retries of cancellations", perKind(llmrouter.KindCanceled, 1), "Retry.RetriesPerKind[canceled]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", p)), tc.opt)
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

func TestRetryPolicyZeroCoversEveryField(t *testing.T) {
	// isZero lists RetryPolicy's fields by hand (a map makes it
	// incomparable): a field added without it would be dropped from data
	// configurations. Setting any one field must make the policy non-zero.
	rt := reflect.TypeOf(llmrouter.RetryPolicy{})
	for i := range rt.NumField() {
		var p llmrouter.RetryPolicy
		f := reflect.ValueOf(&p).Elem().Field(i)
		switch f.Kind() {
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		case reflect.Struct:
			f.Field(0).SetFloat(1)
		case reflect.Int, reflect.Int64:
			f.SetInt(1)
		default:
			t.Fatalf("field %s of kind %s: teach this test", rt.Field(i).Name, f.Kind())
		}
		assert.False(t, llmrouter.RetryPolicyIsZero(p), rt.Field(i).Name)
	}
}
