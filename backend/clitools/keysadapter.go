package clitools

import (
	"context"
	"errors"

	"switchboard/backend/keys"
)

// LocalKeys issues each tool its own local API key (named after the tool,
// source "tool") from the keys service, so usage is attributed per tool and
// one tool can be revoked alone.
func LocalKeys(k *keys.Service) KeyIssuer { return localKeys{k} }

type localKeys struct{ k *keys.Service }

// Issue replaces any key of the same name: the old one is in no file any more.
func (t localKeys) Issue(ctx context.Context, name string) (string, error) {
	if err := t.k.Revoke(ctx, name); err != nil && !errors.Is(err, keys.ErrNotFound) {
		return "", err
	}
	_, secret, err := t.k.Create(ctx, name, keys.SourceTool)
	return secret, err
}

func (t localKeys) Revoke(ctx context.Context, name string) error {
	if err := t.k.Revoke(ctx, name); err != nil && !errors.Is(err, keys.ErrNotFound) {
		return err
	}
	return nil
}

func (t localKeys) Valid(secret string) bool {
	_, ok := t.k.Verify(secret)
	return ok
}
