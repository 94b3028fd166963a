package gateway

import (
	"encoding/json"
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"switchboard/backend/usage"
)

// The row queued for the request log keeps neither the exchange it came
// from (with its body and decoded request) nor a body a string of it was
// sliced from.
func TestLoggedRowHoldsNoRequest(t *testing.T) {
	x := &exchange{body: make([]byte, 1<<20)}
	copy(x.body, "ant/model")
	x.row = usage.Row{ReqID: "req_1", RequestedModel: unsafe.String(&x.body[0], 9), ErrorMessage: "boom", Status: 502}
	exch := weak.Make(x)
	row := loggedRow(&x.row)
	if got, want := mustJSON(t, row), mustJSON(t, &x.row); got != want { // every exported field
		t.Fatalf("logged row %s, want %s", got, want)
	}
	if unsafe.StringData(row.RequestedModel) == unsafe.StringData(x.row.RequestedModel) {
		t.Error("the logged model shares the request body's memory")
	}
	x = nil
	runtime.GC()
	if exch.Value() != nil {
		t.Error("the logged row keeps the exchange alive")
	}
	runtime.KeepAlive(row)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
