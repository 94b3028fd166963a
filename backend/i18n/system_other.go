//go:build !darwin && !windows

package i18n

// osLocale: on Linux and the BSDs the environment is the setting.
func osLocale() string { return "" }
