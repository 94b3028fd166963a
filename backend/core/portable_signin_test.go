package core

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"switchboard/backend/oauth/idpsim"
)

// A sign-in imported from another gateway is one of ours: its expired
// access token is renewed with its refresh token by Switchboard's own
// refresh, and the request goes out with the new token.
func TestImportedSignInIsRenewedByOurRefresh(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	idp.Set(func(s *idpsim.Server) { s.RefreshTokens["peer-refresh-1"] = true })
	in := startCfg(t, signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.srv.URL))
	dir := t.TempDir()
	db := `{"providerConnections":[{"id":"c1","provider":"claude","authType":"oauth","name":"me@example.com","email":"me@example.com",
		"priority":1,"isActive":true,"accessToken":"peer-access-expired","refreshToken":"peer-refresh-1","expiresAt":"2020-01-01T00:00:00Z"}],
		"providerNodes":[],"modelAliases":{},"combos":[],"apiKeys":[],"settings":{}}`
	if err := os.WriteFile(filepath.Join(dir, "db.json"), []byte(db), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := in.ImportPeer(context.Background(), "9router", dir, false)
	if err != nil || r.Created != 1 {
		t.Fatalf("import: %+v, %v", r, err)
	}
	key := localKey(t, in)
	if code, body := ask(t, in, key); code != 200 {
		t.Fatalf("request through the imported sign-in: %d %s", code, body)
	}
	if refreshCalls(idp) == 0 {
		t.Fatal("the imported sign-in's refresh token was never used")
	}
	seen := up.tokens()
	if len(seen) == 0 || slices.Contains(seen, "peer-access-expired") {
		t.Fatalf("the upstream saw %v: want a renewed token, never the expired one", seen)
	}
}
