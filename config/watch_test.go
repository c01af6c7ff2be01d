package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/stretchr/testify/require"
)

const watched = `
deployments:
  - {name: gpt-eu, provider: openai-eu, model: gpt, region: eu-west-1, price: {input: PRICE}}
  - {name: claude-eu, provider: anthropic-eu, model: claude, region: eu-west-1}
routes:
  chat:
    tiers: [[gpt-eu], [claude-eu]]
`

type applied struct {
	v   llmrouter.ConfigVersion
	err error
}

func write(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

func TestWatcherAppliesEditsAndRefusesBadOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "router.yaml")
	write(t, path, strings.ReplaceAll(watched, "PRICE", "1"))
	r, err := config.LoadRouter(path, base())
	require.NoError(t, err)
	v1 := r.ConfigVersion()

	events := make(chan applied, 16)
	reload := make(chan struct{})
	w := &config.Watcher{Router: r, Path: path, Base: base(), Interval: time.Hour, Reload: reload,
		OnApply: func(v llmrouter.ConfigVersion, err error) { events <- applied{v, err} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	next := func() applied {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no apply event")
		}
		return applied{}
	}

	first := next() // the file as the router was built from it
	require.NoError(t, first.err)
	require.Equal(t, v1.ID, first.v.ID)

	write(t, path, strings.ReplaceAll(watched, "PRICE", "2"))
	reload <- struct{}{}
	e := next()
	require.NoError(t, e.err)
	require.NotEqual(t, v1.ID, e.v.ID)
	require.Equal(t, e.v, r.ConfigVersion())
	good := e.v

	write(t, path, strings.ReplaceAll(strings.ReplaceAll(watched, "PRICE", "3"), "[[gpt-eu], [claude-eu]]", "[[gpt-eu], [claude-us]]"))
	reload <- struct{}{}
	e = next()
	var fe *config.Error
	require.True(t, errors.As(e.err, &fe), "a bad edit is an *Error: %v", e.err)
	require.Equal(t, "routes.chat.tiers[1][0]", fe.Path)
	require.Equal(t, 7, fe.Line)
	require.Equal(t, good, r.ConfigVersion(), "the router keeps serving the good version")
	_, err = r.Chat(context.Background(), &llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{llmrouter.User("hi")}})
	require.NoError(t, err)

	reload <- struct{}{} // unchanged: not tried again
	select {
	case e := <-events:
		t.Fatalf("an unchanged file was applied again: %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestApplyNamesLine(t *testing.T) {
	r, err := config.NewRouter([]byte(strings.ReplaceAll(watched, "PRICE", "1")), base())
	require.NoError(t, err)
	_, err = config.Apply(r, []byte(strings.ReplaceAll(watched, "PRICE", "-1")), base())
	var fe *config.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "deployments[0].price", fe.Path)
	require.Equal(t, 3, fe.Line)
}

// TestWatcherWaitsForACanary: an edit made during a canary is reported
// once and applied when the canary ends.
func TestWatcherWaitsForACanary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "router.yaml")
	write(t, path, strings.ReplaceAll(watched, "PRICE", "1"))
	r, err := config.LoadRouter(path, base())
	require.NoError(t, err)
	cfg, err := config.Parse([]byte(strings.ReplaceAll(watched, "PRICE", "9")), base())
	require.NoError(t, err)
	_, err = r.Canary(0.5, llmrouter.WithConfig(cfg))
	require.NoError(t, err)

	events := make(chan applied, 16)
	reload := make(chan struct{})
	w := &config.Watcher{Router: r, Path: path, Base: base(), Interval: time.Hour, Reload: reload,
		OnApply: func(v llmrouter.ConfigVersion, err error) { events <- applied{v, err} }}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	defer func() { cancel(); <-stopped }()
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	e := <-events
	require.ErrorIs(t, e.err, llmrouter.ErrCanaryRunning)
	reload <- struct{}{} // still running: not reported again
	select {
	case e := <-events:
		t.Fatalf("reported twice: %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, r.AbortCanary())
	reload <- struct{}{}
	select {
	case e := <-events:
		require.NoError(t, e.err)
		require.Equal(t, e.v, r.ConfigVersion())
	case <-time.After(10 * time.Second):
		t.Fatal("the edit was not applied after the canary ended")
	}
}
