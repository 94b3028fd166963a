package onboarding

import (
	"errors"
	"fmt"
)

// States of the first-run setup.
const (
	StatePending  = ""         // never finished nor skipped: the flow opens on first run
	StateComplete = "complete" // finished: the Overview shows today's usage
	StateSkipped  = "skipped"  // dismissed: reopenable from the Overview
)

// SettingsKey is the settings row the state is kept in.
const SettingsKey = "onboarding"

// State is what is kept between runs.
type State struct {
	Status string `json:"status"`
	// Step is the step the user last reached (reopening resumes there).
	Step string `json:"step,omitempty"`
	// Combo is the combo the setup created or picked (the tools and the
	// test request use it).
	Combo string `json:"combo,omitempty"`
	// UpdatedAt is unix ms of the last change.
	UpdatedAt int64 `json:"updatedAt,omitempty"`
}

// Steps of the flow, in order.
var Steps = []string{"detect", "subscriptions", "keys", "combo", "tools", "test"}

// ErrInvalidState is a status or step the flow does not know.
var ErrInvalidState = errors.New("onboarding: invalid state")

// Validate checks a state sent by the dashboard.
func (s State) Validate() error {
	switch s.Status {
	case StatePending, StateComplete, StateSkipped:
	default:
		return fmt.Errorf("%w: status %q is not one of \"\", complete, skipped", ErrInvalidState, s.Status)
	}
	if len(s.Combo) > 128 {
		return fmt.Errorf("%w: combo name is longer than 128 bytes", ErrInvalidState)
	}
	if s.Step == "" {
		return nil
	}
	for _, st := range Steps {
		if st == s.Step {
			return nil
		}
	}
	return fmt.Errorf("%w: step %q is not one of %v", ErrInvalidState, s.Step, Steps)
}
