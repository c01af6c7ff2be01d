// Package replay replays a decision log under another configuration:
// every lineage record (one JSON object a line, as llmrouter.JSONLSink
// writes them) is planned again with Router.PlanRecord, nothing is sent,
// and a Report says what would change: the requests whose first choice of
// deployment moves, the ones the new policies refuse (and which policy
// does), the cost of the recorded token counts at the new prices, and each
// deployment's share and recorded latency.
//
// Records keep no prompt text, and need none: what routing reads of a
// request (route, tenant, user, labels, the capabilities it needed, its
// estimated input tokens, its max output tokens, stream and embed) is in
// the record. What a replay cannot know: a request's own policies
// (Request.Policies, which are code), what a custom policy would read of a
// prompt, and live state (quotas, breakers, cooldowns, limit counters,
// which start fresh).
//
// A configuration file names its providers; StandIns registers stand-ins
// under those names, so a file replays without keys. The command
// "llmrouter replay" (cmd/llmrouter) does all of this from the shell.
package replay
