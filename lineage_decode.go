package llmrouter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RecordDecodeError says what is wrong with an encoded lineage record.
type RecordDecodeError struct {
	// Field is the faulty key's path ("attempts[1].kind"), empty when the
	// text is not a JSON object at all.
	Field  string
	Reason string
}

// Error names the field and the reason.
func (e *RecordDecodeError) Error() string {
	if e.Field == "" {
		return "llmrouter: record: " + e.Reason
	}
	return "llmrouter: record: " + e.Field + ": " + e.Reason
}

// UnmarshalJSON reads a record in the form AppendJSON writes (one line of
// a JSONLSink), replacing r's fields. It is strict about what it knows: a
// key of the wrong type, an unknown outcome, status, class, kind or
// capability, a malformed time, duration or hash, and a missing
// request_id or outcome are *RecordDecodeError naming the key. Keys it
// does not know are ignored, so that a log written by a later version, or
// one a log shipper added keys to, still reads.
func (r *Record) UnmarshalJSON(data []byte) error {
	var j recordJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&j); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return &RecordDecodeError{Reason: "text after the record's object"}
	}
	rec, err := j.record()
	if err != nil {
		return err
	}
	*r = *rec
	return nil
}

// decodeError turns an encoding/json error into a *RecordDecodeError.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &RecordDecodeError{Field: te.Field, Reason: "want " + jsonKind(te.Type.Kind().String()) + ", got " + te.Value}
	}
	return &RecordDecodeError{Reason: strings.TrimPrefix(err.Error(), "json: ")}
}

// jsonKind names a Go kind as JSON would.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	}
	return "an object"
}

