// Package wire is the one hygiene layer the HTTP adapters share for
// finishing an error: classifying HTTP statuses and transport failures into
// llmrouter kinds, reading Retry-After in its several dialects, bounded body
// reads, refusing redirects that would carry credentials to another host,
// and keeping every credential out of error messages, which it bounds to
// MaxMessage bytes.
//
// Classification by a provider's own error codes and messages stays in each
// adapter; what is here knows nothing of any one provider.
package wire
