package llmrouter

import (
	"encoding/json"
	"strings"
)

// Request is one chat request in the router's canonical form; each adapter
// translates it to its provider's wire format. The router and the adapters
// never modify a Request, so one may be reused or shared once built; build a
// new one rather than changing it while a call that uses it runs.
type Request struct {
	// ID identifies the request in lineage and traces. Empty means the router
	// generates one (Response.RequestID and Record.RequestID report it).
	ID string
	// Model names a route, or a deployment to call directly. Required.
	Model string
	// Messages is the conversation, oldest first. Required.
	Messages []Message
	// Tools the model may call.
	Tools []Tool
	// ToolChoice says whether and which tool the model must call. The zero
	// value lets the model decide.
	ToolChoice ToolChoice
	// ResponseFormat asks for plain text (the zero value), any JSON object,
	// or JSON matching a schema.
	ResponseFormat ResponseFormat
	// MaxOutputTokens caps the answer's length. Zero means the provider's
	// default; the quota estimate then uses the router's default output
	// estimate (see WithTokenEstimates). Negative is invalid, and so is more
	// than MaxRequestTokens.
	MaxOutputTokens int
	// Temperature, TopP and Seed are passed to providers that take them; nil
	// means the provider's default.
	Temperature *float64
	TopP        *float64
	Seed        *int64
	// Stop sequences end the answer when generated.
	Stop []string
	// Tenant names the customer the request is made for: quotas and
	// per-tenant policies key on it.
	Tenant string
	// User names the end user, for per-user quotas and lineage.
	User string
	// Labels are free-form attributes for policies, quotas and lineage.
	Labels map[string]string
	// AffinityKey keeps related requests on one deployment under the Sticky
	// strategy: a conversation or session id, or a hash of a shared prompt
	// prefix, so that the deployment's prompt cache keeps paying off. Empty
	// means no affinity; other strategies ignore it.
	AffinityKey string
	// Prefer, when not nil, narrows each pick to the candidates meeting
	// these soft preferences, as the Prefer strategy does for a route,
	// before the route's Strategy chooses. It never refuses the request:
	// when no candidate qualifies, every one stays in the running.
	Prefer *Preferences
	// Policies apply to this request only, on top of the router's and the
	// tenant's.
	Policies []Policy
	// Reasoning asks a reasoning model to think first; nil leaves the
	// provider's default. A request that asks for reasoning (Reasoning.On)
	// is sent only to deployments that declare CapReasoning or declare no
	// capabilities.
	Reasoning *Reasoning
	// CacheKey groups requests that share a long prefix, for providers
	// whose prompt cache takes a key (OpenAI prompt_cache_key); others
	// leave it out. Breakpoints are marked on parts (Part.Cache).
	CacheKey string
	// Extra holds body fields the canonical request does not model, keyed
	// by provider name (Provider.Name: "openai", "anthropic",
	// "gcp.gemini", "aws.bedrock", "openrouter", ...). Only the adapter of
	// that provider reads its entry and merges it into the JSON body it
	// sends, last: objects merge key by key, any other value replaces the
	// adapter's, and a nil value deletes the field. The values must encode
	// as JSON. The router never routes on Extra.
	Extra map[string]map[string]any
	// Timeouts, when not nil, override the router's timeouts (WithTimeouts)
	// for this request: each non-zero field replaces the router's, and a
	// zero field keeps it; a field may be longer than the router's (a long
	// generation) or shorter (an interactive call). They are checked as New
	// checks the router's: no field may be negative, or non-zero and under a
	// millisecond.
	Timeouts *Timeouts
	// MaxAttempts, when above zero, lowers RetryPolicy.MaxAttempts for this
	// request. It never raises it: a caller cannot raise what the fleet
	// spends on retries. Zero keeps the router's; negative is invalid.
	MaxAttempts int
	// Fallback names routes or deployments to try, in order, when the
	// request's own route (Model) ends with ErrNoRoute: every candidate
	// failed, was skipped or is unavailable. It is not used when the request
	// is invalid, refused by policies (ErrPolicyDenied) or quotas, out of
	// retry budget, or canceled. A fallback route's candidates pass every
	// policy, as the route's own do; the request is admitted against quotas
	// once, keeps its total timeout and MaxAttempts across every route, and
	// writes one lineage record (Record.Fallbacks). A deployment the request
	// already tried is not tried again. At most MaxFallbacks names, each
	// naming a route or deployment, none twice, none the Model itself.
	Fallback []string

	embed *EmbedRequest // set when the router routes an embeddings request
	// recorded is set by PlanRecord: the request is rebuilt from a lineage
	// record, without its content, and needs and EstimateInputTokens read
	// what the record kept of it.
	recorded *recordedContent
}

// Role is who speaks a message.
type Role string

// The roles a message may have.
const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role Role
	// Content holds the message's text and images, in order.
	Content []Part
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID names the call a RoleTool message answers.
	ToolCallID string
	// Reasoning is the provider-bound reasoning state of an assistant
	// message (see ReasoningBlock), replayed to the provider that issued it
	// and left out for any other.
	Reasoning []ReasoningBlock
}

