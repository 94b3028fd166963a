package signin

import (
	"context"
	"fmt"
	"strings"

	"switchboard/backend/provider"
)

// ImportSource says where providerID's CLI login would be imported from,
// and whether one is there.
func (m *Manager) ImportSource(providerID string) (string, bool) {
	if !m.IsSignInProvider(providerID) {
		return "", false
	}
	return FindCLILogin(providerID, m.importEnv)
}

// Import copies the login of the vendor's own CLI (Claude Code, the Codex
// CLI) into a new account, only when the user asks. The CLI's files are
// only read. Both then hold the same refresh token: when either side
// refreshes it, the vendor may retire the copy the other holds, which is
// why a fresh sign-in is the default.
func (m *Manager) Import(ctx context.Context, providerID, account string) (string, error) {
	if !m.IsSignInProvider(providerID) {
		return "", fmt.Errorf("signin: %q is not a subscription provider (known: %s)", providerID, strings.Join(provider.SignInIDs(), ", "))
	}
	name, err := checkAccountName(account)
	if err != nil {
		return "", err
	}
	tok, source, err := ReadCLILogin(providerID, m.importEnv)
	if err != nil {
		return "", err
	}
	return m.store(ctx, providerID, name, tok, "imported:"+source, OutcomeImported, "from "+source)
}
