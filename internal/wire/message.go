package wire

import "unicode/utf8"

// MaxMessage is the longest ProviderError message, code or request id an
// adapter produces, in bytes, truncation marker included. Every adapter
// bounds its messages to it through Secrets.Finish (or Clip).
const MaxMessage = 1024

// Truncated is appended to a message cut at MaxMessage.
const Truncated = "…[truncated]"

// Clip bounds s to MaxMessage bytes: a longer s is cut at a UTF-8 boundary
// and ends with Truncated. Clip knows no credentials; redact before
// clipping (Secrets.Message does both, in that order).
func Clip(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	return clipHead(s) + Truncated
}

// clipHead returns the part of a too-long s that Clip keeps before the
// marker: at most MaxMessage-len(Truncated) bytes, ending on a rune
// boundary.
func clipHead(s string) string {
	i := MaxMessage - len(Truncated)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
