package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// Bounds of a schema conversion: how deep a schema may nest (each $ref
// expanded counts as a level) and how many schema objects it may hold once
// its $refs are inlined.
const (
	maxSchemaDepth = 32
	maxSchemaNodes = 5000
)

// SchemaError is a JSON Schema that WithOpenAPISchemas cannot express in
// Gemini's OpenAPI 3.0 schema subset. The adapter returns it, before
// anything is sent, as the Err of a *llmrouter.ProviderError of
// KindBadRequest and ClassFailover: another provider may take the schema
// as it is. Find it with errors.As.
type SchemaError struct {
	// Field is the request field holding the schema: "Tools[0].Parameters"
	// or "ResponseFormat.Schema".
	Field string
	// Path is the JSON Pointer, within that schema, of the object holding
	// the keyword: "#" for the root, "#/properties/tags/items".
	Path string
	// Keyword is the JSON Schema keyword that cannot be expressed
	// ("oneOf", "$ref"), or "" when the schema object itself cannot be.
	Keyword string
	// Reason says why.
	Reason string
}

func (e *SchemaError) Error() string {
	if e.Keyword == "" {
		return e.Field + ": schema at " + e.Path + " " + e.Reason
	}
	return e.Field + ": JSON Schema keyword " + strconv.Quote(e.Keyword) + " at " + e.Path + " " + e.Reason
}

// schemaError returns a *SchemaError as the adapter's failover error.
func schemaError(se *SchemaError) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover,
		Code: "unsupported_schema", Message: se.Error(), Err: se}
}

// member is one member of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// objectMembers returns the members of the JSON object raw in order, or
// ok false when raw is not an object.
func objectMembers(raw json.RawMessage) (ms []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		ms = append(ms, member{t.(string), v})
	}
	return ms, true
}

// appendObject appends ms as a JSON object.
func appendObject(dst []byte, ms []member) []byte {
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		k, _ := json.Marshal(m.key)
		dst = append(append(append(dst, k...), ':'), m.val...)
	}
	return append(dst, '}')
}

// The JSON Schema keywords the conversion drops: annotations and metadata
// that do not change which values are valid, and the definitions $ref
// points into (inlined where used).
var droppedKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$anchor": true, "$vocabulary": true,
	"$defs": true, "definitions": true,
	"examples": true, "deprecated": true, "readOnly": true, "writeOnly": true,
	"contentEncoding": true, "contentMediaType": true,
}

// The keywords Gemini's Schema has, copied as they are.
var keptKeywords = map[string]bool{
	"format": true, "title": true, "description": true, "nullable": true, "default": true, "example": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true,
	"minItems": true, "maxItems": true, "minProperties": true, "maxProperties": true,
	"required": true, "propertyOrdering": true,
}

// geminiTypes maps JSON Schema types to Gemini's Type values.
var geminiTypes = map[string]string{
	"string": "STRING", "number": "NUMBER", "integer": "INTEGER", "boolean": "BOOLEAN",
	"array": "ARRAY", "object": "OBJECT",
}

