package llmrouter

import (
	"context"
	"strconv"
	"unicode/utf8"
)

// EmbedTask says what embeddings are for, for providers that embed
// differently per task (Gemini taskType, Cohere input_type). Providers
// without tasks (OpenAI) leave it out.
type EmbedTask string

// The embedding tasks. The empty task is the provider's default.
const (
	EmbedQuery          EmbedTask = "query"    // a search query
	EmbedDocument       EmbedTask = "document" // a document to be searched
	EmbedSimilarity     EmbedTask = "similarity"
	EmbedClassification EmbedTask = "classification"
	EmbedClustering     EmbedTask = "clustering"
)

// EmbedRequest is one embeddings request in the router's canonical form.
// The router routes it as it routes a chat request (routes, policies,
// quotas, retries, failover, breakers, lineage and spans), to deployments
// whose provider implements Embedder. As for Request, the router and the
// adapters never modify it.
type EmbedRequest struct {
	// ID identifies the request in lineage and traces; empty means the
	// router generates one.
	ID string
	// Model names a route, or a deployment to call directly. Required.
	Model string
	// Inputs are the texts to embed, one vector each, in order. Required;
	// no input may be empty.
	Inputs []string
	// Dimensions asks for vectors of this length, for models that can
	// shorten theirs (OpenAI text-embedding-3, Gemini). Zero means the
	// model's default.
	Dimensions int
	// Task says what the embeddings are for; empty means the provider's
	// default.
	Task EmbedTask
	// Tenant, User, Labels and Policies are as in Request.
	Tenant   string
	User     string
	Labels   map[string]string
	Policies []Policy
	// Extra holds body fields per provider name, as Request.Extra.
	Extra map[string]map[string]any
	// Timeouts, MaxAttempts and Fallback override the router's settings
	// for this request, as in Request.
	Timeouts    *Timeouts
	MaxAttempts int
	Fallback    []string
}

// EmbedResponse is the answer to an EmbedRequest. Adapters fill the
// vectors, Model and Usage; the router fills the routing fields.
type EmbedResponse struct {
	// Embeddings holds one vector per input, in the order of the inputs.
	Embeddings [][]float32
	// Model is the model that answered, as the provider reports it.
	Model string
	// Usage counts the input tokens (InputTokens); Estimated is set when
	// the provider reported none and the router estimated it.
	Usage Usage

	// RequestID, Deployment, Provider and Cost are set by the router, as
	// in Response.
	RequestID  string
	Deployment string
	Provider   string
	Cost       float64
}

// Embedder is implemented by providers that serve embeddings. A
// deployment whose provider is not an Embedder is skipped by Router.Embed
// (a KindBadRequest, ClassFailover attempt error), and so is one that
// declares capabilities without CapEmbeddings. Embed has the contract of
// Provider.Chat: safe for concurrent use, no change to the request or the
// deployment, a prompt return when ctx ends, failures classified once as a
// *ProviderError.
type Embedder interface {
	Embed(ctx context.Context, d *Deployment, req *EmbedRequest) (*EmbedResponse, error)
}

// Validate checks an embeddings request without sending it. It returns a
// *RequestError naming the first faulty field, or nil.
func (r *EmbedRequest) Validate() error {
	switch {
	case r == nil:
		return &RequestError{Field: "EmbedRequest", Reason: "nil"}
	case r.Model == "":
		return &RequestError{Field: "Model", Reason: "empty: name a route or a deployment"}
	case len(r.Inputs) == 0:
		return &RequestError{Field: "Inputs", Reason: "empty: nothing to embed"}
	case r.Dimensions < 0:
		return &RequestError{Field: "Dimensions", Reason: "negative"}
	}
	for i, in := range r.Inputs {
		if in == "" || !utf8.ValidString(in) {
			return &RequestError{Field: "Inputs[" + strconv.Itoa(i) + "]", Reason: "empty or not valid UTF-8"}
		}
	}
	switch r.Task {
	case "", EmbedQuery, EmbedDocument, EmbedSimilarity, EmbedClassification, EmbedClustering:
	default:
		return &RequestError{Field: "Task", Reason: "unknown task " + strconv.Quote(string(r.Task))}
	}
	for i, p := range r.Policies {
		if p.Check == nil {
			return &RequestError{Field: "Policies[" + strconv.Itoa(i) + "]", Reason: "policy " + strconv.Quote(p.Name) + " has no Check"}
		}
	}
	o := Request{Model: r.Model, Timeouts: r.Timeouts, MaxAttempts: r.MaxAttempts, Fallback: r.Fallback}
	return o.validateOverrides()
}

