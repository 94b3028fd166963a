// Package secret seals values at rest with AES-256-GCM. The key lives in the
// OS keyring (Secret Service, macOS Keychain, Windows Credential Manager);
// when none is reachable it falls back to a 0600 key file in the data
// directory and says so, because a key next to the data protects less.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the AES-256 key length.
const KeySize = 32

const sealedPrefix = "sb1:"

// ErrOpen means a sealed value could not be opened (wrong key or tampered).
var ErrOpen = errors.New("secret: cannot open sealed value (wrong key or corrupted)")

// Sealer seals and opens values with one key.
type Sealer struct {
	aead cipher.AEAD
	// Source says where the key came from: "os-keyring" or "key-file".
	Source string
}

// NewSealer builds a Sealer from a 32-byte key.
func NewSealer(key []byte, source string) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Sealer{aead: aead, Source: source}, nil
}

// Seal encrypts plaintext; aad binds the value to its place (e.g. a row id)
// so a sealed value copied to another row does not open.
func (s *Sealer) Seal(plaintext, aad []byte) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error()) // crypto/rand never fails on supported OSes
	}
	out := s.aead.Seal(nonce, nonce, plaintext, aad)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value made by Seal with the same aad.
func (s *Sealer) Open(sealed string, aad []byte) ([]byte, error) {
	if len(sealed) < len(sealedPrefix) || sealed[:len(sealedPrefix)] != sealedPrefix {
		return nil, ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(sealedPrefix):])
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, ErrOpen
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Value is a secret string that never prints itself.
type Value string

func (Value) String() string   { return "[REDACTED]" }
func (Value) GoString() string { return "[REDACTED]" }

// MarshalText redacts too, so a Value in a logged or JSON-encoded struct
// cannot leak.
func (Value) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }

// Reveal returns the plain value.
func (v Value) Reveal() string { return string(v) }
