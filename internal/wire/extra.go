package wire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/llmrouter/llmrouter"
)

// MergeExtra merges req.Extra[provider] (llmrouter.Request.Extra) into the
// JSON object body and returns the new body; body itself is returned when
// the request has no entry for provider. Objects merge key by key,
// recursively; any other value replaces the body's; a nil value deletes the
// key. The merged body's keys are in sorted order. A value that does not
// encode as JSON is a KindBadRequest error naming the field.
func MergeExtra(body []byte, req *llmrouter.Request, provider string) ([]byte, *llmrouter.ProviderError) {
	extra := req.Extra[provider]
	if len(extra) == 0 {
		return body, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep numbers exactly as the adapter wrote them
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "merging Extra: " + err.Error()}
	}
	for k, v := range extra {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest,
				Message: "Extra[" + strconv.Quote(provider) + "][" + strconv.Quote(k) + "] does not encode as JSON: " + err.Error()}
		}
		var val any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		_ = d.Decode(&val) // valid: just encoded
		obj[k] = merge(obj[k], val)
		if val == nil {
			delete(obj, k)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "merging Extra: " + err.Error()}
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// merge returns over merged into base: two objects merge key by key (a nil
// value deleting the key); anything else is replaced by over.
func merge(base, over any) any {
	b, ok1 := base.(map[string]any)
	o, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		return over
	}
	for k, v := range o {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = merge(b[k], v)
	}
	return b
}
