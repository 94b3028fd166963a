package app

import "switchboard/backend/playground"

// PlaygroundExamples lists the translator playground's example requests.
func (a *App) PlaygroundExamples() []playground.Example { return a.svc.PlaygroundExamples() }

// PlaygroundTranslate translates a request into the other dialects.
func (a *App) PlaygroundTranslate(in playground.TranslateInput) (playground.Translation, error) {
	return a.svc.PlaygroundTranslate(in)
}

// PlaygroundSend sends a request through the gateway and returns both answers.
func (a *App) PlaygroundSend(in playground.SendInput) (playground.SendResult, error) {
	return a.svc.PlaygroundSend(a.ctx, in)
}
