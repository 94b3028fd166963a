package route

import "switchboard/backend/ir"

// Decision says what to do after a failed attempt.
type Decision uint8

const (
	// Stop returns the error to the client now.
	Stop Decision = iota
	// NextAccount tries the same target with another account.
	NextAccount
	// NextTarget skips the remaining accounts of this target.
	NextTarget
)

// Decide maps an error kind to the next step. Bad requests are the
// client's: another account would fail the same way, so they stop at once,
// except those that depend on the model (context too long, model not
// served), which move to the next target.
func Decide(e *ir.Error) Decision {
	switch e.Kind {
	case ir.KindBadRequest, ir.KindCanceled, ir.KindInternal:
		return Stop
	case ir.KindContextTooLong, ir.KindModelNotSupported, ir.KindNotFound, ir.KindNoAccount:
		return NextTarget
	case ir.KindAuth, ir.KindRateLimited, ir.KindQuotaExhausted:
		return NextAccount
	case ir.KindUpstream5xx, ir.KindTimeout, ir.KindNetwork, ir.KindStreamInterrupted, ir.KindUnavailable:
		return NextAccount
	}
	return NextAccount
}
