package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/dialect/kiro"
	"switchboard/backend/dialect/kiro/kirotest"
	"switchboard/backend/ir"
)

const testProfile = "arn:aws:codewhisperer:us-east-1:000000000000:profile/FAKEPROFILE"

// fixedKiroIdentity pins the machine part of the IDE's identity.
func fixedKiroIdentity(t *testing.T) {
	t.Helper()
	saved := kiroIdent
	kiroIdent = kiroIdentity{os: "linux", host: "test-host"}
	t.Cleanup(func() { kiroIdent = saved })
}

var invocationID = regexp.MustCompile(`(Amz-Sdk-Invocation-Id: )[0-9a-f-]{36}`)

// kiroAnswer is a scripted Kiro answer: an event stream.
func kiroAnswer(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", kiro.ContentType)
	_, _ = w.Write(kirotest.Text("Hello"))
	_, _ = w.Write(kirotest.Tail("1"))
}

// TestKiroGoldens records the exact request a Kiro sign-in sends: the body
// the dialect encoded with the account's profile added (social logins) or
// not (Builder ID), and the IDE's headers.
func TestKiroGoldens(t *testing.T) {
	fixedKiroIdentity(t)
	up := newUpstream(t, kiroAnswer)
	c := newTestClient(t, ClientOptions{})
	body, err := kiro.EncodeRequestWith(&ir.Request{Model: "claude-sonnet-4.5", System: []ir.Block{{Type: ir.BlockText, Text: "Be brief."}},
		Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "Hello"}}}}}, kiro.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ref string }{{"kiro_builder_id", ""}, {"kiro_social_profile", testProfile}} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "kiro", up.URL), APIKey: testToken, AccountRef: tc.ref,
				ClientUserAgent: "claude-cli/2.1.197 (external, cli)", Op: OpGenerate, Model: "claude-sonnet-4.5", Stream: true,
				Body: body, AllowLocal: true})
			if err != nil {
				t.Fatal(err)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.ContentLength != -1 {
				t.Errorf("answer content type %q length %d; want the event stream re-framed as SSE", ct, resp.ContentLength)
			}
			sse, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(sse), "event: assistantResponseEvent\ndata: {\"content\":\"Hello\"}") ||
				!strings.HasSuffix(string(sse), "event: swb:end\n\n") {
				t.Errorf("re-framed answer:\n%s", sse)
			}
			got := up.last(t)
			if got.path != "/generateAssistantResponse" {
				t.Errorf("path %s", got.path)
			}
			out := invocationID.ReplaceAll(rendered(t, got), []byte("${1}<uuid>"))
			dialecttest.Golden(t, filepath.Join("testdata", "subscription", tc.name+".golden"), out)
		})
	}
}

// TestKiroErrors: Kiro's HTTP errors by their reason, and a refused token
// (403 AccessDeniedException) as 401 so the gateway refreshes it.
func TestKiroErrors(t *testing.T) {
	c := newTestClient(t, ClientOptions{})
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   ir.ErrorKind
		want   int // status the gateway sees
	}{
		{"expired token", 403, `{"message":"The bearer token included in the request is invalid."}`, ir.KindAuth, 401},
		{"token expired wording", 403, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"The security token included in the request is expired"}`, ir.KindAuth, 401},
		{"account not allowed", 403, `{"message":"User is not authorized to make this call."}`, ir.KindAuth, 403},
		{"input too long", 400, `{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}`, ir.KindContextTooLong, 400},
		{"monthly quota", 429, `{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}`, ir.KindQuotaExhausted, 429},
		{"monthly quota as 400", 400, `{"message":"limit","reason":"MONTHLY_REQUEST_COUNT"}`, ir.KindQuotaExhausted, 400},
		{"capacity", 429, `{"message":"busy","reason":"INSUFFICIENT_MODEL_CAPACITY"}`, ir.KindRateLimited, 429},
		{"malformed", 400, `{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}`, ir.KindBadRequest, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "kiro", up.URL), APIKey: testToken,
				Op: OpGenerate, Model: "m", Body: []byte(`{"conversationState":{}}`), AllowLocal: true})
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.HTTPStatus() != tc.want || e.Provider != "kiro" {
				t.Fatalf("err = %v (status %d), want %s / %d", err, e.HTTPStatus(), tc.kind, tc.want)
			}
		})
	}
}

func TestKiroBodyChecks(t *testing.T) {
	up := newUpstream(t, kiroAnswer)
	c := newTestClient(t, ClientOptions{})
	for _, body := range []string{"not json", `["x"]`} {
		_, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "kiro", up.URL), APIKey: testToken, AccountRef: testProfile,
			Op: OpGenerate, Model: "m", Body: []byte(body), AllowLocal: true})
		var e *ir.Error
		if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
			t.Errorf("body %q: %v", body, err)
		}
	}
	if _, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "kiro", up.URL), Op: OpGenerate, Model: "m",
		Body: []byte(`{}`), AllowLocal: true}); err == nil {
		t.Errorf("a call without a token was sent")
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("%d refused calls reached the upstream", n)
	}
}
