package llmrouter_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"
)

// reloadConfig is a data configuration over three fake providers: route
// "chat" over eu and us, with eu's input price given.
func reloadConfig(euPrice float64, providers map[string]llmrouter.Provider) *llmrouter.Config {
	return &llmrouter.Config{
		Deployments: []llmrouter.DeploymentSpec{
			{Name: "eu", Provider: "eu", Model: "m", Region: "eu-west-1", Price: llmrouter.Price{InputPerMTok: euPrice}},
			{Name: "us", Provider: "us", Model: "m", Region: "us-east-1"},
			{Name: "broken", Provider: "broken", Model: "m"},
		},
		Routes:    map[string]llmrouter.RouteSpec{"chat": {Tiers: [][]string{{"eu"}, {"us"}}}},
		Providers: providers,
	}
}

func fakes() map[string]llmrouter.Provider {
	return map[string]llmrouter.Provider{
		"eu": fake.New("eu"), "us": fake.New("us"),
		"broken": fake.New("broken", fake.WithDefault(fake.ServerError())),
	}
}

func TestApplySwapsVersionAndCarriesBreakers(t *testing.T) {
	ps := fakes()
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithLineage(rec),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 2}), fastRetry)
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	require.Len(t, v1.ID, 12)

	// Open broken's breaker.
	for range 3 {
		_, err := r.Chat(context.Background(), hello("broken"))
		require.Error(t, err)
	}
	require.Equal(t, llmrouter.BreakerOpen, statsOf(r, "broken").Breaker)

	v2, err := r.Apply(llmrouter.WithConfig(reloadConfig(2, ps)), llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 2}))
	require.NoError(t, err)
	require.NotEqual(t, v1.ID, v2.ID, "a price change is a new version")
	require.Equal(t, v2, r.ConfigVersion())
	require.Equal(t, llmrouter.BreakerOpen, statsOf(r, "broken").Breaker, "a deployment open before a reload is open after it")

	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	recs := rec.all()
	require.Equal(t, v1.ID, recs[0].ConfigVersion)
	require.Equal(t, v2.ID, recs[len(recs)-1].ConfigVersion)

	plan, err := r.Plan(hello("chat"), false)
	require.NoError(t, err)
	require.Equal(t, v2.ID, plan.ConfigVersion)

	// A new breaker policy gives fresh breakers.
	_, err = r.Apply(llmrouter.WithConfig(reloadConfig(2, ps)), llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 3}))
	require.NoError(t, err)
	require.Equal(t, llmrouter.BreakerClosed, statsOf(r, "broken").Breaker)
}

func statsOf(r *llmrouter.Router, name string) llmrouter.DeploymentStats {
	s, _ := r.Stats().Deployment(name)
	return s
}

func TestApplyRefusesInvalidAndKeepsServing(t *testing.T) {
	ps := fakes()
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)))
	require.NoError(t, err)
	v1 := r.ConfigVersion()

	bad := reloadConfig(1, ps)
	bad.Routes["chat"] = llmrouter.RouteSpec{Tiers: [][]string{{"eu", "nowhere"}}}
	_, err = r.Apply(llmrouter.WithConfig(bad))
	var ce *llmrouter.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "routes.chat.tiers[0][1]", ce.Field)
	require.Equal(t, v1, r.ConfigVersion())
	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)

	for field, opt := range map[string]llmrouter.Option{
		"Lineage": llmrouter.WithLineage(&recorder{}), "Clock": llmrouter.WithClock(time.Now),
		"ContentCapture": llmrouter.WithContentCapture(true), "TracerProvider": llmrouter.WithTracerProvider(noop.NewTracerProvider()),
		"MeterProvider": llmrouter.WithMeterProvider(sdkmetric.NewMeterProvider()), "StatsDecay": llmrouter.WithStatsDecay(time.Minute),
		"SharedCooldowns": llmrouter.WithSharedCooldowns(&board{}),
	} {
		_, err = r.Apply(llmrouter.WithConfig(reloadConfig(1, ps)), opt)
		require.ErrorAs(t, err, &ce, "options only New takes are refused")
		require.Equal(t, field, ce.Field)
	}
	require.Equal(t, v1, r.ConfigVersion())
}

func TestVersionIDIsContent(t *testing.T) {
	ps := fakes()
	a, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)))
	require.NoError(t, err)
	labelled := reloadConfig(1, fakes()) // other provider objects, same names
	labelled.Label = "tuesday"
	b, err := llmrouter.New(llmrouter.WithConfig(labelled))
	require.NoError(t, err)
	require.Equal(t, a.ConfigVersion().ID, b.ConfigVersion().ID, "equal content, equal ID")
	require.Equal(t, "tuesday", b.ConfigVersion().Label)
	require.Equal(t, b.ConfigVersion().ID+" (tuesday)", b.ConfigVersion().String())

	policed := reloadConfig(1, ps)
	policed.Policies = []llmrouter.PolicySpec{{MaxPrice: &llmrouter.MaxPriceSpec{Input: 3}}}
	c, err := llmrouter.New(llmrouter.WithConfig(policed))
	require.NoError(t, err)
	policed.Policies[0].MaxPrice.Input = 4
	d, err := llmrouter.New(llmrouter.WithConfig(policed))
	require.NoError(t, err)
	require.NotEqual(t, c.ConfigVersion().ID, d.ConfigVersion().ID, "a policy's values count")
}

