// Package config reads a router's configuration from YAML or JSON (JSON is
// read as the YAML it is) into an llmrouter.Config, rejecting unknown
// fields, and names the line of every error: a syntax or type error as the
// parser reports it, and a faulty value as its data path and line
// ("routes.chat.tiers[1][0] (line 12): unknown deployment \"claude-eu\"").
//
// Providers, custom policies, strategies and the quota store are code: the
// service registers them by name in the llmrouter.Config it passes as the
// base, and the file refers to them by name, so no key is ever in a file.
//
//	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{
//		"openai-eu": openai.New(openai.WithAPIKey(os.Getenv("OPENAI_API_KEY"))),
//	}}
//	router, err := config.NewRouter(data, base, llmrouter.WithLineage(sink))
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"go.yaml.in/yaml/v3"
)

// Error is a configuration error with where it is in the file.
type Error struct {
	// Path is the data path of the faulty value ("deployments[2].provider"),
	// empty for a syntax error.
	Path string
	// Line is its line in the file, from 1; 0 when unknown.
	Line int
	// Err is the cause: a *llmrouter.ConfigError for a faulty value.
	Err error
}

// Error names the path and line, then the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		if e.Line > 0 {
			b.WriteString(" (line " + strconv.Itoa(e.Line) + ")")
		}
		b.WriteString(": ")
		var ce *llmrouter.ConfigError
		if errors.As(e.Err, &ce) {
			b.WriteString(ce.Reason)
			return b.String()
		}
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads data (YAML or JSON) into a new Config carrying base's
// registries (Providers, CustomPolicies, Strategies, QuotaStore). Unknown
// fields are errors.
func Parse(data []byte, base llmrouter.Config) (*llmrouter.Config, error) {
	var cfg llmrouter.Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		var ce *llmrouter.ConfigError
		if errors.As(err, &ce) && ce.Field == "kind" {
			// A kind name (Kind.UnmarshalText) is read only as a key of
			// retry.retries_per_kind; the parser gives no position.
			const path = "retry.retries_per_kind"
			return nil, &Error{Path: path, Line: lineOf(data, path), Err: err}
		}
		return nil, &Error{Err: err}
	}
	cfg.Providers, cfg.CustomPolicies, cfg.Strategies, cfg.QuotaStore = base.Providers, base.CustomPolicies, base.Strategies, base.QuotaStore
	return &cfg, nil
}

// NewRouter parses data and builds a router from it and opts (sinks,
// tracing, metrics...). A faulty value is an *Error naming its data path
// and line.
func NewRouter(data []byte, base llmrouter.Config, opts ...llmrouter.Option) (*llmrouter.Router, error) {
	cfg, err := Parse(data, base)
	if err != nil {
		return nil, err
	}
	r, err := llmrouter.New(append([]llmrouter.Option{llmrouter.WithConfig(cfg)}, opts...)...)
	if err != nil {
		return nil, located(data, err)
	}
	return r, nil
}

// located turns a *llmrouter.ConfigError about data into an *Error with
// its path and line.
func located(data []byte, err error) error {
	var ce *llmrouter.ConfigError
	if errors.As(err, &ce) {
		path := dataPath(ce.Field)
		return &Error{Path: path, Line: lineOf(data, path), Err: err}
	}
	return err
}

// LoadRouter reads the file at path and builds a router as NewRouter does.
func LoadRouter(path string, base llmrouter.Config, opts ...llmrouter.Option) (*llmrouter.Router, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return NewRouter(data, base, opts...)
}

// lineOf finds the line of the value at a data path ("routes.chat.tiers[1][0]"),
// or of the deepest part of it that exists; 0 when none does.
func lineOf(data []byte, path string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	n, line := doc.Content[0], 0
	for _, seg := range splitPath(path) {
		var next *yaml.Node
		switch {
		case n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
				}
			}
		case n.Kind == yaml.SequenceNode:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

// dataPath turns the Go field path of a *llmrouter.ConfigError
// ("Timeouts.FirstToken", `Routes["chat"].Tiers[1][0]`) into the data path
// of the file ("timeouts.first_token", "routes.chat.tiers[1][0]"). Data
// paths pass through unchanged.
func dataPath(field string) string {
	field = strings.Replace(field, "Quota.Rules[", "Quotas[", 1)
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(field); i++ {
		ch := field[i]
		switch {
		case ch == '"':
			inQuote = !inQuote
		case inQuote:
			b.WriteByte(ch)
		case ch == '[' && i+1 < len(field) && field[i+1] == '"':
			b.WriteByte('.')
		case ch == ']' && i > 0 && field[i-1] == '"':
		case ch >= 'A' && ch <= 'Z':
			if i > 0 && field[i-1] >= 'a' && field[i-1] <= 'z' {
				b.WriteByte('_')
			}
			b.WriteByte(ch + 'a' - 'A')
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// splitPath splits "routes.chat.tiers[1][0]" into routes, chat, tiers, 1, 0.
func splitPath(path string) []string {
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	return strings.Split(path, ".")
}
