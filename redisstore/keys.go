package redisstore

import (
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/llmrouter/llmrouter"
)

// maxExact caps amounts and limits: Lua numbers are doubles, exact to 2^53.
// A limit above it is as good as none; an amount above it is refused by any
// limit.
const maxExact = 1<<53 - 1 // CAP in the scripts

// call is what one reservation sends to Redis: its keys and the arguments
// the scripts share.
type call struct {
	token string    // the reservation: request id @ reservation time
	keys  [3]string // record, lease set, counters
	lens  []int64   // window lengths (ms), each once, in limit order
	lease bool      // a concurrency limit applies: the call holds a lease
}

// tag returns the hash tag of bucket (rule, key): 128 bits of FNV-1a, in
// hex, so that every key of a bucket lands in one Cluster slot whatever
// characters the rule and key hold (braces included).
func tag(rule, key string) string {
	h := fnv.New128a()
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var sum [16]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// newCall lays out the keys of r. Limits of one window length share a
// counter, as in the memory store.
func (s *Store) newCall(r *llmrouter.Reservation) call {
	base := s.o.Prefix + ":{" + tag(r.Rule, r.Key) + "}:"
	token := r.ID + "@" + strconv.FormatInt(r.Time.UnixNano(), 36)
	c := call{token: token, keys: [3]string{base + "res:" + token, base + "lease", base + "c"}}
	for _, l := range r.Limits {
		c.lease = c.lease || l.Concurrent > 0
		if l.Window > 0 && c.window(l.Window) == 0 {
			c.lens = append(c.lens, windowMS(l.Window))
		}
	}
	return c
}

// window returns the 1-based number of the counter for window length d, 0
// if none.
func (c *call) window(d time.Duration) int {
	ms := windowMS(d)
	for i, l := range c.lens {
		if l == ms {
			return i + 1
		}
	}
	return 0
}

// windowMS is d in whole milliseconds, at least 1.
func windowMS(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// clamp keeps n in [0, maxExact].
func clamp(n int64) int64 { return min(max(n, 0), maxExact) }

// microUSD converts dollars to millionths, capped at maxExact.
func microUSD(usd float64) int64 {
	m := usd * 1e6
	if !(m < maxExact) { // NaN and +Inf too
		return maxExact
	}
	return clamp(int64(m))
}
