package integration

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
)

// signInProxy stands for a subscription's API: it accepts only the
// sign-in's bearer token (and no API key), records what each call carried,
// and forwards to a scripted upstream of the same dialect with that
// upstream's own key, so the whole matrix of cases runs behind it.
type signInProxy struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []http.Header
}

func newSignInProxy(t *testing.T, inner *upstream) *signInProxy {
	p := &signInProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.calls = append(p.calls, r.Header.Clone())
		p.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") || r.Header.Get("X-Api-Key") != "" {
			http.Error(w, `{"error":{"message":"sign-in token required"}}`, http.StatusUnauthorized)
			return
		}
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimSuffix(inner.BaseURL(), "/v1")+r.URL.RequestURI(), r.Body)
		out.Header = r.Header.Clone()
		out.Header.Del("Authorization")
		if inner.dialect == dAnthropic {
			out.Header.Set("X-Api-Key", upstreamKey(dAnthropic))
		} else {
			out.Header.Set("Authorization", "Bearer "+upstreamKey(inner.dialect))
		}
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		fl, _ := w.(http.Flusher)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				_, _ = w.Write(buf[:n])
				if fl != nil {
					fl.Flush()
				}
			}
			if err == io.EOF || err != nil {
				return
			}
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *signInProxy) seen() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.calls...)
}

// deviceSubGateway starts a gateway with the device-code subscription id
// in front of proxy (base is the provider's base URL) and signs it in.
func deviceSubGateway(t *testing.T, id, base string, idp *idpsim.Server, models ...string) *gateway {
	t.Helper()
	idp.Set(func(s *idpsim.Server) { s.DeviceScript = []string{"ok"} })
	g := startGateway(t, gwOpts{}, prov{id: id, cfg: &config.ProviderConfig{ID: id, BaseURL: base, AllowLocal: true, Models: models,
		SignIn: &config.SignInConfig{DeviceURL: idp.URL() + "/device/code", TokenURL: idp.URL() + "/token", ClientID: idp.ClientID}}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	f, err := g.in.SignIns.Start(ctx, signin.StartOptions{Provider: id, Account: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := g.in.SignIns.Wait(ctx, f.ID); err != nil || v.Status != signin.FlowDone {
		t.Fatalf("device sign-in: %+v, %v", v, err)
	}
	return g
}

// TestDeviceSubscriptionsThroughEverySDK drives every official SDK through
// the gateway to Kimi Code (Anthropic Messages) and Qwen Code (OpenAI Chat,
// at the API host its sign-in names): a plain answer, the same streamed,
// and a get_weather round trip both ways; every upstream call carries the
// sign-in's token and the vendor CLI's identity.
func TestDeviceSubscriptionsThroughEverySDK(t *testing.T) {
	for _, tc := range []struct {
		id, prefix, dialect, identity string
	}{
		{"kimi-coding", "kmc", dAnthropic, "X-Msh-Platform"},
		{"qwen-code", "qw", dOpenAI, "X-Dashscope-Authtype"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			inner := newUpstream(t, tc.dialect)
			proxy := newSignInProxy(t, inner)
			idp := idpsim.New(t)
			base := proxy.srv.URL
			if tc.id == "qwen-code" {
				idp.Set(func(s *idpsim.Server) { s.ResourceURL = proxy.srv.URL }) // the sign-in names the API host
				base = "https://portal.qwen.ai/v1"                                // never used: the account's host wins
			}
			g := deviceSubGateway(t, tc.id, base, idp, upstreamModel(tc.dialect))
			model := tc.prefix + "/" + upstreamModel(tc.dialect)
			t.Run("cases", func(t *testing.T) {
				for _, cd := range allDialects {
					for _, sc := range []string{"plain", "stream", "tool", "stream_tool"} {
						t.Run(clientName[cd]+"/"+sc, func(t *testing.T) {
							t.Parallel()
							runCaseAs(t, g, inner, cd, sc, model)
						})
					}
				}
			})
			calls := proxy.seen()
			if len(calls) < 16 {
				t.Fatalf("the vendor API saw %d calls, want every case's", len(calls))
			}
			for _, h := range calls {
				if h.Get(tc.identity) == "" {
					t.Fatalf("a call lacks the vendor CLI's %s header: %v", tc.identity, h)
				}
			}
		})
	}
}