// parseMillis reads a duration in the form AppendJSON writes:
// milliseconds, as a decimal with up to six fractional digits, exactly (no
// float rounding). An absent key is zero.
func parseMillis(field string, n json.RawMessage) (time.Duration, error) {
	if n == nil {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(string(n), ".")
	ms, err := strconv.ParseUint(whole, 10, 63)
	if err != nil || len(frac) > 6 || strings.Trim(frac, "0123456789") != "" || ms > uint64(1<<63-1)/uint64(time.Millisecond)-1 {
		return 0, &RecordDecodeError{Field: field, Reason: "want milliseconds (a non-negative decimal, at most six fractional digits), got " + string(n)}
	}
	ns := uint64(0)
	if frac != "" {
		ns, _ = strconv.ParseUint(frac+strings.Repeat("0", 6-len(frac)), 10, 32)
	}
	return time.Duration(ms)*time.Millisecond + time.Duration(ns), nil
}

type recordJSON struct {
	RequestID        *string           `json:"request_id"`
	Route            string            `json:"route"`
	ConfigVersion    string            `json:"config_version"`
	Tenant           string            `json:"tenant"`
	User             string            `json:"user"`
	Labels           map[string]string `json:"labels"`
	Stream           bool              `json:"stream"`
	Embed            bool              `json:"embed"`
	Needs            []string          `json:"needs"`
	MaxOutputTokens  int32             `json:"max_output_tokens"`
	Start            string            `json:"start"`
	Duration         json.RawMessage   `json:"duration_ms"`
	TTFT             json.RawMessage   `json:"ttft_ms"`
	Policies         []string          `json:"policies"`
	Fallbacks        []string          `json:"fallbacks"`
	Candidates       []candidateJSON   `json:"candidates"`
	Attempts         []attemptJSON     `json:"attempts"`
	Outcome          string            `json:"outcome"`
	Error            string            `json:"error"`
	Deployment       string            `json:"deployment"`
	Provider         string            `json:"provider"`
	Model            string            `json:"model"`
	ServedBy         string            `json:"served_by"`
	ReasoningDropped int               `json:"reasoning_dropped"`
	Usage            usageJSON         `json:"usage"`
	Cost             float64           `json:"cost_usd"`
	Prompt           *promptJSON       `json:"prompt"`
	Content          *contentJSON      `json:"content"`
}

type candidateJSON struct {
	Deployment string `json:"deployment"`
	Provider   string `json:"provider"`
	Tier       int    `json:"tier"`
	Status     string `json:"status"`
	Policy     string `json:"policy"`
	Reason     string `json:"reason"`
}

type attemptJSON struct {
	Deployment string          `json:"deployment"`
	Provider   string          `json:"provider"`
	Model      string          `json:"model"`
	Offset     json.RawMessage `json:"offset_ms"`
	Duration   json.RawMessage `json:"duration_ms"`
	TTFT       json.RawMessage `json:"ttft_ms"`
	Status     string          `json:"status"`
	Class      string          `json:"class"`
	Kind       string          `json:"kind"`
	StatusCode int             `json:"status_code"`
	Code       string          `json:"code"`
	RetryAfter json.RawMessage `json:"retry_after_ms"`
	Error      string          `json:"error"`
	Orphaned   bool            `json:"orphaned"`
	Usage      usageJSON       `json:"usage"`
}

type promptJSON struct {
	Hash     string `json:"hash"`
	Messages int    `json:"messages"`
	Bytes    int    `json:"bytes"`
	Tokens   int    `json:"tokens"`
}

type contentJSON struct {
	Messages []struct {
		Role string `json:"role"`
		Text string `json:"text"`
	} `json:"messages"`
	Output    string `json:"output"`
	Truncated bool   `json:"truncated"`
}

// usageJSON is Usage in the form Usage.appendJSON writes.
type usageJSON struct {
	Input     int  `json:"input_tokens"`
	Output    int  `json:"output_tokens"`
	Cached    int  `json:"cached_input_tokens"`
	Write     int  `json:"cache_write_tokens"`
	Write1h   int  `json:"cache_write_1h_tokens"`
	Reasoning int  `json:"reasoning_tokens"`
	Estimated bool `json:"estimated"`
}

func (u usageJSON) usage() Usage {
	return Usage{InputTokens: u.Input, OutputTokens: u.Output, CachedInputTokens: u.Cached, CacheWriteTokens: u.Write,
		CacheWrite1hTokens: u.Write1h, ReasoningTokens: u.Reasoning, Estimated: u.Estimated}
}

// record checks j and builds the Record it encodes.
func (j *recordJSON) record() (*Record, error) {
	bad := func(field, reason string) (*Record, error) {
		return nil, &RecordDecodeError{Field: field, Reason: reason}
	}
	if j.RequestID == nil || *j.RequestID == "" {
		return bad("request_id", "missing: every record has one")
	}
	r := &Record{RequestID: *j.RequestID, Route: j.Route, ConfigVersion: j.ConfigVersion, Tenant: j.Tenant, User: j.User,
		Labels: j.Labels, Stream: j.Stream, Embed: j.Embed, MaxOutputTokens: j.MaxOutputTokens,
		Policies: j.Policies, Fallbacks: j.Fallbacks,
		Error: j.Error, Deployment: j.Deployment, Provider: j.Provider, Model: j.Model, ServedBy: j.ServedBy,
		ReasoningDropped: j.ReasoningDropped, Usage: j.Usage.usage(), Cost: j.Cost}
	if r.Policies == nil {
		r.Policies = []string{}
	}
	var err error
	if r.Duration, err = parseMillis("duration_ms", j.Duration); err != nil {
		return nil, err
	}
	if r.TTFT, err = parseMillis("ttft_ms", j.TTFT); err != nil {
		return nil, err
	}
	if r.Needs, err = parseCapabilities("needs", j.Needs); err != nil {
		ce := err.(*ConfigError) // its only error
		return bad(ce.Field, ce.Reason)
	}
	if j.MaxOutputTokens < 0 {
		return bad("max_output_tokens", "negative")
	}
	if j.Start != "" {
		t, err := time.Parse(time.RFC3339Nano, j.Start)
		if err != nil {
			return bad("start", "want an RFC 3339 time, got "+strconv.Quote(j.Start))
		}
		r.Start = t
	}
	switch r.Outcome = Outcome(j.Outcome); {
	case j.Outcome == "":
		return bad("outcome", "missing: every record has one")
	case !slices.Contains(outcomes[:], r.Outcome):
		return bad("outcome", "unknown outcome "+strconv.Quote(j.Outcome))
	}
	r.Candidates = make([]CandidateRecord, len(j.Candidates))
	for i, c := range j.Candidates {
		f := "candidates[" + strconv.Itoa(i) + "]"
		switch s := CandidateStatus(c.Status); s {
		case CandidateChosen, CandidateTried, CandidateRefused, CandidateSkipped, CandidateUnused:
		default:
			return bad(f+".status", "unknown status "+strconv.Quote(c.Status))
		}
		if c.Deployment == "" {
			return bad(f+".deployment", "missing")
		}
		if c.Tier < 0 {
			return bad(f+".tier", "negative")
		}
		r.Candidates[i] = CandidateRecord{Deployment: c.Deployment, Provider: c.Provider, Tier: c.Tier,
			Status: CandidateStatus(c.Status), Policy: c.Policy, Reason: c.Reason}
	}
	r.Attempts = make([]AttemptRecord, len(j.Attempts))
	for i, a := range j.Attempts {
		f := "attempts[" + strconv.Itoa(i) + "]"
		ar := AttemptRecord{Deployment: a.Deployment, Provider: a.Provider, Model: a.Model, Status: a.Status,
			StatusCode: a.StatusCode, Code: a.Code, Error: a.Error, Orphaned: a.Orphaned, Usage: a.Usage.usage()}
		for _, d := range [...]struct {
			key string
			n   json.RawMessage
			to  *time.Duration
		}{{"duration_ms", a.Duration, &ar.Duration}, {"ttft_ms", a.TTFT, &ar.TTFT}, {"retry_after_ms", a.RetryAfter, &ar.RetryAfter}} {
			if *d.to, err = parseMillis(f+"."+d.key, d.n); err != nil {
				return nil, err
			}
		}
		if a.Offset != nil {
			if r.Start.IsZero() {
				return bad(f+".offset_ms", "an offset, but the record has no start")
			}
			offset, err := parseMillis(f+".offset_ms", a.Offset)
			if err != nil {
				return nil, err
			}
			ar.Start = r.Start.Add(offset)
		}
		switch a.Status {
		case attemptOK:
		case attemptError:
			var ok bool
			if ar.Class, ok = classNamed(a.Class); !ok {
				return bad(f+".class", "unknown class "+strconv.Quote(a.Class))
			}
			if ar.Kind, ok = kindNamed(a.Kind); !ok {
				return bad(f+".kind", "unknown kind "+strconv.Quote(a.Kind))
			}
		default:
			return bad(f+".status", "want \"ok\" or \"error\", got "+strconv.Quote(a.Status))
		}
		r.Attempts[i] = ar
	}
	if p := j.Prompt; p != nil {
		r.Prompt = PromptInfo{Messages: p.Messages, Bytes: p.Bytes, Tokens: p.Tokens}
		if p.Messages < 0 || p.Bytes < 0 || p.Tokens < 0 {
			return bad("prompt", "negative count")
		}
		if n, err := hex.Decode(r.Prompt.Hash[:], []byte(p.Hash)); err != nil || n != len(r.Prompt.Hash) || len(p.Hash) != 2*len(r.Prompt.Hash) {
			return bad("prompt.hash", "want 64 hex digits")
		}
	}
	if c := j.Content; c != nil {
		r.Content = &Content{Output: c.Output, Truncated: c.Truncated}
		for _, m := range c.Messages {
			r.Content.Messages = append(r.Content.Messages, textMessage(Role(m.Role), m.Text))
		}
	}
	return r, nil
}

func classNamed(name string) (Class, bool) {
	for c := ClassUnspecified; c <= ClassStop; c++ {
		if c.String() == name {
			return c, true
		}
	}
	return 0, false
}

// kindNamed reads a Kind's name (ParseKind), or the "kind(N)" form String
// gives a kind without one.
func kindNamed(name string) (Kind, bool) {
	if k, ok := ParseKind(name); ok {
		return k, true
	}
	if n, ok := strings.CutPrefix(name, "kind("); ok {
		if v, err := strconv.ParseUint(strings.TrimSuffix(n, ")"), 10, 8); err == nil && strings.HasSuffix(n, ")") {
			return Kind(v), true
		}
	}
	return 0, false
}
