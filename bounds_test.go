package llmrouter_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaxOutputTokensIsBounded(t *testing.T) {
	cases := []struct {
		name string
		max  int
		ok   bool
	}{
		{"zero", 0, true},
		{"at the bound", llmrouter.MaxRequestTokens, true},
		{"past the bound", llmrouter.MaxRequestTokens + 1, false},
		{"MaxInt", math.MaxInt, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := hello("chat")
			req.MaxOutputTokens = c.max
			err := req.Validate()
			if c.ok {
				require.NoError(t, err)
				return
			}
			var re *llmrouter.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "MaxOutputTokens", re.Field)
		})
	}
}

// A request asking for math.MaxInt output tokens used to wrap a 10k-TPM
// tenant's counter to about -9.2e18, after which it admitted everything.
func TestHugeRequestNeverReachesTheQuota(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	clk := newClock()
	p := fake.New("p")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.TPM(10_000))))
	require.NoError(t, err)
	huge := tenantReq("a", "acme")
	huge.MaxOutputTokens = math.MaxInt
	_, err = r.Chat(context.Background(), huge)
	require.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
	used, _ := store.Usage("tenant", "acme", time.Minute, clk.Now())
	assert.Equal(t, llmrouter.Amount{}, used)
	assert.Zero(t, p.CallCount())

	big := tenantReq("a", "acme")
	big.MaxOutputTokens = 10_001
	_, err = r.Chat(context.Background(), big)
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded, "the tenant's limit still holds")
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.NoError(t, err)
}

// The store itself must not wrap either: a QuotaStore is public, and a
// custom token estimate can be as large as it likes.
func TestHugeReservationNeverWrapsACounter(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	s := llmrouter.NewMemoryQuotaStore()
	res := func(tokens int64) llmrouter.Reservation {
		return llmrouter.Reservation{Rule: "tenant", Key: "acme", Limits: []llmrouter.Limit{llmrouter.TPM(10_000)},
			Amount: llmrouter.Amount{Requests: 1, Tokens: tokens}, Time: now}
	}
	require.NoError(t, s.Reserve(ctx, res(5_000)))
	err := s.Reserve(ctx, res(math.MaxInt64))
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe, "a reservation of MaxInt64 tokens is refused")
	assert.True(t, qe.TooLarge)
	require.ErrorIs(t, s.Reserve(ctx, res(6_000)), llmrouter.ErrQuotaExceeded, "5,000 + 6,000 is over 10,000")
	require.NoError(t, s.Reserve(ctx, res(5_000)))
	used, _ := s.Usage("tenant", "acme", time.Minute, now)
	assert.Equal(t, int64(10_000), used.Tokens)
}

// Settling huge actual usage saturates the counter at its maximum rather
// than wrapping it negative.
func TestHugeSettlementSaturates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	s := llmrouter.NewMemoryQuotaStore()
	res := llmrouter.Reservation{Rule: "tenant", Key: "acme", Limits: []llmrouter.Limit{llmrouter.TPM(1 << 62), llmrouter.USDPerDay(1e9)},
		Amount: llmrouter.Amount{Requests: 1, Tokens: 100, MicroUSD: 10}, Time: now}
	for range 2 {
		require.NoError(t, s.Reserve(ctx, res))
	}
	for range 2 {
		require.NoError(t, s.Settle(ctx, res, llmrouter.Amount{Requests: 1, Tokens: math.MaxInt64, MicroUSD: math.MaxInt64}))
	}
	used, inFlight := s.Usage("tenant", "acme", time.Minute, now)
	assert.Equal(t, int64(math.MaxInt64), used.Tokens)
	assert.Equal(t, int64(math.MaxInt64), used.MicroUSD)
	assert.Zero(t, inFlight)
	res.Amount = llmrouter.Amount{Requests: 1, Tokens: 1}
	require.ErrorIs(t, s.Reserve(ctx, res), llmrouter.ErrQuotaExceeded, "a saturated counter is full")
}

func TestContextFitsNeverOverflows(t *testing.T) {
	d := llmrouter.Deployment{Name: "d", Provider: fake.New("p"), ContextWindow: 128_000}
	req := hello("d")
	req.MaxOutputTokens = math.MaxInt // Check may be called on a request no one validated
	ok, reason := llmrouter.ContextFits().Check(req, &d)
	assert.False(t, ok)
	assert.Equal(t, "request exceeds the context window", reason)
	req.MaxOutputTokens = 1000
	ok, _ = llmrouter.ContextFits().Check(req, &d)
	assert.True(t, ok)
}