// Text returns the message's text parts joined together.
func (m *Message) Text() string {
	if len(m.Content) == 1 && m.Content[0].Type == PartText {
		return m.Content[0].Text
	}
	var n int
	for _, p := range m.Content {
		n += len(p.Text)
	}
	b := make([]byte, 0, n)
	for _, p := range m.Content {
		if p.Type == PartText {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// PartType says what a Part holds.
type PartType string

// The kinds of content part.
const (
	PartText  PartType = "text"
	PartImage PartType = "image"
)

// Part is a piece of a message's content: text or an image.
type Part struct {
	Type  PartType
	Text  string
	Image *Image
	// Cache, when not nil, marks a prompt cache breakpoint after this part.
	Cache *CacheHint
}

// Image is an image given by URL or inline bytes.
type Image struct {
	// URL of the image (https: or data:). Either URL or Data is required.
	URL string
	// Data is the image itself; MediaType is then required ("image/png").
	Data      []byte
	MediaType string
}

// TextPart returns a text part.
func TextPart(text string) Part { return Part{Type: PartText, Text: text} }

// ImagePart returns an image part that points to url.
func ImagePart(url string) Part { return Part{Type: PartImage, Image: &Image{URL: url}} }

// System returns a system message holding text.
func System(text string) Message { return textMessage(RoleSystem, text) }

// Developer returns a developer message holding text.
func Developer(text string) Message { return textMessage(RoleDeveloper, text) }

// User returns a user message holding text.
func User(text string) Message { return textMessage(RoleUser, text) }

// Assistant returns an assistant message holding text.
func Assistant(text string) Message { return textMessage(RoleAssistant, text) }

// ToolResult returns the tool message answering call callID with content.
func ToolResult(callID, content string) Message {
	m := textMessage(RoleTool, content)
	m.ToolCallID = callID
	return m
}

func textMessage(role Role, text string) Message {
	return Message{Role: role, Content: []Part{TextPart(text)}}
}

// Tool is a function the model may call.
type Tool struct {
	// Name is required and unique within a request.
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments. Empty means none.
	Parameters json.RawMessage
}

// ToolCall is a call the model made.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is the JSON text of the arguments.
	Arguments string
	// Signature is an opaque token the provider issued with the call (a
	// Gemini thought signature, which carries the model's reasoning) and
	// wants back, unchanged, when the conversation is sent to it again.
	// Keep it with the call; adapters that have no use for it ignore it.
	Signature string
}

// ToolChoiceMode says how the model may use tools.
type ToolChoiceMode string

// The tool choice modes. The empty mode is ToolAuto.
const (
	ToolAuto     ToolChoiceMode = "auto"
	ToolNone     ToolChoiceMode = "none"
	ToolRequired ToolChoiceMode = "required"
	ToolForced   ToolChoiceMode = "tool" // call the tool named in ToolChoice.Name
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode ToolChoiceMode
	Name string // with ToolForced: the tool to call
}

// FormatType is the kind of answer asked for.
type FormatType string

// The response formats. The empty type is FormatText.
const (
	FormatText       FormatType = "text"
	FormatJSON       FormatType = "json"
	FormatJSONSchema FormatType = "json_schema"
)

// ResponseFormat asks for text, any JSON object, or JSON matching a schema.
type ResponseFormat struct {
	Type FormatType
	// Name and Schema describe the expected JSON with FormatJSONSchema.
	Name   string
	Schema json.RawMessage
	// Strict asks the provider to enforce the schema exactly.
	Strict bool
}

// Ptr returns a pointer to v, for the optional fields of a Request:
// Temperature: llmrouter.Ptr(0.2).
func Ptr[T any](v T) *T { return &v }

// needs returns the capabilities the request requires of a deployment.
func (r *Request) needs(stream bool) Capabilities {
	var content Capabilities
	for i := range r.Messages {
		for j := range r.Messages[i].Content {
			if p := &r.Messages[i].Content[j]; p.Type == PartImage {
				content |= CapVision
				if p.Image != nil && p.Image.IsWebURL() {
					content |= CapImageURL
					break
				}
			}
		}
	}
	return r.needsWith(stream, content)
}

// needsWith is needs given what the request's content needs (CapVision,
// CapImageURL), as its scan found.
func (r *Request) needsWith(stream bool, content Capabilities) Capabilities {
	if r.recorded != nil {
		return r.recorded.needs(stream)
	}
	if r.embed != nil {
		return CapEmbeddings
	}
	c := content
	if len(r.Tools) > 0 {
		c |= CapTools
	}
	if r.ResponseFormat.Type == FormatJSON || r.ResponseFormat.Type == FormatJSONSchema {
		c |= CapJSON
	}
	if stream {
		c |= CapStreaming
	}
	if r.Reasoning.On() {
		c |= CapReasoning
	}
	return c
}

// IsWebURL reports whether the image is given by an http or https URL,
// which the provider must fetch (as opposed to bytes, a data: URL, or a
// provider's own storage such as s3://). Such an image needs CapImageURL.
func (img *Image) IsWebURL() bool {
	scheme, _, ok := strings.Cut(img.URL, "://")
	return ok && (strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "http"))
}
