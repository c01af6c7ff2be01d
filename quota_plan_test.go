package llmrouter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An RPM and a TPM limit of the same length share one window per bucket:
// both count in it, the one reached first refuses (and is named), a
// refusal charges neither, and a request settled after the next window
// began charges the window it was reserved in, not the new one.
func TestRPMAndTPMShareAWindowAcrossItsBoundary(t *testing.T) {
	clk := newClock()
	clk.Advance(59*time.Second + 900*time.Millisecond) // 100ms before the minute ends
	store := llmrouter.NewMemoryQuotaStore()
	small := func() *llmrouter.Request { // reserves its input and 100 output tokens
		req := tenantReq("a", "acme")
		req.MaxOutputTokens = 100
		return req
	}
	var r *llmrouter.Router
	var inner error
	nested := true
	p := &funcProvider{name: "p", chat: func(ctx context.Context) (*llmrouter.Response, error) {
		if nested {
			// While this request is in flight, the minute ends and another
			// request starts the next window.
			nested = false
			clk.Advance(200 * time.Millisecond)
			_, inner = r.Chat(ctx, small())
		}
		return &llmrouter.Response{Text: "hi", FinishReason: llmrouter.FinishStop,
			Usage: llmrouter.Usage{InputTokens: 60, OutputTokens: 40}}, nil
	}}
	rpm, tpm := llmrouter.RPM(3), llmrouter.TPM(1000)
	var err error
	r, err = llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(rpm, tpm)))
	require.NoError(t, err)
	usage := func() llmrouter.Amount {
		used, inFlight := store.Usage("tenant", "acme", time.Minute, clk.Now())
		require.Zero(t, inFlight)
		return used
	}

	_, err = r.Chat(context.Background(), small())
	require.NoError(t, err)
	require.NoError(t, inner)
	assert.Equal(t, llmrouter.Amount{Requests: 1, Tokens: 100}, usage(),
		"the new window holds the request that began it, not the one reserved in the minute before")

	for range 2 {
		_, err = r.Chat(context.Background(), small())
		require.NoError(t, err)
	}
	assert.Equal(t, llmrouter.Amount{Requests: 3, Tokens: 300}, usage())
	_, err = r.Chat(context.Background(), small())
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, rpm, qe.Limit, "the fourth request is over the RPM")
	assert.Equal(t, 59*time.Second+900*time.Millisecond, qe.RetryAfter)
	assert.Equal(t, llmrouter.Amount{Requests: 3, Tokens: 300}, usage(), "a refusal charges nothing")

	clk.Advance(time.Minute)
	assert.Equal(t, llmrouter.Amount{}, usage())
	big := tenantReq("a", "acme")
	big.MaxOutputTokens = 950 // reserves more than the TPM allows once 100 are used
	_, err = r.Chat(context.Background(), small())
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), big)
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, tpm, qe.Limit, "over the TPM, not the RPM")
	assert.False(t, qe.TooLarge)
	assert.Equal(t, llmrouter.Amount{Requests: 1, Tokens: 100}, usage(), "neither limit charged")
}

// A rule built by PerTenant whose Key is then replaced by the caller's
// own function is guarded like any user code: its panic refuses the
// request with one record, and the slot the first rule took is returned.
func TestReplacedLibraryKeyIsStillGuarded(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	rec := &recorder{}
	custom := llmrouter.PerUser(llmrouter.RPM(10))
	custom.Key = func(*llmrouter.Request) string { panic("custom key") }
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", &funcProvider{name: "p"})), llmrouter.WithLineage(rec),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.MaxConcurrent(1)), custom))
	require.NoError(t, err)
	for range 2 {
		_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
		var pe *llmrouter.PanicError
		require.True(t, errors.As(err, &pe), "got %v", err)
		assert.Equal(t, "custom key", pe.Value)
		assert.Equal(t, "quota rule key", pe.In, "recovered where the key is called, not by the router's backstop")
	}
	assert.Len(t, rec.all(), 2, "one record per request")
	_, inFlight := store.Usage("tenant", "acme", time.Minute, time.Now())
	assert.Zero(t, inFlight, "the tenant's slot is returned")
}

// WithQuota copies the rules' limits: changing the caller's slice after
// New changes nothing (Apply a new configuration instead).
func TestQuotaLimitsAreCopiedByWithQuota(t *testing.T) {
	limits := []llmrouter.Limit{llmrouter.RPM(1)}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", &funcProvider{name: "p", chat: func(context.Context) (*llmrouter.Response, error) {
		return &llmrouter.Response{Text: "hi", FinishReason: llmrouter.FinishStop, Usage: llmrouter.Usage{InputTokens: 1}}, nil
	}})), llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(limits...)))
	require.NoError(t, err)
	limits[0] = llmrouter.RPM(100)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded, "still one request per minute")
}
