package llmrouter

import (
	"context"
	"time"
)

// SetSleep replaces how r sleeps between retries and while waiting for a
// cooldown, so tests can record waits and move a fake clock instead.
func SetSleep(r *Router, f func(ctx context.Context, d time.Duration) error) { r.sleep = f }
