package mgmt

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/events"
	"switchboard/backend/onboarding"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// OnboardingEnv is what the first-run detection reads from the machine;
// tests replace it (a fake environment, an httptest server for Ollama).
type OnboardingEnv struct {
	Getenv func(string) string
	Local  []onboarding.LocalTarget
	Client *http.Client
}

type onboardingExt struct {
	mu  sync.Mutex
	env *OnboardingEnv
}

// SetOnboarding replaces where detection looks (tests); unset, it reads
// the process's environment and the default local addresses.
func (s *Services) SetOnboarding(e OnboardingEnv) {
	s.onb.mu.Lock()
	defer s.onb.mu.Unlock()
	s.onb.env = &e
}

func (s *Services) onboardingEnv() OnboardingEnv {
	s.onb.mu.Lock()
	defer s.onb.mu.Unlock()
	if s.onb.env != nil {
		return *s.onb.env
	}
	// a local probe never goes through a proxy and never follows redirects
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return OnboardingEnv{Getenv: os.Getenv, Local: onboarding.DefaultLocal(os.Getenv), Client: c}
}

// GetOnboarding reads the first-run state (pending until finished or skipped).
func (s *Services) GetOnboarding(ctx context.Context) (onboarding.State, error) {
	var st onboarding.State
	_, err := s.loadJSON(ctx, onboarding.SettingsKey, &st)
	return st, err
}

// SaveOnboarding stores the first-run state.
func (s *Services) SaveOnboarding(ctx context.Context, st onboarding.State) (onboarding.State, error) {
	if err := st.Validate(); err != nil {
		return onboarding.State{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	st.UpdatedAt = time.Now().UnixMilli()
	if err := s.saveJSON(ctx, onboarding.SettingsKey, st); err != nil {
		return onboarding.State{}, err
	}
	s.bus.Publish(events.Kind(onboarding.SettingsKey), nil)
	return st, nil
}

// DetectSetup looks at what the machine already has. Key values stay here:
// the report carries masked hints only.
func (s *Services) DetectSetup(ctx context.Context) onboarding.Report {
	env := s.onboardingEnv()
	src := onboarding.Sources{Getenv: env.Getenv, Local: env.Local, Client: env.Client, Peers: s.PeerSources}
	if s.tools != nil {
		src.Tools = s.tools.Detect
	}
	if m, err := s.signins(); err == nil {
		src.FindSignIn = m.ImportSource
		for _, e := range provider.All() {
			if e.Auth == provider.AuthOAuth {
				src.SignInProviders = append(src.SignInProviders, onboarding.SignInProvider{ID: e.ID, Name: e.Name})
			}
		}
	}
	r := onboarding.Detect(ctx, src)
	s.markConfigured(&r)
	return r
}

// markConfigured flags what Switchboard already has, so the steps offer
// only what is new.
func (s *Services) markConfigured(r *onboarding.Report) {
	if s.routing == nil {
		return
	}
	snap := s.routing.Routes.Load()
	for i, si := range r.SignIns {
		if p, ok := snap.Provider(si.Provider); ok && len(p.Accounts) > 0 {
			r.SignIns[i].Connected = true
		}
	}
	env := s.onboardingEnv()
	for i, k := range r.Keys {
		if p, ok := snap.Provider(k.Provider); ok {
			r.Keys[i].Added = hasKey(p, env.Getenv(k.Var))
		}
	}
	for i, l := range r.Local {
		if p, ok := snap.Provider(l.ID); ok && p.Usable() && len(p.Accounts) > 0 {
			r.Local[i].Added = true
		}
	}
}

// hasKey reports whether p already has an account with this exact key.
func hasKey(p *route.Provider, key string) bool {
	key = strings.TrimSpace(key)
	if key == "" {
		return false
	}
	for _, a := range p.Accounts {
		if subtle.ConstantTimeCompare([]byte(a.APIKey), []byte(key)) == 1 {
			return true
		}
	}
	return false
}

// AddEnvKey stores the key an environment variable holds as an account of
// its provider (sealed, like a pasted key). The value is read here, never
// sent by the dashboard. Adding the same key twice adds nothing.
func (s *Services) AddEnvKey(ctx context.Context, name string) (AccountView, error) {
	k, ok := onboarding.LookupEnvKey(name)
	if !ok {
		return AccountView{}, fmt.Errorf("%w: %q is not one of the provider key variables Switchboard reads", ErrInvalid, name)
	}
	if s.routing == nil {
		return AccountView{}, errNoRouting
	}
	val := strings.TrimSpace(s.onboardingEnv().Getenv(name))
	if val == "" {
		return AccountView{}, fmt.Errorf("%w: %s is not set in Switchboard's environment", ErrInvalid, name)
	}
	if p, ok := s.routing.Routes.Load().Provider(k.Provider); ok && hasKey(p, val) {
		return AccountView{}, fmt.Errorf("%w: %s's key is already an account of %s", ErrInvalid, name, p.Entry.Name)
	}
	return s.AddAccount(ctx, k.Provider, AccountInput{Name: name, APIKey: val})
}

// AddLocalServer configures a reachable Ollama or LM Studio as a provider
// with a keyless account (at the address it was found on).
func (s *Services) AddLocalServer(ctx context.Context, id string) (ProviderView, error) {
	if s.routing == nil {
		return ProviderView{}, errNoRouting
	}
	env := s.onboardingEnv()
	var target *onboarding.LocalTarget
	for i := range env.Local {
		if env.Local[i].ID == id {
			target = &env.Local[i]
		}
	}
	if target == nil {
		return ProviderView{}, fmt.Errorf("%w: %q is not a local server Switchboard looks for", ErrInvalid, id)
	}
	found := onboarding.Detect(ctx, onboarding.Sources{Local: []onboarding.LocalTarget{*target}, Client: env.Client}).Local[0]
	if !found.Reachable {
		return ProviderView{}, fmt.Errorf("%w: %s is not reachable at %s (%s); start it, then try again", ErrInvalid, target.Name, target.URL, found.Error)
	}
	in := ProviderInput{ID: id}
	if e, ok := provider.Lookup(id); ok && strings.TrimRight(e.BaseURL, "/") != strings.TrimRight(target.URL, "/")+"/v1" {
		in.BaseURL = strings.TrimRight(target.URL, "/") + "/v1"
	}
	if len(found.Models) > 0 {
		// what the server serves now, not the catalog's guesses (the
		// background discovery would learn the same within minutes)
		s.routing.Accounts.SetDiscovered(id, found.Models)
	}
	if err := s.SaveProvider(ctx, in); err != nil {
		return ProviderView{}, err
	}
	if p, ok := s.routing.Routes.Load().Provider(id); !ok || len(p.Accounts) == 0 {
		if _, err := s.AddAccount(ctx, id, AccountInput{Name: "local"}); err != nil && !errors.Is(err, accounts.ErrInvalid) {
			return ProviderView{}, err
		}
	}
	for _, p := range s.Providers() {
		if p.ID == id {
			return p, nil
		}
	}
	return ProviderView{}, fmt.Errorf("mgmt: %s was saved but is not in the routing table", id)
}
