package llmrouter

import (
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/llmrouter/llmrouter/internal/jsonx"
)

// AppendJSON appends the record as one JSON object, with snake_case keys
// and empty fields left out, to b. Durations are in milliseconds, the
// request's start in RFC 3339 with nanoseconds and each attempt's start as
// offset_ms from it, cost in US dollars, capabilities (needs) as an array
// of the names configuration files use. Record.UnmarshalJSON reads it
// back. It allocates nothing when b has room (labels are sorted by key,
// which allocates).
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"request_id":`...)
	b = jsonx.AppendString(b, r.RequestID)
	b = appendStringField(b, "route", r.Route)
	b = appendStringField(b, "config_version", r.ConfigVersion)
	b = appendStringField(b, "tenant", r.Tenant)
	b = appendStringField(b, "user", r.User)
	if len(r.Labels) > 0 {
		b = append(b, `,"labels":{`...)
		keys := make([]string, 0, len(r.Labels))
		for k := range r.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, k)
			b = append(b, ':')
			b = jsonx.AppendString(b, r.Labels[k])
		}
		b = append(b, '}')
	}
	if r.Stream {
		b = append(b, `,"stream":true`...)
	}
	if r.Embed {
		b = append(b, `,"embed":true`...)
	}
	if r.Needs != 0 {
		b = r.Needs.appendJSON(append(b, `,"needs":`...))
	}
	if r.MaxOutputTokens != 0 {
		b = strconv.AppendInt(append(b, `,"max_output_tokens":`...), int64(r.MaxOutputTokens), 10)
	}
	b = appendTimeField(b, "start", r.Start)
	b = appendMillisField(b, "duration_ms", r.Duration)
	b = appendMillisField(b, "ttft_ms", r.TTFT)
	b = jsonx.AppendStrings(append(b, `,"policies":`...), r.Policies)
	if len(r.Fallbacks) > 0 {
		b = jsonx.AppendStrings(append(b, `,"fallbacks":`...), r.Fallbacks)
	}
	b = append(b, `,"candidates":[`...)
	for i := range r.Candidates {
		c := &r.Candidates[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"deployment":`...)
		b = jsonx.AppendString(b, c.Deployment)
		b = appendStringField(b, "provider", c.Provider)
		b = append(b, `,"tier":`...)
		b = strconv.AppendInt(b, int64(c.Tier), 10)
		b = appendStringField(b, "status", string(c.Status))
		b = appendStringField(b, "policy", c.Policy)
		b = appendStringField(b, "reason", c.Reason)
		b = append(b, '}')
	}
	b = append(b, `],"attempts":[`...)
	for i := range r.Attempts {
		a := &r.Attempts[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"deployment":`...)
		b = jsonx.AppendString(b, a.Deployment)
		b = appendStringField(b, "provider", a.Provider)
		b = appendStringField(b, "model", a.Model)
		if !a.Start.IsZero() {
			b = appendMillisField(b, "offset_ms", max(a.Start.Sub(r.Start), 0))
		}
		b = appendMillisField(b, "duration_ms", a.Duration)
		b = appendMillisField(b, "ttft_ms", a.TTFT)
		b = appendStringField(b, "status", a.Status)
		if a.Status != attemptOK {
			b = appendStringField(b, "class", a.Class.String())
			b = appendStringField(b, "kind", a.Kind.String())
		}
		if a.StatusCode != 0 {
			b = append(b, `,"status_code":`...)
			b = strconv.AppendInt(b, int64(a.StatusCode), 10)
		}
		b = appendStringField(b, "code", a.Code)
		b = appendMillisField(b, "retry_after_ms", a.RetryAfter)
		b = appendStringField(b, "error", a.Error)
		if a.Orphaned {
			b = append(b, `,"orphaned":true`...)
		}
		if a.Usage != (Usage{}) {
			b = append(b, `,"usage":`...)
			b = a.Usage.appendJSON(b)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendStringField(b, "outcome", string(r.Outcome))
	b = appendStringField(b, "error", r.Error)
	b = appendStringField(b, "deployment", r.Deployment)
	b = appendStringField(b, "provider", r.Provider)
	b = appendStringField(b, "model", r.Model)
	b = appendStringField(b, "served_by", r.ServedBy)
	if r.ReasoningDropped > 0 {
		b = strconv.AppendInt(append(b, `,"reasoning_dropped":`...), int64(r.ReasoningDropped), 10)
	}
	b = append(b, `,"usage":`...)
	b = r.Usage.appendJSON(b)
	b = append(b, `,"cost_usd":`...)
	b = strconv.AppendFloat(b, r.Cost, 'g', -1, 64)
	if r.Prompt.Messages > 0 {
		b = append(b, `,"prompt":{"hash":"`...)
		h := r.PromptHash()
		b = hex.AppendEncode(b, h[:])
		b = append(b, `","messages":`...)
		b = strconv.AppendInt(b, int64(r.Prompt.Messages), 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, int64(r.Prompt.Bytes), 10)
		b = append(b, `,"tokens":`...)
		b = strconv.AppendInt(b, int64(r.Prompt.Tokens), 10)
		b = append(b, '}')
	}
	if r.Content != nil {
		b = append(b, `,"content":{"messages":[`...)
		for i := range r.Content.Messages {
			m := &r.Content.Messages[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"role":`...)
			b = jsonx.AppendString(b, string(m.Role))
			b = append(b, `,"text":`...)
			b = jsonx.AppendString(b, m.Text())
			b = append(b, '}')
		}
		b = append(b, `],"output":`...)
		b = jsonx.AppendString(b, r.Content.Output)
		if r.Content.Truncated {
			b = append(b, `,"truncated":true`...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// MarshalJSON encodes the record as AppendJSON does.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// appendJSON appends the capabilities as a JSON array of their names
// ("tools", "streaming": the names configuration files use), in bit order.
func (c Capabilities) appendJSON(b []byte) []byte {
	b = append(b, '[')
	first := true
	for _, n := range capabilityNames {
		if c&n.cap == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, n.name...)
		b = append(b, '"')
	}
	return append(b, ']')
}

func (u Usage) appendJSON(b []byte) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.InputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(u.OutputTokens), 10)
	for _, f := range [...]struct {
		name string
		v    int
	}{{"cached_input_tokens", u.CachedInputTokens}, {"cache_write_tokens", u.CacheWriteTokens}, {"cache_write_1h_tokens", u.CacheWrite1hTokens}, {"reasoning_tokens", u.ReasoningTokens}} {
		if f.v != 0 {
			b = append(b, ',', '"')
			b = append(b, f.name...)
			b = append(b, '"', ':')
			b = strconv.AppendInt(b, int64(f.v), 10)
		}
	}
	if u.Estimated {
		b = append(b, `,"estimated":true`...)
	}
	return append(b, '}')
}

func appendStringField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return jsonx.AppendString(b, v)
}

func appendTimeField(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendMillisField(b []byte, key string, d time.Duration) []byte {
	if d == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendMillis(b, d)
}

// appendMillis appends d in milliseconds, as a decimal with up to six
// fractional digits and no trailing zeros.
func appendMillis(b []byte, d time.Duration) []byte {
	if d < 0 {
		return append(b, '0')
	}
	b = strconv.AppendInt(b, int64(d/time.Millisecond), 10)
	frac := int64(d % time.Millisecond)
	if frac == 0 {
		return b
	}
	var digits [7]byte
	digits[0] = '.'
	for i := 6; i >= 1; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 7
	for digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}
