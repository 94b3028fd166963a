package anthropic

import (
	"strconv"
	"time"
)

// ModelInfo is one entry of GET /v1/models in Anthropic's shape.
type ModelInfo struct {
	ID          string
	DisplayName string
	Created     int64 // unix seconds
}

// EncodeModelList renders GET /v1/models for Anthropic clients (the request
// carried anthropic-version): the whole list in one page.
func EncodeModelList(models []ModelInfo) []byte {
	dst := append(make([]byte, 0, 64+96*len(models)), `{"data":[`...)
	for i, m := range models {
		if i > 0 {
			dst = append(dst, ',')
		}
		name := m.DisplayName
		if name == "" {
			name = m.ID
		}
		dst = append(dst, `{"type":"model","id":`...)
		dst = appendString(dst, m.ID)
		dst = append(dst, `,"display_name":`...)
		dst = appendString(dst, name)
		dst = append(dst, `,"created_at":`...)
		dst = appendString(dst, time.Unix(m.Created, 0).UTC().Format(time.RFC3339))
		dst = append(dst, '}')
	}
	dst = append(dst, `],"has_more":false,"first_id":`...)
	if len(models) == 0 {
		return append(dst, `null,"last_id":null}`...)
	}
	dst = appendString(dst, models[0].ID)
	dst = append(dst, `,"last_id":`...)
	dst = appendString(dst, models[len(models)-1].ID)
	return append(dst, '}')
}

// EncodeCountTokens renders the answer of POST /v1/messages/count_tokens.
func EncodeCountTokens(n int) []byte {
	dst := append(make([]byte, 0, 32), `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '}')
}
