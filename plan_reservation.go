package llmrouter

import "strconv"

// tooLargeForTPM says why a deployment whose TPM is smaller than a
// request's reservation skips it, naming the reservation rule: a call
// reserves its estimated input tokens plus the output it may produce
// (Request.MaxOutputTokens, else TokenEstimates.DefaultOutput, 1024 by
// default) against the deployment's TPM before it is sent, so a TPM below
// that can never admit the request however long it waits. Plan and
// lineage records carry this reason; README "Limits and reservations"
// documents the rule.
func tooLargeForTPM(tokens int64, l Limit) string {
	return "request reserves " + strconv.FormatInt(tokens, 10) + " tokens (estimated input plus MaxOutputTokens, or TokenEstimates.DefaultOutput when unset), more than its whole TPM limit of " +
		l.String() + ": it can never take this request; lower the request's MaxOutputTokens or raise the deployment's TPM"
}
