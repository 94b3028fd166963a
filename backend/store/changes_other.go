//go:build !linux

package store

import "context"

// watchFiles has no file events to offer here: Changes polls.
func watchFiles(context.Context, string, []string, chan struct{}) bool { return false }
