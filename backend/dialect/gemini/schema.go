package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// Gemini's `parameters` and `responseSchema` take a subset of OpenAPI 3.0,
// not JSON Schema, and reject what they do not know (additionalProperties,
// $schema, const, propertyNames…), "properties" on non-objects, arrays
// without items, formats other than a few, and non-string enums. The cleaner
// below is a whitelist: it rebuilds each schema node from the keywords
// Gemini accepts and rewrites the common JSON Schema idioms into them.

const maxSchemaDepth = 32

// formats Gemini accepts, per type; any other format is dropped.
var allowedFormats = map[string]map[string]bool{
	"string":  {"enum": true, "date-time": true},
	"integer": {"int32": true, "int64": true},
	"number":  {"float": true, "double": true},
}

var schemaTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true, "array": true, "object": true,
}

// cleanCache memoises cleaned schemas: clients send the same tool list on
// every request (Claude Code: ~24 tools), and cleaning is pure.
var cleanCache = struct {
	sync.RWMutex
	m map[string][]byte
}{m: map[string][]byte{}}

const cleanCacheMax = 2048

// cleanToolSchema cleans a function's parameters. It returns nil when there
// is nothing to send: Gemini rejects an OBJECT with no properties, and
// parameters are optional.
func cleanToolSchema(raw []byte) []byte { return cachedClean(raw, true) }

// cleanResponseSchema cleans a structured-output schema.
func cleanResponseSchema(raw []byte) []byte { return cachedClean(raw, false) }

func cachedClean(raw []byte, params bool) []byte {
	if len(raw) == 0 {
		return nil
	}
	key := "r"
	if params {
		key = "p"
	}
	cleanCache.RLock()
	out, ok := cleanCache.m[key+string(raw)]
	cleanCache.RUnlock()
	if ok {
		return out
	}
	out = cleanSchema(raw, params)
	cleanCache.Lock()
	if len(cleanCache.m) >= cleanCacheMax {
		clear(cleanCache.m)
	}
	cleanCache.m[key+string(raw)] = out
	cleanCache.Unlock()
	return out
}

func cleanSchema(raw []byte, params bool) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil
	}
	c := cleaner{defs: map[string]any{}}
	for _, k := range []string{"definitions", "$defs"} {
		if m, ok := root[k].(map[string]any); ok {
			for name, s := range m {
				c.defs["#/"+k+"/"+name] = s
			}
		}
	}
	out := c.clean(root, 0)
	if params {
		if _, has := out["properties"]; !has {
			return nil
		}
	}
	return marshalSchema(out)
}

