package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// The export file is an age file (https://age-encryption.org) in its ASCII
// armor, encrypted to an scrypt recipient made from the passphrase. Any
// age tool opens it with the passphrase; nothing in it is readable without.

// MinPassphrase is the shortest passphrase an export accepts.
const MinPassphrase = 8

// maxExport bounds what an import reads (a setup is kilobytes).
const maxExport = 32 << 20

// WorkFactor is scrypt's log2(N) for new exports (age's default, about a
// second of work to try one passphrase); tests lower it.
var WorkFactor = 18

var (
	// ErrWrongPassphrase means the passphrase does not open the file.
	ErrWrongPassphrase = errors.New("transfer: wrong passphrase")
	// ErrNotExport means the file is not a Switchboard export.
	ErrNotExport = errors.New("transfer: not a Switchboard export")
)

// Seal encrypts a setup with a passphrase.
func Seal(s Setup, passphrase string) ([]byte, error) {
	if len(passphrase) < MinPassphrase {
		return nil, fmt.Errorf("transfer: the passphrase must be at least %d characters", MinPassphrase)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	r.SetWorkFactor(WorkFactor)
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	var out bytes.Buffer
	aw := armor.NewWriter(&out)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	clear(plain)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	return out.Bytes(), nil
}

// Open decrypts an export. A wrong passphrase is ErrWrongPassphrase; a
// file of another kind or a newer layout is refused saying what was found.
func Open(data []byte, passphrase string) (Setup, error) {
	var s Setup
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte(armor.Header)) {
		src = armor.NewReader(bytes.NewReader(bytes.TrimSpace(data)))
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return s, fmt.Errorf("transfer: %w", err)
	}
	r, err := age.Decrypt(src, id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) || errors.Is(err, age.ErrIncorrectIdentity) {
			return s, ErrWrongPassphrase
		}
		if strings.Contains(err.Error(), "scrypt") {
			return s, fmt.Errorf("%w: it is an age file not encrypted with a passphrase", ErrNotExport)
		}
		return s, fmt.Errorf("%w: %v", ErrNotExport, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxExport))
	if err != nil {
		return s, fmt.Errorf("%w: the file is damaged: %v", ErrNotExport, err)
	}
	defer clear(plain)
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber() // generic table values keep their integers exact
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w: %v", ErrNotExport, err)
	}
	if s.Format != Format {
		return Setup{}, fmt.Errorf("%w: it holds %q", ErrNotExport, s.Format)
	}
	if s.Version > Version {
		return Setup{}, fmt.Errorf("%w: the export's layout is version %d and this Switchboard reads up to version %d; update Switchboard", ErrNotExport, s.Version, Version)
	}
	return s, nil
}
