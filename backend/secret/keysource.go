package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name under which the key is stored.
const KeyringService = "switchboard"

// KeyFileName is the fallback key file inside the data directory.
const KeyFileName = "secret.key"

// Options choose where the sealing key comes from.
type Options struct {
	DataDir    string
	UseKeyring bool          // false: key file only (tests, SWITCHBOARD_KEYRING=off)
	Timeout    time.Duration // bound on keyring calls (a missing D-Bus peer can hang)
	Log        *slog.Logger
}

// LoadSealer returns a Sealer whose key comes from the OS keyring, or from a
// 0600 key file when no keyring is reachable (logged as a warning). The
// keyring entry is per data directory, so two installs never share a key.
func LoadSealer(o Options) (*Sealer, error) {
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.UseKeyring {
		key, err := keyringKey(o)
		if err == nil {
			return NewSealer(key, "os-keyring")
		}
		o.Log.Warn("OS keyring unavailable; sealing secrets with a 0600 key file instead",
			"file", filepath.Join(o.DataDir, KeyFileName), "reason", err.Error())
	}
	key, err := fileKey(filepath.Join(o.DataDir, KeyFileName))
	if err != nil {
		return nil, err
	}
	return NewSealer(key, "key-file")
}

func keyringUser(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	sum := sha256.Sum256([]byte(abs))
	return "data-key-" + hex.EncodeToString(sum[:8])
}

// keyringKey reads the key from the keyring, creating it on first use.
func keyringKey(o Options) ([]byte, error) {
	user := keyringUser(o.DataDir)
	type res struct {
		key []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := keyring.Get(KeyringService, user)
		if errors.Is(err, keyring.ErrNotFound) {
			key := make([]byte, KeySize)
			if _, err := rand.Read(key); err != nil {
				ch <- res{err: err}
				return
			}
			if err := keyring.Set(KeyringService, user, base64.StdEncoding.EncodeToString(key)); err != nil {
				ch <- res{err: err}
				return
			}
			ch <- res{key: key}
			return
		}
		if err != nil {
			ch <- res{err: err}
			return
		}
		key, err := base64.StdEncoding.DecodeString(s)
		if err == nil && len(key) != KeySize {
			err = fmt.Errorf("keyring entry has %d bytes, want %d", len(key), KeySize)
		}
		ch <- res{key: key, err: err}
	}()
	select {
	case r := <-ch:
		return r.key, r.err
	case <-time.After(o.Timeout):
		return nil, fmt.Errorf("keyring did not answer within %s", o.Timeout)
	}
}

// fileKey reads or creates a 0600 key file. A file readable by others is
// tightened back to 0600 rather than trusted silently.
func fileKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret: create key file: %w", err)
		}
		_, werr := f.Write([]byte(base64.StdEncoding.EncodeToString(key)))
		serr := f.Sync()
		if cerr := f.Close(); werr == nil && serr == nil {
			werr = cerr
		} else if werr == nil {
			werr = serr
		}
		if werr != nil {
			return nil, fmt.Errorf("secret: write key file: %w", werr)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret: read key file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("secret: key file %s is readable by others and cannot be fixed: %w", path, err)
		}
	}
	key, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret: key file %s is corrupted (sealed secrets cannot be opened without it)", path)
	}
	return key, nil
}
