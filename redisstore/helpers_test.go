package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // the outage tests make go-redis log every failed dial
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// client returns a client of srv closed when t ends.
func client(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newStore returns a store over c, closed when t ends.
func newStore(t testing.TB, c redis.UniversalClient, o redisstore.Options) *redisstore.Store {
	s, err := redisstore.New(c, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var ids atomic.Int64

// res is a reservation of amount under limits for tenant, with a fresh id.
func res(tenant string, amount llmrouter.Amount, limits ...llmrouter.Limit) llmrouter.Reservation {
	return llmrouter.Reservation{ID: "req-" + strconv.FormatInt(ids.Add(1), 10), Rule: "tenant", Key: tenant,
		Limits: limits, Amount: amount, Time: time.Now()}
}

func one(tokens int64) llmrouter.Amount { return llmrouter.Amount{Requests: 1, Tokens: tokens} }

// roundTrips counts the commands and pipelines a client sends, outside
// connection set-up.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !setup(cmds[0]) {
			h.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// setup reports whether cmd is part of opening a connection.
func setup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client", "auth", "select", "ping":
		return true
	}
	return false
}
