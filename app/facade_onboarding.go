package app

import (
	"switchboard/backend/mgmt"
	"switchboard/backend/onboarding"
)

// GetOnboarding reads the first-run setup's state.
func (a *App) GetOnboarding() (onboarding.State, error) { return a.svc.GetOnboarding(a.ctx) }

// SaveOnboarding stores the first-run setup's state (complete, skipped…).
func (a *App) SaveOnboarding(st onboarding.State) (onboarding.State, error) {
	return a.svc.SaveOnboarding(a.ctx, st)
}

// DetectSetup finds CLIs, sign-ins, env keys, local servers and other gateways.
func (a *App) DetectSetup() onboarding.Report { return a.svc.DetectSetup(a.ctx) }

// AddEnvKey stores the key an environment variable holds as an account.
func (a *App) AddEnvKey(name string) (mgmt.AccountView, error) { return a.svc.AddEnvKey(a.ctx, name) }

// AddLocalServer configures a reachable Ollama or LM Studio.
func (a *App) AddLocalServer(id string) (mgmt.ProviderView, error) {
	return a.svc.AddLocalServer(a.ctx, id)
}

// SendSetupTest sends one request through the gateway and shows its answer.
func (a *App) SendSetupTest(model string) (mgmt.SetupTest, error) {
	return a.svc.SendSetupTest(a.ctx, model)
}