// openAPISchema converts the JSON Schema raw, the request field field, to
// Gemini's OpenAPI 3.0 schema subset (the Schema object of "parameters"
// and "responseSchema"):
//
//   - kept as they are: format, title, description, nullable, default,
//     example, minimum, maximum, minLength, maxLength, pattern, minItems,
//     maxItems, minProperties, maxProperties, required, propertyOrdering;
//     properties, items and anyOf, converted in turn;
//   - translated: type (to Gemini's upper-case names; ["T","null"] becomes
//     T with nullable), enum of strings (a null member becomes nullable),
//     const (a one-value enum), exclusiveMinimum/exclusiveMaximum as
//     numbers (inclusive minimum/maximum, when those are not also given),
//     an anyOf branch {"type":"null"} (nullable; a single branch left is
//     merged into its parent, whose own keywords win), and local $refs
//     (#/$defs/..., #/definitions/...), inlined;
//   - dropped: $schema, $id, $comment, $anchor, $vocabulary, $defs,
//     definitions, examples, deprecated, readOnly, writeOnly,
//     contentEncoding, contentMediaType (annotations), the boolean form of
//     exclusiveMinimum/exclusiveMaximum (the bound becomes inclusive), and
//     additionalProperties true, false or {} (Gemini generates the declared
//     properties only);
//   - refused, with a *SchemaError naming the keyword and its path: every
//     other keyword (oneOf, allOf, not, if/then/else, patternProperties,
//     additionalProperties with a schema, prefixItems, tuple items,
//     uniqueItems, multipleOf, ...), several non-null types, enum or const
//     values that are not strings, boolean schemas, recursive or non-local
//     $refs, and schemas nested deeper than maxSchemaDepth levels or
//     larger than maxSchemaNodes objects once inlined.
func openAPISchema(field string, raw json.RawMessage) (json.RawMessage, *SchemaError) {
	c := schemaConv{field: field}
	c.root, _ = objectMembers(raw)
	ms, err := c.node(raw, "#", 0)
	if err != nil {
		return nil, err
	}
	return appendObject(nil, ms), nil
}

// schemaConv is one schema's conversion.
type schemaConv struct {
	field string
	root  []member // the root object, where $refs point
	refs  []string // the $refs being expanded, innermost last
	nodes int
}

func (c *schemaConv) fail(path, keyword, reason string) *SchemaError {
	return &SchemaError{Field: c.field, Path: path, Keyword: keyword, Reason: reason}
}

