package anthropic

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// Typed readers for gjson values: a missing or null field is the zero
// value, a field of the wrong type is a bad request naming the field.

func wrongType(field, want string) error {
	return ir.Errorf(ir.KindBadRequest, "%s: expected %s", field, want)
}

// strOK is str without the error: false for a value of the wrong type.
func strOK(v gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.String, gjson.Null:
		return v.Str, true
	}
	return "", false
}

func str(v gjson.Result, field string) (string, error) {
	switch v.Type {
	case gjson.String, gjson.Null:
		return v.Str, nil
	}
	return "", wrongType(field, "a string")
}

func integer(v gjson.Result, field string) (int, error) {
	switch v.Type {
	case gjson.Number:
		return int(v.Int()), nil
	case gjson.Null:
		return 0, nil
	}
	return 0, wrongType(field, "an integer")
}

func intPtr(v gjson.Result, field string) (*int, error) {
	if v.Type == gjson.Null {
		return nil, nil
	}
	n, err := integer(v, field)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func float(v gjson.Result, field string) (*float64, error) {
	switch v.Type {
	case gjson.Number:
		f := v.Num
		return &f, nil
	case gjson.Null:
		return nil, nil
	}
	return nil, wrongType(field, "a number")
}

func boolean(v gjson.Result, field string) (bool, error) {
	switch v.Type {
	case gjson.True, gjson.False, gjson.Null:
		return v.Type == gjson.True, nil
	}
	return false, wrongType(field, "a boolean")
}

func stringList(v gjson.Result, field string) ([]string, error) {
	switch {
	case v.Type == gjson.Null:
		return nil, nil
	case v.Type == gjson.String: // lenient: a lone stop sequence
		return []string{v.Str}, nil
	case !v.IsArray():
		return nil, wrongType(field, "an array of strings")
	}
	items := v.Array()
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.Type != gjson.String {
			return nil, wrongType(field, "an array of strings")
		}
		out = append(out, it.Str)
	}
	return out, nil
}

// rawObject copies an object value as raw JSON (nil when absent or not an
// object).
func rawObject(v gjson.Result) json.RawMessage {
	if !v.IsObject() {
		return nil
	}
	return json.RawMessage(v.Raw)
}
