package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

func TestOpenAPISchemaConversion(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"additionalProperties false dropped, types upper-cased",
			`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`,
			`{"type":"OBJECT","properties":{"city":{"type":"STRING"}},"required":["city"]}`},
		{"additionalProperties true and {} dropped",
			`{"type":"object","properties":{"a":{"type":"object","additionalProperties":{}}},"additionalProperties":true}`,
			`{"type":"OBJECT","properties":{"a":{"type":"OBJECT"}}}`},
		{"annotations dropped, default kept",
			`{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:x","$comment":"c","type":"string","examples":["a"],"default":"a","description":"d","deprecated":true,"readOnly":true}`,
			`{"type":"STRING","default":"a","description":"d"}`},
		{"subset keywords kept",
			`{"type":"string","format":"date-time","title":"T","pattern":"^a","minLength":1,"maxLength":9,"nullable":true,"example":"a"}`,
			`{"type":"STRING","format":"date-time","title":"T","pattern":"^a","minLength":1,"maxLength":9,"nullable":true,"example":"a"}`},
		{"array bounds and nested items",
			`{"type":"array","items":{"type":"object","properties":{"n":{"type":"number","minimum":0,"maximum":1}},"propertyOrdering":["n"],"minProperties":1,"maxProperties":2},"minItems":1,"maxItems":3}`,
			`{"type":"ARRAY","items":{"type":"OBJECT","properties":{"n":{"type":"NUMBER","minimum":0,"maximum":1}},"propertyOrdering":["n"],"minProperties":1,"maxProperties":2},"minItems":1,"maxItems":3}`},
		{"type with null becomes nullable",
			`{"type":["string","null"]}`,
			`{"type":"STRING","nullable":true}`},
		{"type array of one",
			`{"type":["integer"]}`,
			`{"type":"INTEGER"}`},
		{"const becomes a one-value enum",
			`{"type":"string","const":"yes"}`,
			`{"type":"STRING","enum":["yes"]}`},
		{"null in enum becomes nullable",
			`{"enum":["a","b",null]}`,
			`{"enum":["a","b"],"nullable":true}`},
		{"anyOf with a null branch merges the other (pydantic Optional)",
			`{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null,"title":"Age"}`,
			`{"default":null,"title":"Age","type":"INTEGER","nullable":true}`},
		{"anyOf of several branches kept, each converted",
			`{"anyOf":[{"type":"string","additionalProperties":false},{"type":"integer","exclusiveMinimum":0},{"type":"null"}]}`,
			`{"anyOf":[{"type":"STRING"},{"type":"INTEGER","minimum":0}],"nullable":true}`},
		{"exclusive bounds: numbers become inclusive, booleans are dropped",
			`{"type":"number","exclusiveMinimum":0,"maximum":10,"exclusiveMaximum":true}`,
			`{"type":"NUMBER","minimum":0,"maximum":10}`},
		{"exclusive bound beside an inclusive one is dropped",
			`{"type":"number","minimum":1,"exclusiveMinimum":0}`,
			`{"type":"NUMBER","minimum":1}`},
		{"$defs inlined, the parent's keywords win",
			`{"type":"object","properties":{"home":{"$ref":"#/$defs/Address","description":"Home"},"work":{"$ref":"#/$defs/Address"}},"$defs":{"Address":{"type":"object","description":"An address","properties":{"zip":{"type":"string"}},"additionalProperties":false}}}`,
			`{"type":"OBJECT","properties":{"home":{"description":"Home","type":"OBJECT","properties":{"zip":{"type":"STRING"}}},"work":{"type":"OBJECT","description":"An address","properties":{"zip":{"type":"STRING"}}}}}`},
		{"draft-07 definitions inlined, nested refs too",
			`{"definitions":{"A":{"type":"object","properties":{"b":{"$ref":"#/definitions/B"}}},"B":{"type":["boolean","null"]}},"$ref":"#/definitions/A"}`,
			`{"type":"OBJECT","properties":{"b":{"type":"BOOLEAN","nullable":true}}}`},
		{"escaped definition name",
			`{"$defs":{"a/b":{"type":"string"}},"$ref":"#/$defs/a~1b"}`,
			`{"type":"STRING"}`},
		{"a schema already in Gemini's form is kept",
			`{"type":"OBJECT","properties":{"d":{"type":"STRING","format":"enum","enum":["N","S"],"nullable":true}},"propertyOrdering":["d"]}`,
			`{"type":"OBJECT","properties":{"d":{"type":"STRING","format":"enum","enum":["N","S"],"nullable":true}},"propertyOrdering":["d"]}`},
		{"empty schema",
			`{}`,
			`{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := openAPISchema("Tools[0].Parameters", json.RawMessage(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("not JSON: %s", got)
			}
		})
	}
}

func TestOpenAPISchemaRefusals(t *testing.T) {
	cases := []struct {
		name, in      string
		keyword, path string
	}{
		{"oneOf", `{"type":"object","properties":{"pet":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}`, "oneOf", "#/properties/pet"},
		{"allOf", `{"allOf":[{"type":"string"}]}`, "allOf", "#"},
		{"not", `{"type":"string","not":{"const":"x"}}`, "not", "#"},
		{"if", `{"if":{"type":"string"},"then":{"minLength":1}}`, "if", "#"},
		{"patternProperties", `{"type":"object","patternProperties":{"^x":{"type":"string"}}}`, "patternProperties", "#"},
		{"additionalProperties schema", `{"type":"object","properties":{"tags":{"type":"object","additionalProperties":{"type":"string"}}}}`, "additionalProperties", "#/properties/tags"},
		{"tuple items", `{"type":"array","items":[{"type":"string"}]}`, "items", "#"},
		{"prefixItems", `{"type":"array","prefixItems":[{"type":"string"}]}`, "prefixItems", "#"},
		{"uniqueItems", `{"type":"array","items":{"type":"string"},"uniqueItems":true}`, "uniqueItems", "#"},
		{"multipleOf", `{"type":"number","multipleOf":5}`, "multipleOf", "#"},
		{"unknown keyword", `{"type":"string","x-order":1}`, "x-order", "#"},
		{"several types", `{"type":["string","integer"]}`, "type", "#"},
		{"only null", `{"type":"null"}`, "type", "#"},
		{"unknown type", `{"type":"date"}`, "type", "#"},
		{"number enum", `{"type":"integer","enum":[1,2]}`, "enum", "#"},
		{"number const", `{"properties":{"v":{"const":3}}}`, "const", "#/properties/v"},
		{"enum and const together", `{"enum":["a","b"],"const":"a"}`, "const", "#"},
		{"anyOf of null only", `{"anyOf":[{"type":"null"}]}`, "anyOf", "#"},
		{"recursive $ref", `{"$defs":{"Node":{"type":"object","properties":{"next":{"$ref":"#/$defs/Node"}}}},"$ref":"#/$defs/Node"}`, "$ref", "#/$defs/Node/properties/next"},
		{"mutually recursive $refs", `{"definitions":{"A":{"properties":{"b":{"$ref":"#/definitions/B"}}},"B":{"items":{"$ref":"#/definitions/A"}}},"$ref":"#/definitions/A"}`, "$ref", "#/definitions/B/items"},
		{"remote $ref", `{"properties":{"x":{"$ref":"https://example.com/s.json"}}}`, "$ref", "#/properties/x"},
		{"root $ref", `{"properties":{"x":{"$ref":"#"}}}`, "$ref", "#/properties/x"},
		{"missing definition", `{"$ref":"#/$defs/Nope"}`, "$ref", "#"},
		{"error inside a definition names its path", `{"$defs":{"D":{"oneOf":[]}},"properties":{"d":{"$ref":"#/$defs/D"}}}`, "oneOf", "#/$defs/D"},
		{"boolean schema", `{"properties":{"x":true}}`, "", "#/properties/x"},
		{"escaped property name in the path", `{"properties":{"a/b~c":{"not":{}}}}`, "not", "#/properties/a~1b~0c"},
		{"not an object", `[]`, "", "#"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := openAPISchema("ResponseFormat.Schema", json.RawMessage(tc.in))
			if err == nil {
				t.Fatalf("converted to %s; want a refusal of %q at %s", got, tc.keyword, tc.path)
			}
			if err.Keyword != tc.keyword || err.Path != tc.path || err.Field != "ResponseFormat.Schema" {
				t.Errorf("keyword %q path %s field %s (%v); want %q at %s", err.Keyword, err.Path, err.Field, err, tc.keyword, tc.path)
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), "ResponseFormat.Schema") {
				t.Errorf("message %q does not name the field and path", err)
			}
		})
	}
}

// TestOpenAPISchemaBounds: the conversion is bounded in depth and in size,
// $ref expansion included.
func TestOpenAPISchemaBounds(t *testing.T) {
	deep := `{"type":"string"}`
	for range maxSchemaDepth + 5 {
		deep = `{"type":"array","items":` + deep + `}`
	}
	if _, err := openAPISchema("f", json.RawMessage(deep)); err == nil || !strings.Contains(err.Reason, "deeper") {
		t.Errorf("deep schema: %v", err)
	}
	// Each definition uses the next twice: 2^15 objects once inlined,
	// nested 30 levels deep.
	var defs []string
	for i := range 15 {
		next := `{"type":"string"}`
		if i < 14 {
			next = `{"$ref":"#/$defs/D` + strconv.Itoa(i+1) + `"}`
		}
		defs = append(defs, `"D`+strconv.Itoa(i)+`":{"type":"object","properties":{"a":`+next+`,"b":`+next+`}}`)
	}
	wide := `{"$defs":{` + strings.Join(defs, ",") + `},"$ref":"#/$defs/D0"}`
	if _, err := openAPISchema("f", json.RawMessage(wide)); err == nil || !strings.Contains(err.Reason, "larger") {
		t.Errorf("exponential schema: %v", err)
	}
}

// TestOpenAPISchemasOnTheWire: with WithOpenAPISchemas the converted
// schemas are sent, and a schema the subset cannot express fails over
// before anything is sent; without it the JSON Schema goes as it is.
func TestOpenAPISchemasOnTheWire(t *testing.T) {
	params := json.RawMessage(`{"type":"object","properties":{"city":{"type":["string","null"]}},"required":["city"],"additionalProperties":false}`)
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")},
		Tools: []llmrouter.Tool{{Name: "f", Parameters: params}},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema,
			Schema: json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"ok":{"const":"yes"}},"additionalProperties":false}`)}}

	p, reqs := recordingProvider(t, WithOpenAPISchemas())
	if _, err := p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), req); err != nil {
		t.Fatal(err)
	}
	body := string((*reqs)[0].body)
	for _, want := range []string{
		`"parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING","nullable":true}},"required":["city"]}`,
		`"responseSchema":{"type":"OBJECT","properties":{"ok":{"enum":["yes"]}}}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s\nlacks %s", body, want)
		}
	}
	if strings.Contains(body, "additionalProperties") || strings.Contains(body, "$schema") {
		t.Errorf("body %s keeps JSON Schema keywords", body)
	}

	p, reqs = recordingProvider(t)
	if _, err := p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), req); err != nil {
		t.Fatal(err)
	}
	if body := string((*reqs)[0].body); !strings.Contains(body, `"parametersJsonSchema":`+string(params)) {
		t.Errorf("JSON Schema mode changed the schema: %s", body)
	}

	bad := *req
	bad.Tools = []llmrouter.Tool{{Name: "ok", Parameters: params},
		{Name: "f", Parameters: json.RawMessage(`{"type":"object","properties":{"pet":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}`)}}
	p, reqs = recordingProvider(t, WithOpenAPISchemas())
	for _, stream := range []bool{false, true} {
		var err error
		if stream {
			_, err = p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), &bad)
		} else {
			_, err = p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), &bad)
		}
		var pe *llmrouter.ProviderError
		var se *SchemaError
		if !errors.As(err, &pe) || pe.Kind != llmrouter.KindBadRequest || pe.EffectiveClass() != llmrouter.ClassFailover || pe.Provider != Name {
			t.Fatalf("stream %v: %v; want a bad request that fails over", stream, err)
		}
		if !errors.As(err, &se) || se.Field != "Tools[1].Parameters" || se.Keyword != "oneOf" || se.Path != "#/properties/pet" {
			t.Errorf("stream %v: SchemaError %+v", stream, se)
		}
		if !strings.Contains(pe.Message, `"oneOf"`) || !strings.Contains(pe.Message, "#/properties/pet") {
			t.Errorf("stream %v: message %q", stream, pe.Message)
		}
	}
	if len(*reqs) != 0 {
		t.Errorf("%d requests were sent", len(*reqs))
	}
}
