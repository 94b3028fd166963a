// Package archtest holds tests that guard the architecture: backend/ must
// never depend on the desktop shell (Wails, systray), so the gateway builds
// and runs headless everywhere.
package archtest
