package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"switchboard/backend/playground"
)

// Playground services: the translator playground's examples, translations
// and sends (Playground page).

// SetPlayground wires the playground's sends (a running gateway).
func (s *Services) SetPlayground(p *playground.Playground) { s.play = p }

// PlaygroundExamples lists the example requests (GET /api/playground/examples).
func (s *Services) PlaygroundExamples() []playground.Example { return playground.Examples() }

// PlaygroundTranslate translates a request into the other dialects
// (POST /api/playground/translate). It needs no running gateway.
func (s *Services) PlaygroundTranslate(in playground.TranslateInput) (playground.Translation, error) {
	t, err := playground.Translate(in)
	return t, playgroundError(err)
}

// PlaygroundSend sends a request through the gateway's routing and returns
// the upstream's raw answer and the client's (POST /api/playground/send).
func (s *Services) PlaygroundSend(ctx context.Context, in playground.SendInput) (playground.SendResult, error) {
	if s.play == nil {
		return playground.SendResult{}, errNoRouting
	}
	r, err := s.play.Send(ctx, in)
	return r, playgroundError(err)
}

// playgroundError makes the playground's refusals this package's user
// errors (400 with their message).
func playgroundError(err error) error {
	if errors.Is(err, playground.ErrInvalid) {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.TrimPrefix(err.Error(), "invalid: "))
	}
	return err
}