func marshalSchema(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

type cleaner struct {
	defs  map[string]any
	stack []string // $refs being inlined, to cut cycles
}

// clean rebuilds one schema node from what Gemini accepts.
func (c *cleaner) clean(in map[string]any, depth int) map[string]any {
	out := map[string]any{}
	if depth > maxSchemaDepth {
		return out
	}
	if ref, ok := in["$ref"].(string); ok {
		target, found := c.defs[ref].(map[string]any)
		if !found || c.inStack(ref) {
			// Unknown or recursive: keep the description, type it loosely.
			copyString(out, in, "description")
			out["type"] = "object"
			return out
		}
		c.stack = append(c.stack, ref)
		defer func() { c.stack = c.stack[:len(c.stack)-1] }()
		in = overlay(target, in)
	}
	in = mergeAllOf(in)
	copyString(out, in, "title")
	copyString(out, in, "description")
	types, nullable := typeList(in["type"])
	if b, _ := in["nullable"].(bool); b {
		nullable = true
	}
	enum, enumNull := enumValues(in)
	nullable = nullable || enumNull
	variants, varNull := c.variants(in, depth)
	nullable = nullable || varNull
	switch {
	case len(types) > 1:
		out["anyOf"] = c.typeVariants(in, types, depth)
	case len(types) == 1:
		out["type"] = types[0]
	case len(variants) == 1:
		for k, v := range variants[0] {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	case len(variants) > 1:
		out["anyOf"] = variants
	}
	if _, typed := out["type"]; !typed && len(types) == 0 {
		if t := inferType(in, enum); t != "" {
			out["type"] = t
		}
	}
	c.byType(out, in, enum, depth)
	if nullable {
		out["nullable"] = true
	}
	return out
}

func (c *cleaner) inStack(ref string) bool {
	for _, r := range c.stack {
		if r == ref {
			return true
		}
	}
	return false
}

// byType copies the keywords that belong to the node's type.
func (c *cleaner) byType(out, in map[string]any, enum []string, depth int) {
	t, _ := out["type"].(string)
	if f, ok := in["format"].(string); ok && allowedFormats[t][f] {
		out["format"] = f
	}
	switch t {
	case "object":
		c.object(out, in, depth)
	case "array":
		if _, set := out["items"]; !set { // may come from a merged anyOf variant
			out["items"] = c.items(in["items"], depth)
		}
		copyNumbers(out, in, "minItems", "maxItems")
	case "string":
		if len(enum) > 0 {
			out["enum"] = enum
		}
		copyNumbers(out, in, "minLength", "maxLength")
	case "integer", "number":
		copyNumbers(out, in, "minimum", "maximum")
		exclusiveBounds(out, in, t == "integer")
	}
	if t != "string" && len(enum) > 0 {
		// Gemini enums are strings only: keep the choice as a hint.
		d, _ := out["description"].(string)
		out["description"] = strings.TrimSpace(d + " Allowed values: " + strings.Join(enum, ", ") + ".")
	}
}

// exclusiveBounds turns JSON Schema 2020's numeric exclusiveMinimum /
// exclusiveMaximum (unknown to Gemini) into inclusive bounds: exact for
// integers, the nearest approximation for numbers.
func exclusiveBounds(out, in map[string]any, integer bool) {
	for _, b := range [...]struct {
		from, to string
		step     int64
	}{{"exclusiveMinimum", "minimum", 1}, {"exclusiveMaximum", "maximum", -1}} {
		n, ok := in[b.from].(json.Number)
		if _, set := out[b.to]; !ok || set {
			continue
		}
		if !integer {
			out[b.to] = n
		} else if i, err := n.Int64(); err == nil {
			out[b.to] = json.Number(strconv.FormatInt(i+b.step, 10))
		}
	}
}

func (c *cleaner) object(out, in map[string]any, depth int) {
	props, _ := in["properties"].(map[string]any)
	cleaned := map[string]any{}
	for name, p := range props {
		if m, ok := p.(map[string]any); ok {
			cleaned[name] = c.clean(m, depth+1)
		} else if p == true {
			cleaned[name] = map[string]any{}
		}
	}
	if len(cleaned) == 0 {
		return // a free-form object: Gemini rejects an empty properties map
	}
	out["properties"] = cleaned
	if req := knownNames(in["required"], cleaned); len(req) > 0 {
		out["required"] = req
	}
	if ord := knownNames(in["propertyOrdering"], cleaned); len(ord) > 0 {
		out["propertyOrdering"] = ord
	}
	copyNumbers(out, in, "minProperties", "maxProperties")
}

// items cleans an array's items. A tuple keeps its first schema; missing
// items become strings, because Gemini rejects an ARRAY without items.
func (c *cleaner) items(v any, depth int) map[string]any {
	switch it := v.(type) {
	case map[string]any:
		return c.clean(it, depth+1)
	case []any:
		if len(it) > 0 {
			if m, ok := it[0].(map[string]any); ok {
				return c.clean(m, depth+1)
			}
		}
	}
	return map[string]any{"type": "string"}
}

// variants cleans anyOf/oneOf (Gemini has only anyOf). {"type":"null"}
// variants become nullable instead.
func (c *cleaner) variants(in map[string]any, depth int) (out []map[string]any, nullable bool) {
	for _, key := range []string{"anyOf", "oneOf"} {
		list, _ := in[key].([]any)
		for _, v := range list {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			if t, _ := m["type"].(string); strings.EqualFold(t, "null") && len(m) == 1 {
				nullable = true
				continue
			}
			cv := c.clean(m, depth+1)
			if n, _ := cv["nullable"].(bool); n && len(cv) == 1 {
				nullable = true
				continue
			}
			out = append(out, cv)
		}
	}
	return out, nullable
}

// typeVariants rewrites "type": ["string","integer"] as anyOf, one variant
// per type, each carrying the keywords of its type.
func (c *cleaner) typeVariants(in map[string]any, types []string, depth int) []map[string]any {
	out := make([]map[string]any, 0, len(types))
	for _, t := range types {
		v := make(map[string]any, len(in))
		for k, val := range in {
			switch k {
			case "description", "title", "anyOf", "oneOf", "nullable":
			default:
				v[k] = val
			}
		}
		v["type"] = t
		out = append(out, c.clean(v, depth+1))
	}
	return out
}

// typeList normalises "type": a string or a list, any case; "null" is
// reported as nullable.
func typeList(v any) (types []string, nullable bool) {
	add := func(s string) {
		s = strings.ToLower(s)
		if s == "null" {
			nullable = true
		} else if schemaTypes[s] {
			types = append(types, s)
		}
	}
	switch t := v.(type) {
	case string:
		add(t)
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return types, nullable
}

// enumValues reads enum and const as Gemini's string enum; a null member
// means nullable.
func enumValues(in map[string]any) (out []string, nullable bool) {
	vals, _ := in["enum"].([]any)
	if c, ok := in["const"]; ok {
		vals = append(vals[:len(vals):len(vals)], c)
	}
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			nullable = true
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			if x {
				out = append(out, "true")
			} else {
				out = append(out, "false")
			}
		}
	}
	return out, nullable
}

func inferType(in map[string]any, enum []string) string {
	switch {
	case in["properties"] != nil:
		return "object"
	case in["items"] != nil:
		return "array"
	case len(enum) > 0:
		return "string"
	}
	return ""
}

// overlay returns target with the sibling keywords of a $ref on top.
func overlay(target, ref map[string]any) map[string]any {
	out := make(map[string]any, len(target)+len(ref))
	for k, v := range target {
		out[k] = v
	}
	for k, v := range ref {
		if k != "$ref" {
			out[k] = v
		}
	}
	return out
}

// mergeAllOf folds allOf members into the node: properties and required
// are unioned, other keywords fill gaps.
func mergeAllOf(in map[string]any) map[string]any {
	list, ok := in["allOf"].([]any)
	if !ok {
		return in
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		if k != "allOf" {
			out[k] = v
		}
	}
	for _, m := range list {
		sub, ok := m.(map[string]any)
		if !ok {
			continue
		}
		sub = mergeAllOf(sub)
		for k, v := range sub {
			switch k {
			case "properties":
				out[k] = unionMaps(out[k], v)
			case "required":
				out[k] = append(asList(out[k]), asList(v)...)
			default:
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return out
}

func unionMaps(a, b any) map[string]any {
	out := map[string]any{}
	for _, m := range []any{a, b} {
		if mm, ok := m.(map[string]any); ok {
			for k, v := range mm {
				out[k] = v
			}
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l[:len(l):len(l)]
}

// knownNames keeps the strings of v that name a property, in order and
// once each: Gemini rejects "required" entries it cannot find.
func knownNames(v any, props map[string]any) []string {
	list, _ := v.([]any)
	var out []string
	seen := map[string]bool{}
	for _, e := range list {
		if s, ok := e.(string); ok && props[s] != nil && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func copyString(out, in map[string]any, key string) {
	if s, ok := in[key].(string); ok && s != "" {
		out[key] = s
	}
}

func copyNumbers(out, in map[string]any, keys ...string) {
	for _, k := range keys {
		if n, ok := in[k].(json.Number); ok {
			out[k] = n
		}
	}
}

// toJSONSchema turns a Gemini `parameters` / `responseSchema` (OpenAPI
// subset: upper-case types, nullable) into JSON Schema for the other
// dialects. Schemas that already look like JSON Schema are only compacted.
func toJSONSchema(raw string) json.RawMessage {
	if !strings.Contains(raw, `"nullable"`) && !hasUpperType(raw) {
		return compactRaw(raw)
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return compactRaw(raw)
	}
	out := marshalSchema(openAPIToJSON(root, 0))
	if out == nil {
		return compactRaw(raw)
	}
	return out
}

func hasUpperType(raw string) bool {
	for _, t := range []string{`"OBJECT"`, `"STRING"`, `"INTEGER"`, `"NUMBER"`, `"BOOLEAN"`, `"ARRAY"`, `"NULL"`} {
		if strings.Contains(raw, t) {
			return true
		}
	}
	return false
}

func openAPIToJSON(v any, depth int) any {
	m, ok := v.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		switch k {
		case "type":
			if s, ok := val.(string); ok {
				val = strings.ToLower(s)
			}
		case "properties":
			if props, ok := val.(map[string]any); ok {
				np := make(map[string]any, len(props))
				for name, p := range props {
					np[name] = openAPIToJSON(p, depth+1)
				}
				val = np
			}
		case "items":
			val = openAPIToJSON(val, depth+1)
		case "anyOf":
			if list, ok := val.([]any); ok {
				nl := make([]any, len(list))
				for i, e := range list {
					nl[i] = openAPIToJSON(e, depth+1)
				}
				val = nl
			}
		case "nullable", "propertyOrdering":
			continue
		}
		out[k] = val
	}
	if n, _ := m["nullable"].(bool); n {
		if t, ok := out["type"].(string); ok {
			out["type"] = []any{t, "null"}
		}
	}
	return out
}
