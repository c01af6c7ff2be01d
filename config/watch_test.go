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

// watch is a Watcher running on a file for a test, reloading on each
// send to reload, and stopped when the test ends.
type watch struct {
	t      *testing.T
	reload chan struct{}
	events chan applied
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned err
	err    error
}

func startWatch(t *testing.T, r *llmrouter.Router, path string) *watch {
	w := &watch{t: t, reload: make(chan struct{}), events: make(chan applied, 16), done: make(chan struct{})}
	cw := &config.Watcher{Router: r, Path: path, Base: base(), Interval: time.Hour, Reload: w.reload,
		OnApply: func(v llmrouter.ConfigVersion, err error) { w.events <- applied{v, err} }}
	var ctx context.Context
	ctx, w.cancel = context.WithCancel(context.Background())
	go func() { w.err = cw.Run(ctx); close(w.done) }()
	t.Cleanup(func() { _ = w.stop() })
	return w
}

// next returns the watcher's next report.
func (w *watch) next() applied {
	w.t.Helper()
	select {
	case e := <-w.events:
		return e
	case <-time.After(10 * time.Second):
		w.t.Fatal("no apply event")
	}
	return applied{}
}

// none checks that the watcher reports nothing for a moment.
func (w *watch) none(why string) {
	w.t.Helper()
	select {
	case e := <-w.events:
		w.t.Fatalf("%s: %+v", why, e)
	case <-time.After(50 * time.Millisecond):
	}
}

// stop ends the watcher and returns what Run returned.
func (w *watch) stop() error {
	w.cancel()
	<-w.done
	return w.err
}

func TestWatcherAppliesEditsAndRefusesBadOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "router.yaml")
	write(t, path, strings.ReplaceAll(watched, "PRICE", "1"))
	r, err := config.LoadRouter(path, base())
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	w := startWatch(t, r, path)

	first := w.next() // the file as the router was built from it
	require.NoError(t, first.err)
	require.Equal(t, v1.ID, first.v.ID)

	write(t, path, strings.ReplaceAll(watched, "PRICE", "2"))
	w.reload <- struct{}{}
	e := w.next()
	require.NoError(t, e.err)
	require.NotEqual(t, v1.ID, e.v.ID)
	require.Equal(t, e.v, r.ConfigVersion())
	good := e.v

	write(t, path, strings.ReplaceAll(strings.ReplaceAll(watched, "PRICE", "3"), "[[gpt-eu], [claude-eu]]", "[[gpt-eu], [claude-us]]"))
	w.reload <- struct{}{}
	e = w.next()
	var fe *config.Error
	require.True(t, errors.As(e.err, &fe), "a bad edit is an *Error: %v", e.err)
	require.Equal(t, "routes.chat.tiers[1][0]", fe.Path)
	require.Equal(t, 7, fe.Line)
	require.Equal(t, good, r.ConfigVersion(), "the router keeps serving the good version")
	_, err = r.Chat(context.Background(), &llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{llmrouter.User("hi")}})
	require.NoError(t, err)

	w.reload <- struct{}{} // unchanged: not tried again
	w.none("an unchanged file was applied again")
	require.ErrorIs(t, w.stop(), context.Canceled)
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

	w := startWatch(t, r, path)
	e := w.next()
	require.ErrorIs(t, e.err, llmrouter.ErrCanaryRunning)
	w.reload <- struct{}{} // still running: not reported again
	w.none("reported twice")
	require.NoError(t, r.AbortCanary())
	w.reload <- struct{}{}
	e = w.next()
	require.NoError(t, e.err, "the edit is applied after the canary ended")
	require.Equal(t, e.v, r.ConfigVersion())
}
