package wire

import (
	"io"
	"net/http"
)

// MaxErrorBody is the most of an error response body an adapter reads.
const MaxErrorBody = 64 << 10

// ReadErrorBody reads at most MaxErrorBody bytes of a response body and
// closes it, after draining up to MaxErrorBody more so that the connection
// can be reused.
func ReadErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
	return b
}