// chatShape is the Request the router routes an embeddings request as: its
// inputs as user messages (for the token estimate, the prompt hash and
// content capture), its routing fields, and embed set.
func (r *EmbedRequest) chatShape() *Request {
	msgs := make([]Message, len(r.Inputs))
	for i, in := range r.Inputs {
		msgs[i] = User(in)
	}
	return &Request{ID: r.ID, Model: r.Model, Messages: msgs, Tenant: r.Tenant, User: r.User,
		Labels: r.Labels, Policies: r.Policies, Extra: r.Extra, embed: r,
		Timeouts: r.Timeouts, MaxAttempts: r.MaxAttempts, Fallback: r.Fallback}
}

// Embed routes req to a deployment that serves embeddings and returns the
// vectors. It fails as Chat does (a *RequestError, ErrNoRoute,
// ErrPolicyDenied, a *QuotaError...), and writes one lineage record, for an
// invalid request too.
func (r *Router) Embed(ctx context.Context, req *EmbedRequest) (resp *EmbedResponse, err error) {
	var shaped *Request
	if req != nil {
		shaped = req.chatShape()
	}
	c := r.serve(shaped).begin(ctx, shaped, false)
	route, finished := c.req.Model, false
	defer func() {
		if v := recover(); v != nil {
			resp, err = nil, c.backstop(route, finished, v)
		}
	}()
	resp, err = c.embedAll()
	finished = true
	var routed Response // the routing fields finish fills
	if resp != nil {
		routed.Usage = resp.Usage
	}
	c.finish(&routed, err)
	if resp != nil {
		resp.RequestID, resp.Deployment, resp.Provider, resp.Cost = routed.RequestID, routed.Deployment, routed.Provider, routed.Cost
	}
	return resp, err
}

// embedAll runs an embeddings request to its end, as chat runs a chat one.
func (c *call) embedAll() (*EmbedResponse, error) {
	if c.invalid == nil {
		if err := c.req.embed.Validate(); err != nil {
			return nil, err
		}
	}
	return runAttempts(c, c.attemptEmbed, nil)
}

// attemptEmbed makes one embeddings call to member i, as attemptChat makes
// a chat call.
func (c *call) attemptEmbed(i int) (*EmbedResponse, *ProviderError) {
	d := c.rt.members[i]
	resend := int(c.tries[i])
	c.attempts++
	c.tries[i]++
	start := c.held.at
	ctx, cancel := c.ctx, context.CancelFunc(nil)
	if t := c.timeouts().Attempt; t > 0 {
		ctx, cancel = context.WithTimeout(ctx, t)
	}
	ctx, span := c.startAttemptSpan(ctx, d, resend)
	var resp *EmbedResponse
	var err error
	orphaned := false
	em, ok := d.Provider.(Embedder)
	switch {
	case !ok:
		err = &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindBadRequest, Class: ClassFailover,
			Code: "unsupported_operation", Message: "provider " + strconv.Quote(d.provider) + " does not serve embeddings"}
	case d.honorsCtx:
		resp, err = safeEmbed(ctx, d, em, c.req.embed)
	default:
		resp, err, orphaned = c.guardedEmbed(ctx, d, em)
	}
	var pe *ProviderError
	switch {
	case err != nil:
		pe = c.classify(err, ctx, d)
	case resp == nil || len(resp.Embeddings) != len(c.req.embed.Inputs):
		pe = &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed,
			Message: "provider returned no answer, or not one vector per input"}
	}
	if cancel != nil {
		cancel()
	}
	a := AttemptRecord{Deployment: d.Name, Provider: d.provider, Model: d.UpstreamModel(), Start: start, Duration: c.attemptEnded(start), Orphaned: orphaned}
	if pe != nil {
		c.endAttempt(i, &a, pe, Usage{})
		endAttemptSpan(span, &a, nil)
		return nil, pe
	}
	if resp.Usage.InputTokens == 0 {
		resp.Usage = Usage{InputTokens: c.estInput, Estimated: true}
	}
	resp.Usage = resp.Usage.clamped()
	c.endAttempt(i, &a, nil, resp.Usage)
	endAttemptSpan(span, &a, &Response{Usage: resp.Usage, Model: resp.Model})
	return resp, nil
}

// guardedEmbed calls a provider that does not declare it honours its
// context on a goroutine of its own, as guardedChat does.
func (c *call) guardedEmbed(ctx context.Context, d *deployment, em Embedder) (resp *EmbedResponse, err error, orphaned bool) {
	req := c.req.embed
	return guardedAttempt(c, ctx, d, func() (*EmbedResponse, error) { return safeEmbed(ctx, d, em, req) },
		func(r *EmbedResponse) Usage { return r.Usage })
}

// safeEmbed calls em, recovering a panic into a *ProviderError.
func safeEmbed(ctx context.Context, d *deployment, em Embedder, req *EmbedRequest) (resp *EmbedResponse, err error) {
	defer func() {
		if v := recover(); v != nil {
			resp, err = nil, panicError(d, inProvider, v)
		}
	}()
	return em.Embed(ctx, &d.Deployment, req)
}
