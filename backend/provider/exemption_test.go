package provider

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
)

// loopbackOnlyClient is a Client whose dials can never leave this machine:
// its connect hook runs after the guard and stops any non-loopback
// address, recording it. A recorded address means the guard let it through.
func loopbackOnlyClient(t *testing.T) (*Client, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var passed []string
	c := newTestClient(t, ClientOptions{DialTimeout: 2 * time.Second, connect: func(_, address string) error {
		ap, err := netip.ParseAddrPort(address)
		if err == nil && ap.Addr().WithZone("").Unmap().IsLoopback() {
			return nil
		}
		mu.Lock()
		passed = append(passed, address)
		mu.Unlock()
		return errors.New("test: stopped a non-loopback connect")
	}})
	return c, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), passed...)
	}
}

func listModels(c *Client, e *Entry) error {
	resp, err := c.Send(context.Background(), &Call{Entry: e, Op: OpListModels})
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// The catalog's local exemption (Ollama, LM Studio) covers loopback only.
// An entry still marked Local but pointed elsewhere, however it was built,
// is refused by the dial guard before connect.
func TestLocalProviderReachesLoopbackOnly(t *testing.T) {
	up := newUpstream(t, okJSON)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
	c, passed := loopbackOnlyClient(t)
	for _, id := range []string{"ollama", "lmstudio"} {
		cat, ok := Lookup(id)
		if !ok || !cat.Local {
			t.Fatalf("%s is not a local catalog provider", id)
		}
		for _, base := range []string{
			"http://169.254.169.254",   // cloud metadata
			"http://10.0.0.1:11434",    // LAN
			"http://[fd00::1]:11434",   // ULA
			"http://0.0.0.0:" + port,   // reaches the host on Linux, but not loopback
			"http://[::ffff:a00:1]:80", // v4-mapped 10.0.0.1
		} {
			e := cat
			e.BaseURL = base
			err := listModels(c, &e)
			var b *BlockedAddrError
			if !errors.As(err, &b) || !b.Loopback {
				t.Errorf("%s at %s: err = %v, want a loopback-only BlockedAddrError", id, base, err)
			}
		}
		for _, base := range []string{up.URL + "/v1", "http://localhost:" + port + "/v1"} {
			e := cat
			e.BaseURL = base
			if err := listModels(c, &e); err != nil {
				t.Errorf("%s at %s (loopback): %v", id, base, err)
			}
		}
	}
	if p := passed(); len(p) > 0 {
		t.Fatalf("the guard let non-loopback addresses through to connect: %v", p)
	}
	if n := up.hits.Load(); n != 4 {
		t.Fatalf("loopback calls: %d hits, want 4", n)
	}
}

// From config, the exemption follows base_url: kept on loopback, lost on
// any other address unless allow_local says so.
func TestLocalExemptionFollowsBaseURL(t *testing.T) {
	up := newUpstream(t, okJSON)
	c, passed := loopbackOnlyClient(t)

	// The catalog default (127.0.0.1) and a loopback override stay local.
	def, err := FromConfig(config.ProviderConfig{ID: "ollama"})
	if err != nil || !def.Local || def.AllowLocal {
		t.Fatalf("default ollama: local=%v allow=%v err=%v", def.Local, def.AllowLocal, err)
	}
	lo, err := FromConfig(config.ProviderConfig{ID: "ollama", BaseURL: up.URL + "/v1"})
	if err != nil || !lo.Local || lo.AllowLocal {
		t.Fatalf("loopback override: local=%v allow=%v err=%v", lo.Local, lo.AllowLocal, err)
	}
	if err := listModels(c, &lo); err != nil {
		t.Fatalf("ollama on 127.0.0.1 without allow_local: %v", err)
	}

	// Plain http to the metadata address is rejected outright: not local
	// any more, so clear text is not allowed either.
	if _, err := FromConfig(config.ProviderConfig{ID: "ollama", BaseURL: "http://169.254.169.254/"}); err == nil ||
		!strings.Contains(err.Error(), "allow_local") {
		t.Fatalf("http metadata override accepted: %v", err)
	}
	// Over https it loads, as a remote provider the guard refuses.
	md, err := FromConfig(config.ProviderConfig{ID: "lmstudio", BaseURL: "https://169.254.169.254/v1"})
	if err != nil || md.Local || md.AllowLocal {
		t.Fatalf("https metadata override: local=%v allow=%v err=%v", md.Local, md.AllowLocal, err)
	}
	var b *BlockedAddrError
	if err := listModels(c, &md); !errors.As(err, &b) || b.Loopback {
		t.Fatalf("metadata override: err = %v, want a BlockedAddrError", err)
	}

	// allow_local is the explicit way to the LAN.
	lan, err := FromConfig(config.ProviderConfig{ID: "ollama", BaseURL: "http://10.0.0.5:11434/v1", AllowLocal: true})
	if err != nil || !lan.Local || !lan.AllowLocal {
		t.Fatalf("allow_local override: local=%v allow=%v err=%v", lan.Local, lan.AllowLocal, err)
	}
	if p := passed(); len(p) > 0 {
		t.Fatalf("the guard let non-loopback addresses through to connect: %v", p)
	}
	if n := up.hits.Load(); n != 1 {
		t.Fatalf("%d hits, want 1", n)
	}
}
