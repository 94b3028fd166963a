package mgmt

import (
	"testing"
	"time"

	"switchboard/backend/secret"
)

// Sealed sessions expire: the expiry is inside the sealed value, so a
// session is refused after its TTL even by the server that made it.
func TestSealedSessionExpires(t *testing.T) {
	sealer, err := secret.NewSealer(make([]byte, 32), "test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s, _ := NewSessions(time.Hour)
	s.Seal(sealer)
	s.now = func() time.Time { return now }
	id := s.NewSession()
	if !s.Valid(id) {
		t.Fatal("a fresh session is refused")
	}
	now = now.Add(time.Hour + time.Second)
	if s.Valid(id) {
		t.Fatal("an expired session is accepted")
	}
	// A value sealed with the same key for another purpose is no session.
	if s.Valid(sealer.Seal([]byte("4102444800.x"), []byte("api-key"))) {
		t.Fatal("a value sealed for something else opens as a session")
	}
}
