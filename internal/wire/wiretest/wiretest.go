// Package wiretest holds what the adapters' error-hygiene tests share:
// bodies that put a credential across the MaxMessage cut at every offset,
// and a check for any piece of a credential left in a message.
package wiretest

import (
	"strings"

	"github.com/llmrouter/llmrouter/internal/wire"
)

// MinFragment is the shortest piece of a credential Leaked looks for.
const MinFragment = 8

// LongMessage is the length of the long upstream messages the tests send:
// 30 KiB, as a proxy's error page or a model's echo of the prompt.
const LongMessage = 30 << 10

// Straddling returns, for every offset at which key straddles the
// MaxMessage cut of a message that begins with prefix (and a few offsets
// around), a message of prefix, filler, key and LongMessage bytes of tail.
// It does the same around MaxMessage/2, where some adapters used to cut
// their messages, so that a second, shorter clip cannot come back unseen.
func Straddling(prefix, key string) []string {
	var out []string
	for _, bound := range [...]int{wire.MaxMessage / 2, wire.MaxMessage - len(wire.Truncated)} {
		for off := max(0, bound-len(key)-len(prefix)-16); off <= bound+len(wire.Truncated)+16; off++ {
			out = append(out, prefix+strings.Repeat("x", off)+key+strings.Repeat("y", LongMessage))
		}
	}
	return out
}

// Leaked returns the longest piece of key, MinFragment bytes or more, found
// in s, or "".
func Leaked(s, key string) string {
	for n := len(key); n >= MinFragment; n-- {
		for i := 0; i+n <= len(key); i++ {
			if strings.Contains(s, key[i:i+n]) {
				return key[i : i+n]
			}
		}
	}
	return ""
}
