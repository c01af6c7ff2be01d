//go:build race

// Package racedetect reports whether the race detector is on, for tests
// that skip allocation counts (the detector allocates on its own) or scale
// down work it slows.
package racedetect

// Enabled is true in a build with -race.
const Enabled = true
