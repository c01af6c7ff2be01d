package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// maxResponse is the most of a Converse response body the adapter reads.
const maxResponse = 64 << 20

const userAgent = "llmrouter-bedrock"

// Chat implements llmrouter.Provider with Converse.
func (p *Provider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	resp, c, err := p.send(ctx, d, req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, c.transport(ctx, err)
	}
	out, pe := decodeResponse(c, body)
	if pe != nil {
		return nil, pe
	}
	out.ID = c.requestID
	out.Model = d.UpstreamModel()
	out.ReasoningDropped = req.ForeignReasoning(ProviderName)
	return out, nil
}

// Stream implements llmrouter.Provider with ConverseStream.
func (p *Provider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	resp, c, err := p.send(ctx, d, req, true)
	if err != nil {
		return nil, err
	}
	s := newStream(ctx, c, resp.Body)
	g := deploymentOptions(d).Guardrail // deploymentOptions is never nil
	s.hold = g != nil && g.HoldStream
	return s, nil
}

// call is what one call's errors need to know: where it went, its request
// id, and the credentials that must never appear in them (the provider's,
// plus the AWS credentials the call was signed with; nil holds none).
type call struct {
	deployment string
	requestID  string
	secrets    *wire.Secrets
}

// fail returns a classified error of the call, its message redacted and
// bounded (wire.Secrets.Finish).
func (c *call) fail(kind llmrouter.Kind, status int, code, msg string) *llmrouter.ProviderError {
	return c.secrets.Finish(&llmrouter.ProviderError{Provider: ProviderName, Deployment: c.deployment, Kind: kind,
		StatusCode: status, Code: code, Message: msg, RequestID: c.requestID})
}

// transport classifies a failure to send the request or read the answer.
func (c *call) transport(ctx context.Context, err error) *llmrouter.ProviderError {
	pe := wire.TransportError(ctx, ProviderName, c.deployment, err)
	pe.RequestID = c.requestID
	return c.secrets.Finish(pe)
}

// send encodes, signs and sends one request and returns the response of a
// 200; any other status is returned as a classified error.
func (p *Provider) send(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request, stream bool) (*http.Response, *call, error) {
	c := &call{deployment: d.Name, secrets: &p.secrets}
	region, pe := p.regionOf(c, d)
	if pe != nil {
		return nil, nil, pe
	}
	body, err := encodeRequest(d, req, stream)
	if err != nil {
		return nil, nil, requestError(c, err)
	}
	op := "/converse"
	if stream {
		op = "/converse-stream"
	}
	// No Accept header: as in the AWS SDKs, Converse does not negotiate
	// its content type (on InvokeModel, Accept means the model's type).
	resp, pe := p.post(ctx, c, d, region, op, "", body)
	if pe != nil {
		return nil, nil, pe
	}
	return resp, c, nil
}

// regionOf is the region d's calls go to: its own, else the provider's.
func (p *Provider) regionOf(c *call, d *llmrouter.Deployment) (string, *llmrouter.ProviderError) {
	region := d.Region
	if region == "" {
		region = p.region
	}
	if region == "" {
		pe := c.fail(llmrouter.KindBadRequest, 0, "no_region", "no AWS region: set Deployment.Region or bedrock.WithRegion")
		pe.Class = llmrouter.ClassFailover // this deployment's configuration, not the request, is at fault
		return "", pe
	}
	return region, nil
}

// post signs and posts body to operation op of d's model in region, and
// returns the response of a 200; any other status is a classified error.
func (p *Provider) post(ctx context.Context, c *call, d *llmrouter.Deployment, region, op, accept string, body []byte) (*http.Response, *llmrouter.ProviderError) {
	u := p.endpoint(region) + "/model/" + httpbinding.EscapePath(d.UpstreamModel(), true) + op
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		pe := c.fail(llmrouter.KindBadRequest, 0, "bad_endpoint", "building the request URL: "+err.Error())
		pe.Class = llmrouter.ClassFailover
		return nil, pe
	}
	hreq.Header.Set("Content-Type", "application/json")
	if accept != "" {
		hreq.Header.Set("Accept", accept)
	}
	hreq.Header.Set("User-Agent", userAgent)
	if pe := p.authorize(ctx, c, hreq, body, region); pe != nil {
		return nil, pe
	}

	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, c.transport(ctx, err)
	}
	c.requestID = resp.Header.Get("X-Amzn-Requestid")
	if resp.StatusCode != http.StatusOK {
		b := wire.ReadErrorBody(resp)
		return nil, errorFromResponse(c, resp.StatusCode, resp.Header, b)
	}
	return resp, nil
}

// authorize adds the Bedrock API key, or signs hreq with SigV4.
func (p *Provider) authorize(ctx context.Context, c *call, hreq *http.Request, body []byte, region string) *llmrouter.ProviderError {
	if p.apiKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+p.apiKey)
		return nil
	}
	if p.creds == nil {
		return c.fail(llmrouter.KindAuth, 0, "no_credentials", "no AWS credentials configured (bedrock.WithCredentials, WithStaticCredentials or WithAPIKey)")
	}
	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return c.transport(ctx, ctx.Err())
		}
		return c.fail(llmrouter.KindAuth, 0, "credentials", "retrieving AWS credentials: "+err.Error())
	}
	c.secrets = p.credSecrets(creds)
	sum := sha256.Sum256(body)
	if err := p.signer.SignHTTP(ctx, creds, hreq, hex.EncodeToString(sum[:]), SigningName, region, p.now()); err != nil {
		return c.fail(llmrouter.KindAuth, 0, "signing", "signing the request: "+err.Error())
	}
	return nil
}

// signedWith is the Secrets of calls signed with one set of credentials.
type signedWith struct {
	id, secret, token string
	secrets           *wire.Secrets
}

// credSecrets returns the provider's Secrets plus the access key id, secret
// access key and session token of creds. The last set is kept, so that
// calls signed with unchanged credentials share one.
func (p *Provider) credSecrets(creds aws.Credentials) *wire.Secrets {
	if s := p.signed.Load(); s != nil && s.id == creds.AccessKeyID &&
		s.secret == creds.SecretAccessKey && s.token == creds.SessionToken {
		return s.secrets
	}
	s := &signedWith{id: creds.AccessKeyID, secret: creds.SecretAccessKey, token: creds.SessionToken,
		secrets: p.secrets.With(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	p.signed.Store(s)
	return s.secrets
}
