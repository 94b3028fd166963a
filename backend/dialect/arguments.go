package dialect

import (
	"encoding/json"
	"strings"

	"switchboard/backend/internal/jsonscan"
)

// emptyArguments is the input of a call whose arguments are not an object.
var emptyArguments = json.RawMessage("{}")

// ArgumentsObject is a tool call's arguments, which clients and models
// send as JSON inside a JSON string, as the object the hub carries: "{}"
// when they are not one (broken JSON, or a call cut off by max_tokens),
// since every dialect requires an object there. The result shares s's
// memory, like every string of the IR: read it, never write to it.
func ArgumentsObject(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" || s[0] != '{' || !jsonscan.ValidString(s) {
		return emptyArguments
	}
	return jsonscan.Bytes(s)
}
