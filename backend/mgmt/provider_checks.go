package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// AllowLocalLabel is the custom provider form's checkbox that errors about
// private addresses point to (the config file's allow_local).
const AllowLocalLabel = "Allow local network addresses"

// allowLocalHint rewrites the config-file wording of a private-address
// error ("set allow_local: true") to name the dashboard's checkbox, keeping
// the config key in brackets for file users.
func allowLocalHint(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, old := range []string{"set allow_local: true", "allow_local: true"} {
		if strings.Contains(msg, old) {
			return errors.New(strings.Replace(msg, old,
				fmt.Sprintf("tick %q on the provider (allow_local: true in the config file)", AllowLocalLabel), 1))
		}
	}
	return err
}

// describeProvider fills what the Providers page shows beyond the entry:
// whether it is custom, and whether a test or a request has succeeded.
func (s *Services) describeProvider(ctx context.Context, v *ProviderView, p *route.Provider) {
	if _, cataloged := provider.Lookup(p.Entry.ID); !cataloged {
		v.Custom = true
		v.Type = customType(p.Entry)
	}
	okAt, failedAt, msg := s.lastCheck(ctx, p.Entry.ID)
	if s.routing.Health != nil {
		if t := s.routing.Health.LastSuccess(p.Entry.ID); t.UnixMilli() > okAt {
			okAt = t.UnixMilli()
		}
	}
	if okAt == 0 && failedAt == 0 {
		okAt = s.lastLoggedSuccess(ctx, p.Entry.ID)
	}
	switch {
	case okAt > 0 && okAt >= failedAt:
		v.Check, v.CheckedAt = "ok", time.UnixMilli(okAt).UTC().Format(time.RFC3339)
	case failedAt > 0:
		v.Check, v.CheckedAt, v.CheckError = "failed", time.UnixMilli(failedAt).UTC().Format(time.RFC3339), msg
	default:
		v.Check = "untested"
	}
}

// customType names a custom entry's type as the form offers it.
func customType(e provider.Entry) string {
	switch e.Dialect {
	case dialect.OpenAIChat:
		return "openai-compatible"
	case dialect.Responses:
		return "responses-compatible"
	case dialect.Anthropic:
		return "anthropic-compatible"
	case dialect.Gemini:
		return "gemini-compatible"
	}
	return ""
}

// lastCheck reads the provider's last test outcome (unix ms; zero: none).
func (s *Services) lastCheck(ctx context.Context, id string) (okAt, failedAt int64, msg string) {
	if s.db == nil {
		return 0, 0, ""
	}
	// A read that fails leaves the provider "untested": a display hint only.
	err := s.db.QueryRowContext(ctx, `SELECT ok_at, failed_at, error FROM provider_checks WHERE provider_id = ?`, id).
		Scan(&okAt, &failedAt, &msg)
	if err != nil {
		return 0, 0, ""
	}
	return okAt, failedAt, msg
}

// lastLoggedSuccess is when the request log last shows a success from the
// provider (unix ms; zero: none kept), so a provider used before a restart
// is not "untested" again.
func (s *Services) lastLoggedSuccess(ctx context.Context, id string) int64 {
	if s.db == nil {
		return 0
	}
	return usage.LastSuccess(ctx, s.db, id)
}

// recordCheck stores a test's outcome: passed when every account passed.
func (s *Services) recordCheck(ctx context.Context, id string, res []TestResult) error {
	if s.db == nil || len(res) == 0 {
		return nil
	}
	ok, msg := true, ""
	for _, r := range res {
		if !r.OK {
			ok, msg = false, r.Error
			break
		}
	}
	now := time.Now().UnixMilli()
	q := `INSERT INTO provider_checks(provider_id, ok_at) VALUES (?, ?)
		ON CONFLICT(provider_id) DO UPDATE SET ok_at = excluded.ok_at`
	args := []any{id, now}
	if !ok {
		q = `INSERT INTO provider_checks(provider_id, failed_at, error) VALUES (?, ?, ?)
			ON CONFLICT(provider_id) DO UPDATE SET failed_at = excluded.failed_at, error = excluded.error`
		args = []any{id, now, msg}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("mgmt: saving the test outcome: %w", err)
	}
	return nil
}

// UnusableProvider is a configured provider no request can reach, with
// the fix the Health page offers.
type UnusableProvider struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Message  string `json:"message"`
	// Fix is add_keyless (one click adds a keyless account), enable (the
	// provider is disabled) or add_account (a key or sign-in is needed:
	// open the provider).
	Fix string `json:"fix"`
}

// unusableProviders lists the providers that cannot take requests.
func (s *Services) unusableProviders() []UnusableProvider {
	out := []UnusableProvider{}
	if s.routing == nil {
		return out
	}
	for _, p := range s.routing.Routes.Load().Providers() {
		e := p.UnusableError()
		if e == nil {
			continue
		}
		u := UnusableProvider{Provider: p.Entry.ID, Name: p.Entry.Name, Message: e.Message, Fix: "add_account"}
		switch {
		case p.Disabled:
			u.Fix = "enable"
		case p.Entry.KeyOptional() && len(p.Accounts) == 0:
			u.Fix = "add_keyless"
		}
		out = append(out, u)
	}
	return out
}

// DiscoverModels asks the upstream which models it serves (GET /v1/models
// and the like), for the provider form: either a provider being written
// (base URL, type, key from in) or a configured one (its first usable
// account's key when in has none).
func (s *Services) DiscoverModels(ctx context.Context, in ProviderInput) ([]string, error) {
	if s.routing == nil {
		return nil, errNoRouting
	}
	key := strings.TrimSpace(in.APIKey)
	e, err := provider.FromConfig(config.ProviderConfig{ID: in.ID, Type: in.Type, BaseURL: in.BaseURL, AllowLocal: in.AllowLocal})
	if p, ok := s.routing.Routes.Load().Provider(in.ID); ok && (in.BaseURL == "" || err != nil) {
		e, err = p.Entry, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, allowLocalHint(err))
	}
	if p, ok := s.routing.Routes.Load().Provider(in.ID); ok && key == "" {
		for _, a := range p.Accounts {
			if a.Usable() && a.Cred == nil {
				key = a.APIKey
				break
			}
		}
	}
	e.ListModels = true
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ids, err := s.routing.Client.ListModels(dctx, &e, key, e.AllowLocal)
	if err != nil {
		return nil, fmt.Errorf("%w: the models endpoint of %s did not answer with a list: %v", ErrInvalid, e.BaseURL, allowLocalHint(err))
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