// node converts the schema object raw found at path.
func (c *schemaConv) node(raw json.RawMessage, path string, depth int) ([]member, *SchemaError) {
	if depth > maxSchemaDepth {
		return nil, c.fail(path, "", "is nested deeper than "+strconv.Itoa(maxSchemaDepth)+" levels")
	}
	if c.nodes++; c.nodes > maxSchemaNodes {
		return nil, c.fail(path, "", "makes the schema larger than "+strconv.Itoa(maxSchemaNodes)+" objects once its $refs are inlined")
	}
	in, ok := objectMembers(raw)
	if !ok {
		switch t := string(bytes.TrimSpace(raw)); t {
		case "true", "false":
			return nil, c.fail(path, "", "is the boolean schema "+t+", which Gemini's schema cannot express")
		}
		return nil, c.fail(path, "", "is not a JSON object")
	}
	var (
		out      []member
		nullable bool
		// merge is a schema whose keywords join this one's (a $ref's
		// target, a single anyOf branch), found at mergeAt; mergeRef is
		// the $ref, if it is one.
		merge             json.RawMessage
		mergeAt, mergeRef string
	)
	setMerge := func(k string, raw json.RawMessage, at, ref string) *SchemaError {
		if merge != nil {
			return c.fail(path, k, "stands with a $ref or a single-branch anyOf, and only one of them can be merged")
		}
		merge, mergeAt, mergeRef = raw, at, ref
		return nil
	}
	for _, m := range in {
		switch k := m.key; {
		case droppedKeywords[k]:
		case keptKeywords[k]:
			out = append(out, m)
		case k == "type":
			t, null, err := c.typeOf(m.val, path)
			if err != nil {
				return nil, err
			}
			nullable = nullable || null
			out = append(out, member{"type", t})
		case k == "enum" || k == "const":
			vals := m.val
			if k == "const" {
				vals = append(append(json.RawMessage{'['}, m.val...), ']')
			}
			e, null, err := c.enumOf(vals, path, k)
			if err != nil {
				return nil, err
			}
			if memberVal(out, "enum") != nil {
				return nil, c.fail(path, k, "stands with another enum or const, which the conversion does not intersect")
			}
			nullable = nullable || null
			out = append(out, member{"enum", e})
		case k == "exclusiveMinimum" || k == "exclusiveMaximum":
			var bound float64
			if json.Unmarshal(m.val, &bound) != nil {
				break // the boolean form: the bound (minimum, maximum) becomes inclusive
			}
			if inclusive := "m" + k[len("exclusiveM"):]; memberVal(in, inclusive) == nil {
				out = append(out, member{inclusive, m.val})
			}
		case k == "additionalProperties":
			switch v := string(bytes.TrimSpace(m.val)); {
			case v == "true" || v == "false":
			case isEmptyObject(m.val):
			default:
				return nil, c.fail(path, k, "holds a schema (a map's values), which Gemini's schema cannot express")
			}
		case k == "properties":
			props, ok := objectMembers(m.val)
			if !ok {
				return nil, c.fail(path, k, "is not an object")
			}
			conv := make([]member, len(props))
			for i, p := range props {
				ms, err := c.node(p.val, path+"/properties/"+pointerEscape(p.key), depth+1)
				if err != nil {
					return nil, err
				}
				conv[i] = member{p.key, appendObject(nil, ms)}
			}
			out = append(out, member{k, appendObject(nil, conv)})
		case k == "items":
			if _, ok := objectMembers(m.val); !ok {
				return nil, c.fail(path, k, "is not a single schema (tuple items have no equivalent in Gemini's schema)")
			}
			ms, err := c.node(m.val, path+"/items", depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, member{k, appendObject(nil, ms)})
		case k == "anyOf":
			branches, null, err := c.anyOf(m.val, path)
			if err != nil {
				return nil, err
			}
			nullable = nullable || null
			switch len(branches) {
			case 0:
				return nil, c.fail(path, k, "allows only null, which Gemini's schema cannot express")
			case 1:
				if err := setMerge(k, branches[0].val, branches[0].key, ""); err != nil {
					return nil, err
				}
			default:
				conv := make([]byte, 0, 64)
				conv = append(conv, '[')
				for i, b := range branches {
					if i > 0 {
						conv = append(conv, ',')
					}
					ms, err := c.node(b.val, b.key, depth+1)
					if err != nil {
						return nil, err
					}
					conv = appendObject(conv, ms)
				}
				out = append(out, member{k, append(conv, ']')})
			}
		case k == "$ref":
			target, ref, err := c.resolve(m.val, path)
			if err != nil {
				return nil, err
			}
			if err := setMerge(k, target, ref, ref); err != nil {
				return nil, err
			}
		default:
			return nil, c.fail(path, k, "has no equivalent in Gemini's OpenAPI schema subset")
		}
	}
	if merge != nil {
		if mergeRef != "" {
			c.refs = append(c.refs, mergeRef)
		}
		ms, err := c.node(merge, mergeAt, depth+1)
		if mergeRef != "" {
			c.refs = c.refs[:len(c.refs)-1]
		}
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			switch {
			case m.key == "nullable":
				nullable = nullable || string(m.val) == "true"
			case memberVal(out, m.key) == nil:
				out = append(out, m)
			}
		}
	}
	if nullable && memberVal(out, "nullable") == nil {
		out = append(out, member{"nullable", json.RawMessage("true")})
	}
	return out, nil
}

// typeOf converts a type keyword: one type, or an array of types of which
// at most one is not "null".
func (c *schemaConv) typeOf(raw json.RawMessage, path string) (json.RawMessage, bool, *SchemaError) {
	var one string
	var many []string
	if json.Unmarshal(raw, &one) == nil {
		many = []string{one}
	} else if json.Unmarshal(raw, &many) != nil {
		return nil, false, c.fail(path, "type", "is neither a type name nor an array of them")
	}
	var t string
	null := false
	for _, name := range many {
		if strings.EqualFold(name, "null") {
			null = true
			continue
		}
		g, ok := geminiTypes[strings.ToLower(name)] // "STRING": a schema already in Gemini's form
		if !ok {
			return nil, false, c.fail(path, "type", "names an unknown type "+strconv.Quote(name))
		}
		if t != "" {
			return nil, false, c.fail(path, "type", "allows several types, which Gemini's schema cannot express (use anyOf)")
		}
		t = g
	}
	if t == "" {
		return nil, false, c.fail(path, "type", "allows only null, which Gemini's schema cannot express")
	}
	return json.RawMessage(`"` + t + `"`), null, nil
}

