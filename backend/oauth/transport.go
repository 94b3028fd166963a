package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxTokenRequest bounds the token request body the shaper re-reads; real
// ones are a few hundred bytes.
const maxTokenRequest = 64 << 10

// shaper is the transport under every call this package makes. It does
// what x/oauth2 has no hook for:
//
//   - it adds the endpoint's Headers to every request;
//   - it adapts token requests (RFC 6749 form posts) to what a vendor's
//     token endpoint expects: extra refresh parameters and, for Anthropic,
//     a JSON body;
//   - it bounds each request with the caller's ctx and the client's
//     timeout. x/oauth2's DeviceAuth sends its request without a context
//     and never closes the response body, so with http.Client.Timeout a
//     timer goroutine outlives every call, and canceling ctx would not
//     abort it. The timeout therefore moves here, as a context deadline
//     released when the body is read to the end or closed.
type shaper struct {
	base    http.RoundTripper
	ep      Endpoint
	ctx     context.Context // the flow's ctx, for requests sent without one
	timeout time.Duration   // the caller's http.Client.Timeout
}

func (s *shaper) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if ctx == context.Background() {
		ctx = s.ctx
	}
	cancel := context.CancelFunc(func() {})
	if s.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	req = req.WithContext(ctx)
	if len(s.ep.Headers) > 0 {
		req = req.Clone(ctx) // RoundTrip must not change the caller's request
		for k, v := range s.ep.Headers {
			req.Header.Set(k, v)
		}
	}
	out, err := s.shape(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := s.base.RoundTrip(out)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: sync.OnceFunc(cancel)}
	return resp, nil
}

// shape rewrites a token request for the vendor, or returns it as is.
func (s *shaper) shape(req *http.Request) (*http.Request, error) {
	if !s.isTokenRequest(req) || (!s.ep.TokenJSON && len(s.ep.RefreshScopes) == 0) {
		return req, nil
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, maxTokenRequest))
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("oauth: reading the token request: %w", err)
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, fmt.Errorf("oauth: token request is not a form: %w", err)
	}
	if form.Get("grant_type") == "refresh_token" && len(s.ep.RefreshScopes) > 0 && form.Get("scope") == "" {
		form.Set("scope", strings.Join(s.ep.RefreshScopes, " "))
	}
	body, contentType := []byte(form.Encode()), "application/x-www-form-urlencoded"
	if s.ep.TokenJSON {
		obj := make(map[string]string, len(form))
		for k := range form {
			obj[k] = form.Get(k)
		}
		if body, err = json.Marshal(obj); err != nil {
			return nil, fmt.Errorf("oauth: encoding the token request: %w", err)
		}
		contentType = "application/json"
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	out.Header.Set("Content-Type", contentType)
	out.Header.Set("Accept", "application/json")
	return out, nil
}

// releasingBody releases the request's deadline once the body is done:
// read to the end (x/oauth2 does not always close it) or closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// isTokenRequest matches x/oauth2's form posts to this endpoint's token URL.
func (s *shaper) isTokenRequest(req *http.Request) bool {
	if req.Method != http.MethodPost || req.Body == nil {
		return false
	}
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return false
	}
	tok, err := url.Parse(s.ep.TokenURL)
	if err != nil {
		return false
	}
	return strings.EqualFold(req.URL.Scheme, tok.Scheme) && strings.EqualFold(req.URL.Host, tok.Host) &&
		req.URL.Path == tok.Path
}
