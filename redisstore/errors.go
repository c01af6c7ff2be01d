package redisstore

import "github.com/llmrouter/llmrouter"

// UnavailableError reports that Redis could not answer an operation: a
// timeout, a refused connection, a server error, or the breaker open after
// repeated failures (then Err is gobreaker.ErrOpenState and nothing was
// sent). It is llmrouter.ErrQuotaExceeded for errors.Is: a reservation the
// store could not make is refused (FailClosed), never admitted blindly.
type UnavailableError struct {
	// Op is "reserve" or "settle".
	Op string
	// Err is the cause.
	Err error
}

// Error names the operation and the cause.
func (e *UnavailableError) Error() string {
	return "redisstore: " + e.Op + ": redis unavailable: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is reports whether target is llmrouter.ErrQuotaExceeded.
func (e *UnavailableError) Is(target error) bool { return target == llmrouter.ErrQuotaExceeded }
