package llmrouter

import (
	"testing"
	"unsafe"
)

// TestCallFitsItsSizeClass keeps the pooled call, with the runtime's 8-byte
// header for pointerful objects over 512 bytes, in the 2,304-byte size
// class; the next class is 2,688 (TestTenThousandConcurrentStreams sees the
// difference as ~380 bytes more per stream).
func TestCallFitsItsSizeClass(t *testing.T) {
	if size := unsafe.Sizeof(call{}) + 8; size > 2304 {
		t.Fatalf("a call takes %d bytes with its header, over its 2,304-byte size class", size)
	}
}
