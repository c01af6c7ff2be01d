// Package e2e holds tests that run the router over real HTTP against
// loopback servers speaking the providers' wire formats: the chaos suite
// over HTTP, the check that API keys never leak, and the failover
// benchmarks against hand-written net/http clients. It has no code of its
// own.
package e2e
