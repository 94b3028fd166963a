package provider

import "context"

// Credential supplies a sign-in (subscription) account's access token at
// call time. API-key accounts have none: their key is fixed. The signin
// package implements it; routing and the gateway only see this contract.
//
// Implementations are safe for concurrent use and refresh at most once at a
// time per account, however many requests ask (single-flight).
type Credential interface {
	// Access returns a token to send now, refreshing first when it has
	// expired (or is about to). A refresh that cannot succeed returns an
	// *ir.Error of kind Auth; routing then moves on to the next account.
	Access(ctx context.Context) (Access, error)
	// Reauthorize is called once after the upstream rejected token with a
	// 401: it refreshes unless another request already replaced that token,
	// and returns the token to retry with.
	Reauthorize(ctx context.Context, rejected string) (Access, error)
	// NeedsSignIn reports that the refresh token was refused: the account
	// is skipped by routing until the user signs in again.
	NeedsSignIn() bool
}

// Access is what one upstream call needs of a sign-in.
type Access struct {
	Token string // the bearer access token
	// AccountRef identifies the signed-in account to upstreams that want it
	// besides the token (Codex: the chatgpt-account-id header).
	AccountRef string
	// BaseURL replaces the provider's base URL for this account, when the
	// vendor assigns one per account (Qwen's resource_url, Copilot's API
	// endpoint). "" keeps the provider's.
	BaseURL string
	// Project is the vendor project the account's requests run in
	// (Google Cloud Code); "" when the vendor has none.
	Project string
}
