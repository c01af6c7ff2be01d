package config

import (
	"fmt"
	"os"

	"github.com/llmrouter/llmrouter"
)

// Apply parses data and applies it to r (llmrouter.Router.Apply): requests
// that start afterwards are served by it; an invalid configuration is an
// *Error naming its data path and line, and r keeps serving the one it had.
// opts are added to the file's configuration (a WithBreaker, say); options
// that only New takes are refused.
func Apply(r *llmrouter.Router, data []byte, base llmrouter.Config, opts ...llmrouter.Option) (llmrouter.ConfigVersion, error) {
	cfg, err := Parse(data, base)
	if err != nil {
		return llmrouter.ConfigVersion{}, err
	}
	v, err := r.Apply(append([]llmrouter.Option{llmrouter.WithConfig(cfg)}, opts...)...)
	if err != nil {
		return llmrouter.ConfigVersion{}, located(data, err)
	}
	return v, nil
}

// ApplyFile reads the file at path and applies it as Apply does.
func ApplyFile(r *llmrouter.Router, path string, base llmrouter.Config, opts ...llmrouter.Option) (llmrouter.ConfigVersion, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return llmrouter.ConfigVersion{}, fmt.Errorf("config: %w", err)
	}
	return Apply(r, data, base, opts...)
}
