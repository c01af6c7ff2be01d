package redisstore_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The root package keeps Redis out of its import graph: only services that
// import redisstore pay for go-redis.
func TestRootPackageDoesNotImportRedis(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/llmrouter/llmrouter").Output()
	require.NoError(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		require.NotContains(t, pkg, "redis", "the root package imports %s", pkg)
	}
}
