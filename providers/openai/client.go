package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// maxBody is the largest response body Chat reads.
const maxBody = 64 << 20

// work holds the buffers of one call: the encoded request, then the
// response body and the decoder. Pooled between calls.
type work struct {
	buf []byte
	s   scanner
}

var workPool = sync.Pool{New: func() any { return &work{buf: make([]byte, 0, 4<<10)} }}

func getWork() *work { return workPool.Get().(*work) }

func putWork(w *work) {
	if cap(w.buf) > 1<<20 || cap(w.s.scratch) > 1<<20 {
		return // do not keep a huge buffer alive
	}
	w.s.reset(nil)
	workPool.Put(w)
}

// Chat sends one request to deployment d and returns the whole answer.
func (p *Provider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	w := getWork()
	defer putWork(w)
	resp, pe := p.send(ctx, d, req, false, w)
	if pe != nil {
		return nil, pe
	}
	out, err := p.readResponse(ctx, d, resp, w)
	if out != nil {
		out.ReasoningDropped = req.ForeignReasoning(p.name)
	}
	return out, err
}

// readResponse reads and decodes a 2xx answer, and closes its body.
func (p *Provider) readResponse(ctx context.Context, d *llmrouter.Deployment, resp *http.Response, w *work) (*llmrouter.Response, error) {
	body, err := readBody(resp, w.buf[:0])
	_ = resp.Body.Close()
	w.buf = body[:0]
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	out := &llmrouter.Response{}
	errBody, err := decodeResponse(&w.s, body, out)
	if err != nil {
		return nil, p.malformed(d, resp, "unreadable response: "+err.Error())
	}
	if errBody != nil {
		pe := p.classify(resp.StatusCode, resp.Header, errBody, d.Name)
		return nil, pe
	}
	out.RateLimit = parseRateLimit(resp.Header)
	p.ownBlocks(out)
	if out.ServedBy == "" {
		out.ServedBy = p.servedBy(resp.Header)
	}
	return out, nil
}

// send encodes and posts the request, and classifies a failure to get a 2xx
// answer. On success the caller owns resp.Body.
func (p *Provider) send(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request, stream bool, w *work) (*http.Response, *llmrouter.ProviderError) {
	body, err := p.appendBody(w.buf[:0], d, req, stream)
	w.buf = body[:0]
	if pe, ok := err.(*llmrouter.ProviderError); ok {
		return nil, p.fail(d, pe)
	}
	if err != nil {
		return nil, p.sec().Finish(&llmrouter.ProviderError{Provider: p.name, Deployment: d.Name,
			Kind: llmrouter.KindBadRequest, Message: err.Error(), Err: err})
	}
	if req.Extra[p.name] != nil {
		merged, pe := wire.MergeExtra(body, req, p.name)
		if pe != nil {
			return nil, p.fail(d, pe)
		}
		body = merged
	}
	// The transport may read the body after Do returns (and again, through
	// GetBody, to retry on a fresh connection), so it gets its own copy.
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.urlFor(d.UpstreamModel()), bytes.NewReader(bytes.Clone(body)))
	if err != nil {
		return nil, p.sec().Finish(&llmrouter.ProviderError{Provider: p.name, Deployment: d.Name,
			Kind: llmrouter.KindBadRequest, Message: err.Error()})
	}
	hs := p.headers
	if stream {
		hs = p.streamHeaders
	}
	for _, h := range hs {
		hreq.Header[h.key] = h.val
	}
	if pe := p.tokens.Authorize(ctx, hreq.Header, "Authorization", "Bearer "); pe != nil {
		return nil, p.fail(d, pe)
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, p.httpError(resp, d.Name)
	}
	return resp, nil
}

// readBody reads a response body into buf, growing it as needed.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxBody && int(n) > cap(buf) {
		buf = make([]byte, 0, int(n)+1) // +1: room to see the EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxBody {
				return buf, errTooLarge
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var errTooLarge = &bodyError{"response body larger than 64 MiB"}

type bodyError struct{ s string }

func (e *bodyError) Error() string { return e.s }

// transportError classifies a failure to send or read.
func (p *Provider) transportError(ctx context.Context, d *llmrouter.Deployment, err error) *llmrouter.ProviderError {
	pe := wire.TransportError(ctx, p.name, d.Name, err)
	if err == errTooLarge {
		pe.Kind = llmrouter.KindMalformed
	}
	return p.sec().Finish(pe)
}

// malformed reports an answer that could not be read.
func (p *Provider) malformed(d *llmrouter.Deployment, resp *http.Response, msg string) *llmrouter.ProviderError {
	pe := &llmrouter.ProviderError{Provider: p.name, Deployment: d.Name, Kind: llmrouter.KindMalformed, Message: msg}
	if resp != nil {
		pe.StatusCode = resp.StatusCode
		pe.RequestID = requestID(resp.Header)
	}
	return p.sec().Finish(pe)
}
