package agentbody

import "strings"

// tool is one synthetic tool: what its definition says and what a call
// of it passes.
type tool struct {
	name  string
	desc  string
	props []prop
}

type prop struct {
	name, typ, desc string
	enum            []string
	required        bool
}

// reservedKeys are never property names: the bench's fake upstream finds
// the top-level model and stream flag by scanning for these keys.
var reservedKeys = map[string]bool{"model": true, "stream": true}

// tools makes n tools. Descriptions follow the real clients' spread: most
// a paragraph or two, a few pages long (the shell tool's manual).
func (r *rng) tools(n int, pascal bool, descMean int) []tool {
	out := make([]tool, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		name := r.toolName(pascal)
		if seen[name] {
			continue
		}
		seen[name] = true
		t := tool{name: name, desc: string(r.prose(nil, r.sized(descMean)))}
		pseen := map[string]bool{}
		for range r.between(0, 6) {
			p := r.prop()
			if pseen[p.name] {
				continue
			}
			pseen[p.name] = true
			t.props = append(t.props, p)
		}
		if len(t.props) > 0 {
			t.props[0].required = true
		}
		out = append(out, t)
	}
	return out
}

func (r *rng) toolName(pascal bool) string {
	var b []byte
	for i := range r.between(1, 3) {
		p := pick(r, identParts)
		switch {
		case pascal:
			b = append(b, strings.ToUpper(p[:1])...)
			b = append(b, p[1:]...)
		case i > 0:
			b = append(append(b, '_'), p...)
		default:
			b = append(b, p...)
		}
	}
	return string(b)
}

func (r *rng) prop() prop {
	var name string
	for name == "" || reservedKeys[name] {
		b := append([]byte(nil), pick(r, identParts)...)
		if r.chance(0.6) {
			b = append(append(b, '_'), pick(r, identParts)...)
		}
		name = string(b)
	}
	p := prop{name: name, desc: string(r.shortText(nil)), required: r.chance(0.3)}
	switch x := r.intn(20); {
	case x < 11:
		p.typ = "string"
	case x < 14:
		p.typ = "number"
	case x < 17:
		p.typ = "boolean"
	case x < 19:
		p.typ = "array"
	default:
		p.typ = "string"
		for range r.between(2, 5) {
			p.enum = append(p.enum, pick(r, identParts))
		}
	}
	return p
}

// schema is the JSON schema of t's parameters. extra adds the keys a
// client puts on it ($schema, additionalProperties).
func (t tool) schema(extra ...kv) obj {
	props := obj{}
	var req []string
	for _, p := range t.props {
		s := obj{{"description", p.desc}, {"type", p.typ}}
		if p.enum != nil {
			s = append(s, kv{"enum", p.enum})
		}
		if p.typ == "array" {
			s = append(s, kv{"items", obj{{"type", "string"}}})
		}
		props = append(props, kv{p.name, s})
		if p.required {
			req = append(req, p.name)
		}
	}
	o := obj{{"type", "object"}, {"properties", props}}
	if req != nil {
		o = append(o, kv{"required", req})
	}
	return append(o, extra...)
}

// args is the argument object of a call of t: its required parameters and
// some of the others.
func (r *rng) args(t tool) obj {
	o := obj{}
	for _, p := range t.props {
		if !p.required && !r.chance(0.4) {
			continue
		}
		var v any
		switch {
		case p.enum != nil:
			v = pick(r, p.enum)
		case p.typ == "number":
			v = r.between(1, 2000)
		case p.typ == "boolean":
			v = r.chance(0.5)
		case p.typ == "array":
			v = []string{string(r.path(nil)), string(r.path(nil))}
		case r.chance(0.5):
			v = string(r.path(nil))
		default:
			v = string(r.sentence(nil))
		}
		o = append(o, kv{p.name, v})
	}
	return o
}
