package llmrouter

import (
	"testing"
	"time"
)

// wallNow extends one wall-clock reading by the monotonic clock for at most
// anchorFor, then reads the wall clock again, so that a step of the system
// clock shows in request times within a second.
func TestWallNowRenewsItsAnchor(t *testing.T) {
	old := time.Now().Add(-2 * anchorFor)
	wallAnchor.Store(&old)
	before := time.Now()
	got := wallNow()
	if a := wallAnchor.Load(); a == &old {
		t.Fatal("an anchor older than anchorFor was kept")
	}
	if got.Before(before) || time.Since(got) < 0 {
		t.Fatalf("wallNow() = %v, called after %v", got, before)
	}
	fresh := wallAnchor.Load()
	if wallNow(); wallAnchor.Load() != fresh {
		t.Fatal("a fresh anchor was replaced")
	}
}