// A deployment's Extra given as a pointer (as adapters accept) counts by
// what it points to, not by its address.
func TestVersionIDFollowsExtraPointers(t *testing.T) {
	type extra struct{ Region string }
	id := func(e any) string {
		t.Helper()
		d := dep("a", fake.New("p"))
		d.Extra = e
		r, err := llmrouter.New(llmrouter.WithDeployments(d))
		require.NoError(t, err)
		return r.ConfigVersion().ID
	}
	require.Equal(t, id(&extra{"eu"}), id(&extra{"eu"}), "equal Extra behind two pointers, equal ID")
	require.NotEqual(t, id(&extra{"eu"}), id(&extra{"us"}), "Extra's content counts")
	require.NotEqual(t, id(nil), id(&extra{"eu"}), "Extra counts at all")
}

func TestRequestsFinishOnTheVersionTheyStarted(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := fake.New("eu", fake.WithFunc(func(fake.Call) fake.Step {
		once.Do(func() { close(started); <-release })
		return fake.Reply("ok")
	}))
	ps := fakes()
	ps["eu"] = slow
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithLineage(rec))
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	done := make(chan error)
	go func() { _, err := r.Chat(context.Background(), hello("chat")); done <- err }()
	<-started
	v2, err := r.Apply(llmrouter.WithConfig(reloadConfig(5, ps)))
	require.NoError(t, err)
	close(release)
	require.NoError(t, <-done)
	recs := rec.all()
	require.Len(t, recs, 1)
	require.Equal(t, v1.ID, recs[0].ConfigVersion)
	require.NotEqual(t, v1.ID, v2.ID)
}

func TestQuotaCountersCarryOverWithoutAStore(t *testing.T) {
	clk := newClock()
	cfg := func(price float64) *llmrouter.Config {
		c := reloadConfig(price, fakes())
		c.Quotas = []llmrouter.QuotaSpec{{Per: "tenant", Limits: []llmrouter.Limit{{Requests: 5, Window: time.Hour}}}}
		return c
	}
	r, err := llmrouter.New(llmrouter.WithConfig(cfg(1)), llmrouter.WithClock(clk.Now))
	require.NoError(t, err)
	req := func() error {
		q := hello("chat")
		q.Tenant = "acme"
		_, err := r.Chat(context.Background(), q)
		return err
	}
	for range 3 {
		require.NoError(t, req())
	}
	_, err = r.Apply(llmrouter.WithConfig(cfg(2)))
	require.NoError(t, err)
	require.NoError(t, req())
	require.NoError(t, req())
	require.ErrorIs(t, req(), llmrouter.ErrQuotaExceeded, "the tenant's count survived the reload")
}

func TestCanarySplitsStickyByTenantThenPromotes(t *testing.T) {
	ps := fakes()
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithLineage(rec))
	require.NoError(t, err)
	v1 := r.ConfigVersion()

	_, err = r.Canary(0, llmrouter.WithConfig(reloadConfig(2, ps)))
	require.Error(t, err, "a share outside (0, 1] is refused")
	cand, err := r.Canary(0.25, llmrouter.WithConfig(reloadConfig(2, ps)))
	require.NoError(t, err)
	got, share, running := r.CanaryStatus()
	require.True(t, running)
	require.Equal(t, cand, got)
	require.Equal(t, 0.25, share)
	_, err = r.Apply(llmrouter.WithConfig(reloadConfig(3, ps)))
	require.ErrorIs(t, err, llmrouter.ErrCanaryRunning)
	_, err = r.Rollback(v1.ID)
	require.ErrorIs(t, err, llmrouter.ErrCanaryRunning)

	const tenants = 2000
	byTenant := map[string]string{}
	for round := range 2 {
		for i := range tenants {
			q := hello("chat")
			q.Tenant = "t" + strconv.Itoa(i)
			_, err := r.Chat(context.Background(), q)
			require.NoError(t, err)
			recs := rec.all()
			v := recs[len(recs)-1].ConfigVersion
			if round == 1 {
				require.Equal(t, byTenant[q.Tenant], v, "a tenant stays on one version")
			}
			byTenant[q.Tenant] = v
		}
	}
	onCand := 0
	for _, v := range byTenant {
		require.Contains(t, []string{v1.ID, cand.ID}, v)
		if v == cand.ID {
			onCand++
		}
	}
	require.InDelta(t, 0.25*tenants, onCand, 0.05*tenants, "about a quarter of tenants on the candidate")

	promoted, err := r.Promote()
	require.NoError(t, err)
	require.Equal(t, cand, promoted)
	require.Equal(t, cand, r.ConfigVersion())
	_, _, running = r.CanaryStatus()
	require.False(t, running)
	_, err = r.Promote()
	require.ErrorIs(t, err, llmrouter.ErrNoCanary)

	_, err = r.Canary(1, llmrouter.WithConfig(reloadConfig(3, ps)))
	require.NoError(t, err)
	require.NoError(t, r.AbortCanary())
	require.ErrorIs(t, r.AbortCanary(), llmrouter.ErrNoCanary)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	recs := rec.all()
	require.Equal(t, cand.ID, recs[len(recs)-1].ConfigVersion, "after an abort the serving version serves all")
}