// enumOf converts the values of an enum (or of a const, as a one-value
// array): strings are kept, a null makes the schema nullable.
func (c *schemaConv) enumOf(raw json.RawMessage, path, keyword string) (json.RawMessage, bool, *SchemaError) {
	var vals []json.RawMessage
	if json.Unmarshal(raw, &vals) != nil {
		return nil, false, c.fail(path, keyword, "is not an array of values")
	}
	kept := make([]string, 0, len(vals))
	null := false
	for _, v := range vals {
		var s string
		switch {
		case string(bytes.TrimSpace(v)) == "null":
			null = true
		case json.Unmarshal(v, &s) == nil:
			kept = append(kept, s)
		default:
			return nil, false, c.fail(path, keyword, "holds a value that is not a string ("+clip(string(v))+"); Gemini's enum takes strings only")
		}
	}
	if len(kept) == 0 {
		return nil, false, c.fail(path, keyword, "allows no string value")
	}
	b, _ := json.Marshal(kept)
	return b, null, nil
}

// anyOf returns the branches of an anyOf that are not {"type":"null"},
// each with its path as key, and whether a null branch was dropped.
func (c *schemaConv) anyOf(raw json.RawMessage, path string) ([]member, bool, *SchemaError) {
	var branches []json.RawMessage
	if json.Unmarshal(raw, &branches) != nil || len(branches) == 0 {
		return nil, false, c.fail(path, "anyOf", "is not a non-empty array of schemas")
	}
	var out []member
	null := false
	for i, b := range branches {
		if ms, ok := objectMembers(b); ok && len(ms) == 1 && ms[0].key == "type" && string(bytes.TrimSpace(ms[0].val)) == `"null"` {
			null = true
			continue
		}
		out = append(out, member{path + "/anyOf/" + strconv.Itoa(i), b})
	}
	return out, null, nil
}

// resolve returns the schema a local $ref points to, and the $ref (its
// path).
func (c *schemaConv) resolve(raw json.RawMessage, path string) (json.RawMessage, string, *SchemaError) {
	var ref string
	if json.Unmarshal(raw, &ref) != nil {
		return nil, "", c.fail(path, "$ref", "is not a string")
	}
	for _, r := range c.refs {
		if r == ref {
			return nil, "", c.fail(path, "$ref", strconv.Quote(ref)+" is recursive, which Gemini's schema cannot express")
		}
	}
	var section, name string
	for _, s := range [...]string{"#/$defs/", "#/definitions/"} {
		if rest, ok := strings.CutPrefix(ref, s); ok && rest != "" && !strings.Contains(rest, "/") {
			section, name = s[2:len(s)-1], pointerUnescape(rest)
		}
	}
	if section == "" {
		return nil, "", c.fail(path, "$ref", strconv.Quote(ref)+" is not a local #/$defs/ or #/definitions/ reference")
	}
	if defs, ok := objectMembers(memberVal(c.root, section)); ok {
		if target := memberVal(defs, name); target != nil {
			return target, ref, nil
		}
	}
	return nil, "", c.fail(path, "$ref", strconv.Quote(ref)+" points to no definition")
}

// memberVal returns the value of key in ms, or nil.
func memberVal(ms []member, key string) json.RawMessage {
	for _, m := range ms {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func isEmptyObject(raw json.RawMessage) bool {
	ms, ok := objectMembers(raw)
	return ok && len(ms) == 0
}

// pointerEscape escapes a property name for a JSON Pointer.
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func pointerUnescape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
