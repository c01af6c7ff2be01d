package llmrouter

// RetryPolicyIsZero exposes RetryPolicy.isZero to the external tests.
func RetryPolicyIsZero(p RetryPolicy) bool { return p.isZero() }