func TestRollbackAndKeptVersions(t *testing.T) {
	ps := fakes()
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)))
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	for i := 2; i <= 12; i++ {
		_, err := r.Apply(llmrouter.WithConfig(reloadConfig(float64(i), ps)))
		require.NoError(t, err)
	}
	kept := r.Versions()
	require.Len(t, kept, llmrouter.KeepVersions)
	require.Equal(t, r.ConfigVersion(), kept[0], "newest first")
	_, err = r.Rollback(v1.ID)
	require.Error(t, err, "v1 is no longer kept")
	back, err := r.Rollback(kept[3].ID)
	require.NoError(t, err)
	require.Equal(t, kept[3].ID, back.ID)
	require.Equal(t, back, r.ConfigVersion())
}

// TestReloadUnderLoad applies the configuration 100 times, every fifth one
// invalid, while 10,000 requests run: every record carries one version that
// was applied, none is lost, no request fails because of a swap.
func TestReloadUnderLoad(t *testing.T) {
	ps := fakes()
	var mu sync.Mutex
	valid := map[string]bool{}
	var records atomic.Int64
	var bad atomic.Int64
	sink := llmrouter.SinkFunc(func(_ context.Context, rec *llmrouter.Record) {
		records.Add(1)
		mu.Lock()
		ok := valid[rec.ConfigVersion]
		mu.Unlock()
		if !ok || rec.Outcome != llmrouter.OutcomeSuccess {
			bad.Add(1)
		}
	})
	bp := llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 2})
	mu.Lock()
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithLineage(sink), bp, fastRetry)
	require.NoError(t, err)
	valid[r.ConfigVersion().ID] = true
	mu.Unlock()
	for range 2 {
		_, _ = r.Chat(context.Background(), hello("broken"))
	}
	require.Equal(t, llmrouter.BreakerOpen, statsOf(r, "broken").Breaker)
	records.Store(0)
	bad.Store(0)

	const requests, workers = 10000, 8
	var wg sync.WaitGroup
	var failed atomic.Int64
	next := atomic.Int64{}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= requests {
				if _, err := r.Chat(context.Background(), hello("chat")); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	refused := 0
	for i := range 100 {
		cfg := reloadConfig(float64(i+2), ps)
		if i%5 == 4 {
			cfg.Routes["chat"] = llmrouter.RouteSpec{Tiers: [][]string{{"eu", "missing-" + strconv.Itoa(i)}}}
		}
		mu.Lock() // a version is valid before any request can carry it
		v, err := r.Apply(llmrouter.WithConfig(cfg), bp)
		if err == nil {
			valid[v.ID] = true
		}
		mu.Unlock()
		if err != nil {
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			refused++
		}
		time.Sleep(50 * time.Microsecond)
	}
	wg.Wait()
	require.Equal(t, 20, refused)
	require.Zero(t, failed.Load(), "no request fails because of a swap")
	require.EqualValues(t, requests, records.Load(), "one record per request")
	require.Zero(t, bad.Load(), "every record carries an applied version and succeeded")
	require.Equal(t, llmrouter.BreakerOpen, statsOf(r, "broken").Breaker, "the breaker stayed open across 80 reloads")
	fmt.Printf("reload-under-load: requests=%d applies=100 refused=%d records=%d failed=%d\n", requests, refused, records.Load(), failed.Load())
}

// TestStreamsFinishOnTheVersionTheyStarted: a stream opened before a
// reload reads to its end on its version, and its record names it.
func TestStreamsFinishOnTheVersionTheyStarted(t *testing.T) {
	ps := fakes()
	ps["eu"] = fake.New("eu", fake.WithDefault(fake.Step{Text: "one two three four", Chunks: 4}))
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithLineage(rec))
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	require.True(t, s.Next())
	v2, err := r.Apply(llmrouter.WithConfig(reloadConfig(7, ps)))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	recs := rec.all()
	require.Len(t, recs, 2)
	require.Equal(t, v1.ID, recs[0].ConfigVersion, "the stream's record names the version it started on")
	require.Equal(t, v2.ID, recs[1].ConfigVersion)
}
