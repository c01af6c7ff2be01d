//go:build !race

package llmrouter_test

const raceEnabled = false
