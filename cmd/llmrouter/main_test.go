package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The decision log and configurations of package replay's tests, whose
// figures those tests check.
var (
	records = filepath.Join("..", "..", "replay", "testdata", "records.jsonl")
	euOnly  = filepath.Join("..", "..", "replay", "testdata", "eu-only.yaml")
)

// noNetwork makes any HTTP request through the default transport fail the
// test, for the test's duration.
func noNetwork(t *testing.T) {
	saved := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("the command made a network call to %s", r.URL.Host)
		return nil, errors.New("no network")
	})
	t.Cleanup(func() { http.DefaultTransport = saved })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestReplayCommand checks the terminal report against
// testdata/replay-eu-only.txt (go test -update rewrites it).
func TestReplayCommand(t *testing.T) {
	noNetwork(t)
	code, out, errOut := runCmd("replay", "--log", records, "--config", euOnly)
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, errOut)
	golden.Check(t, "replay-eu-only.txt", []byte(out))
}

// TestReplayCommandHTML writes one page holding the chart, and nothing
// it would load from elsewhere.
func TestReplayCommandHTML(t *testing.T) {
	noNetwork(t)
	path := filepath.Join(t.TempDir(), "out.html")
	code, out, errOut := runCmd("replay", "--log", records, "--config", euOnly, "--html", path)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Refused by policy")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(b)
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.Contains(t, page, "<svg ")
	assert.Equal(t, 4, strings.Count(page, "<rect "), "two bars for cost, two for refusals")
	assert.Contains(t, page, "<title>replayed: $0.0671</title>")
	assert.Contains(t, page, "<title>replayed: 4</title>")
	assert.Contains(t, page, "tenant-class(eu:region-in(eu-*))")
	for _, ref := range []string{"http:", "https:", "//", "<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"} {
		assert.NotContains(t, strings.ReplaceAll(page, "</", ""), ref, "the page must load nothing")
	}
	_, err = os.Stat(path + ".tmp")
	assert.True(t, os.IsNotExist(err), "no temporary file left")
}

// TestReplayCommandErrors names what is wrong, and exits 2 for a wrong
// command line, 1 for a bad file.
func TestReplayCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, exitUsage, "Usage: llmrouter <command>"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"no log", []string{"replay", "--config", euOnly}, exitUsage, "--log and --config are required"},
		{"stray argument", []string{"replay", "--log", records, "--config", euOnly, "extra"}, exitUsage, `unexpected argument "extra"`},
		{"unknown flag", []string{"replay", "--logs", records}, exitUsage, "flag provided but not defined: -logs"},
		{"missing log", []string{"replay", "--log", "testdata/none.jsonl", "--config", euOnly}, exitError, "none.jsonl: no such file"},
		{"bad log line", []string{"replay", "--log", "testdata/bad.jsonl", "--config", euOnly}, exitError,
			"testdata/bad.jsonl: replay: line 2: llmrouter: record: duration_ms: want milliseconds"},
		{"bad config", []string{"replay", "--log", records, "--config", "testdata/bad-route.yaml"}, exitError,
			`testdata/bad-route.yaml: config: routes.chat.tiers[1][0] (line 7): unknown deployment "claude-eu"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.stderr)
		})
	}
}

// TestHelp prints the usage on stdout and exits 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}} {
		code, out, _ := runCmd(args...)
		assert.Equal(t, exitOK, code)
		assert.Regexp(t, regexp.MustCompile(`(?m)^  replay `), out)
	}
	code, _, errOut := runCmd("replay", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, errOut, "-config")
}

// TestDispatchesConvert sends "convert" to runConvert.
func TestDispatchesConvert(t *testing.T) {
	code, _, errOut := runCmd("convert")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "usage: llmrouter convert litellm config.yaml")
}
