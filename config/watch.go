package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Watcher applies a configuration file to a router whenever its content
// changes: it polls the file, and reads it at once on a signal from Reload
// (a service wires SIGHUP to it). A change is applied once the file reads
// the same twice in a row (a moment apart), so that a file caught mid-write
// is not applied. A bad edit is refused, reported, and not tried again
// until the file changes; the router keeps serving the version it had. An
// edit made while a canary runs (Router.Canary) is reported once and
// applied when the canary ends. It needs no file-system notification API, so it works
// the same on every OS and on mounted ConfigMaps (whose files change by
// symlink swaps that inotify-based watchers miss).
type Watcher struct {
	// Router is the router to apply to; Path the file; Base carries the
	// registries (see Parse); Options are added to the file's
	// configuration on every Apply.
	Router  *llmrouter.Router
	Path    string
	Base    llmrouter.Config
	Options []llmrouter.Option
	// Interval is how often the file is read. Default 2s.
	Interval time.Duration
	// Reload, when set, makes the watcher read the file at once on each
	// receive.
	Reload <-chan struct{}
	// OnApply, when set, is told of each change: the version applied, or
	// why the file was refused (an *Error naming path and line, or the
	// read error). It is called from Run's goroutine.
	OnApply func(v llmrouter.ConfigVersion, err error)
}

// Run watches until ctx ends; it returns ctx's error. The content the
// router was built from counts as seen only once Run has read it, so the
// first read applies the file if it differs from nothing: a Watcher
// started on the file a router was built from applies it once, as an
// equal version.
func (w *Watcher) Run(ctx context.Context) error {
	interval := w.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var seen []byte
	var seenErr string
	check := func() {
		data, err := os.ReadFile(w.Path)
		if err != nil {
			err = fmt.Errorf("config: %w", err)
			if err.Error() != seenErr { // a missing file is reported once
				seenErr = err.Error()
				w.report(llmrouter.ConfigVersion{}, err)
			}
			return
		}
		if seen != nil && bytes.Equal(data, seen) {
			return
		}
		// An editor or a copy may be writing the file now: apply content
		// only once it reads the same twice, a moment apart.
		if !sleepCtx(ctx, min(interval/2, 50*time.Millisecond)) {
			return
		}
		if again, err := os.ReadFile(w.Path); err != nil || !bytes.Equal(again, data) {
			return // the next read takes it
		}
		v, err := Apply(w.Router, data, w.Base, w.Options...)
		if errors.Is(err, llmrouter.ErrCanaryRunning) {
			// Not refused, only early: tried again at each read until the
			// canary ends, and reported once.
			if seenErr != err.Error() {
				seenErr = err.Error()
				w.report(v, err)
			}
			return
		}
		seen, seenErr = data, ""
		w.report(v, err)
	}
	check()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			check()
		case <-w.Reload:
			check()
		}
	}
}

// sleepCtx sleeps for d; it reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *Watcher) report(v llmrouter.ConfigVersion, err error) {
	if w.OnApply != nil {
		w.OnApply(v, err)
	}
}
