//go:build !linux

package notify

import "log/slog"

// Default returns the platform's notifier: beeep. Clicks cannot be
// observed here, so onClick is not called.
func Default(icon []byte, onClick func(page string), log *slog.Logger) Notifier {
	return NewBeeep(icon)
}
