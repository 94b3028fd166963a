package media

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"switchboard/backend/provider"
)

// RerankRequest is a rerank request in the Cohere / Jina shape clients send
// (documents as strings or {"text": …} objects; top_n, or Voyage's top_k).
type RerankRequest struct {
	Model     string
	Query     string
	Documents []string
	TopN      int   // 0: all
	ReturnDoc *bool // return_documents (nil: not given)
}

// ParseRerankRequest reads POST /v1/rerank.
func ParseRerankRequest(body []byte) (*RerankRequest, error) {
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, badRequest("request body must be a JSON object")
	}
	root := gjson.ParseBytes(body)
	r := &RerankRequest{Model: root.Get("model").String(), Query: root.Get("query").String()}
	if q := root.Get("query"); q.Type != gjson.String || q.Str == "" {
		return nil, badRequest("query is required (a string)")
	}
	docs := root.Get("documents")
	if !docs.IsArray() || len(docs.Array()) == 0 {
		return nil, badRequest("documents is required (a non-empty array)")
	}
	var err error
	docs.ForEach(func(_, d gjson.Result) bool {
		switch {
		case d.Type == gjson.String:
			r.Documents = append(r.Documents, d.Str)
		case d.IsObject() && d.Get("text").Type == gjson.String:
			r.Documents = append(r.Documents, d.Get("text").Str)
		default:
			err = badRequest("documents must be strings or {\"text\": string} objects")
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"top_n", "top_k"} {
		if v := root.Get(k); v.Exists() && v.Type != gjson.Null {
			if v.Int() < 1 {
				return nil, badRequest(k + " must be a positive number")
			}
			r.TopN = int(v.Int())
		}
	}
	if v := root.Get("return_documents"); v.IsBool() {
		b := v.Bool()
		r.ReturnDoc = &b
	}
	return r, nil
}

// EncodeRerank is the upstream body in its shape.
func EncodeRerank(shape string, r *RerankRequest, model string) []byte {
	m := map[string]any{"model": model, "query": r.Query, "documents": r.Documents}
	switch shape {
	case provider.RerankVoyage:
		if r.TopN > 0 {
			m["top_k"] = r.TopN
		}
	case provider.RerankCohere: // v2 never returns documents
		if r.TopN > 0 {
			m["top_n"] = r.TopN
		}
	default:
		if r.TopN > 0 {
			m["top_n"] = r.TopN
		}
		if r.ReturnDoc != nil {
			m["return_documents"] = *r.ReturnDoc
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// RerankResult is one ranked document.
type RerankResult struct {
	Index int
	Score float64
}

// RerankAnswer is an upstream's answer read in any shape.
type RerankAnswer struct {
	ID          string
	Results     []RerankResult
	SearchUnits float64 // Cohere's billed search units
	Tokens      int     // Jina's and Voyage's total tokens
}

// DecodeRerank reads an upstream answer in its shape: results[] (Cohere,
// Jina) or data[] (Voyage), each with index and relevance_score.
func DecodeRerank(shape string, body []byte) (*RerankAnswer, error) {
	if !gjson.ValidBytes(body) {
		return nil, upstreamError("the upstream's rerank answer is not JSON")
	}
	root := gjson.ParseBytes(body)
	list := root.Get("results")
	if shape == provider.RerankVoyage {
		list = root.Get("data")
	}
	if !list.IsArray() {
		return nil, upstreamError("the upstream's rerank answer has no results")
	}
	a := &RerankAnswer{ID: root.Get("id").String(), SearchUnits: root.Get("meta.billed_units.search_units").Float(),
		Tokens: int(root.Get("usage.total_tokens").Int())}
	list.ForEach(func(_, v gjson.Result) bool {
		a.Results = append(a.Results, RerankResult{Index: int(v.Get("index").Int()), Score: v.Get("relevance_score").Float()})
		return true
	})
	return a, nil
}

type rerankOut struct {
	ID      string         `json:"id,omitempty"`
	Model   string         `json:"model"`
	Results []rerankItem   `json:"results"`
	Usage   rerankUsage    `json:"usage"`
	Meta    *rerankOutMeta `json:"meta,omitempty"`
}

type rerankItem struct {
	Index    int         `json:"index"`
	Score    float64     `json:"relevance_score"`
	Document *rerankText `json:"document,omitempty"`
}

type rerankText struct {
	Text string `json:"text"`
}

type rerankUsage struct {
	TotalTokens int `json:"total_tokens"`
}

type rerankOutMeta struct {
	BilledUnits struct {
		SearchUnits float64 `json:"search_units"`
	} `json:"billed_units"`
}

// EncodeRerankAnswer is what the client gets, whatever the upstream: the
// Jina shape (results with index, relevance_score and the document text
// unless return_documents is false, usage.total_tokens) plus Cohere's
// meta.billed_units when search units were billed. Cohere and Jina clients
// both read it.
func EncodeRerankAnswer(r *RerankRequest, a *RerankAnswer, model string) []byte {
	out := rerankOut{ID: a.ID, Model: model, Results: make([]rerankItem, 0, len(a.Results)), Usage: rerankUsage{TotalTokens: a.Tokens}}
	for _, res := range a.Results {
		it := rerankItem{Index: res.Index, Score: res.Score}
		if (r.ReturnDoc == nil || *r.ReturnDoc) && res.Index >= 0 && res.Index < len(r.Documents) {
			it.Document = &rerankText{Text: r.Documents[res.Index]}
		}
		out.Results = append(out.Results, it)
	}
	if a.SearchUnits > 0 {
		out.Meta = &rerankOutMeta{}
		out.Meta.BilledUnits.SearchUnits = a.SearchUnits
	}
	b, _ := json.Marshal(out)
	return b
}

// Units is what the answer bills in unit u: search units (Cohere reports
// them; one per request otherwise) or tokens.
func (a *RerankAnswer) Units(u provider.Unit) float64 {
	if u == provider.UnitTokens {
		return float64(a.Tokens)
	}
	if a.SearchUnits > 0 {
		return a.SearchUnits
	}
	return 1
}
