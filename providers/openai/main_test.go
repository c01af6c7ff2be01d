package openai

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// stream and call must end with its context or its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
