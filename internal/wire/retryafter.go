package wire

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// RetryAfter reads how long a response asks the caller to wait, from, in
// order, retry-after-ms (OpenAI), x-ms-retry-after-ms (Azure) and
// retry-after (delay-seconds or an HTTP date), or 0 when none says anything
// usable. Garbage is ignored and the next header consulted: values that are
// neither a plain non-negative decimal number nor an HTTP date ("soon",
// "-1", "NaN", "Inf", "1e3"). A date in the past is 0. A number too large
// for a time.Duration saturates at the largest Duration; capping how long
// to honour it is the router's business, not this function's.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range [...]string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if d, ok := Decimal(h.Get(name), time.Millisecond); ok {
			return d
		}
	}
	v := h.Get("Retry-After")
	if d, ok := Decimal(v, time.Second); ok {
		return d
	}
	if t, err := http.ParseTime(v); err == nil {
		if t.After(now) {
			return t.Sub(now) // Time.Sub saturates
		}
		return 0
	}
	return 0
}

// Decimal parses a plain non-negative decimal number ("3", "0.5", "45.57")
// of units, as in Retry-After and the "30s" of a google.protobuf.Duration.
// It reports false for anything else: an empty string, a sign, an exponent,
// NaN, Inf, hex, spaces. A value beyond the range of time.Duration
// saturates at math.MaxInt64 nanoseconds.
func Decimal(s string, unit time.Duration) (time.Duration, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && f != math.Inf(1) { // ErrRange on overflow returns +Inf
		return 0, false
	}
	return Saturate(f * float64(unit)), true
}

// Saturate converts a non-negative count of nanoseconds to a Duration,
// saturating at the largest Duration instead of overflowing. NaN and
// negative values are 0.
func Saturate(ns float64) time.Duration {
	switch {
	case ns != ns || ns <= 0: // NaN or not positive
		return 0
	case ns >= math.MaxInt64: // float64(MaxInt64) rounds up to 2^63
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}

// isDecimal reports whether s is digits with at most one '.' and at least
// one digit.
func isDecimal(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
