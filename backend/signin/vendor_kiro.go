package signin

import (
	"context"
	"strings"

	"switchboard/backend/oauth"
)

func init() { registerVendor("kiro", kiroVendor{}) }

// kiroVendor keeps a Kiro sign-in's profile ARN as the account's Ref: Kiro's
// Google/GitHub logins have one and their requests must name it
// (profileArn, added by the provider's kiro quirks); AWS Builder ID sign-ins
// have none and send none, as the IDE does.
type kiroVendor struct{}

func (kiroVendor) finish(_ context.Context, _ *Manager, _ string, tok *oauth.Token) (Extra, error) {
	arn, _ := tok.Extra("profileArn").(string)
	if !strings.HasPrefix(arn, "arn:") || strings.ContainsFunc(arn, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		arn = "" // not an ARN: nothing to name
	}
	return Extra{Ref: arn}, nil
}
