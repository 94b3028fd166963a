package clitools

import (
	"os"
	"path/filepath"
)

// A tool is installed when its program is: on PATH, or in a place its
// installer puts it that is often missing from PATH (a desktop app's PATH
// is not the login shell's). A config file alone says nothing: it may be
// left over, or written ahead by Switchboard itself.

// installDirs are those places, relative to the home folder.
var installDirs = []string{
	".local/bin",          // pipx, the Claude Code and OpenCode installers
	".claude/local",       // Claude Code's local install
	".opencode/bin",       // OpenCode's install script
	".npm-global/bin",     // npm with a user prefix
	".bun/bin",            // bun global installs
	".volta/bin",          // Volta
	".cargo/bin",          // cargo install
	"go/bin",              // go install
	".factory/bin",        // Factory Droid
	"AppData/Roaming/npm", // npm on Windows
}

// findBinary is the path of the first of names found (PATH first), or "".
func findBinary(env Env, names []string) string {
	for _, b := range names {
		if env.LookPath == nil {
			break
		}
		if p, err := env.LookPath(b); err == nil {
			return p
		}
	}
	if env.Home == "" {
		return ""
	}
	for _, dir := range installDirs {
		for _, b := range names {
			for _, name := range exeNames(env, b) {
				p := filepath.Join(env.Home, filepath.FromSlash(dir), name)
				if executable(p, env.GOOS) {
					return p
				}
			}
		}
	}
	return ""
}

func exeNames(env Env, b string) []string {
	if env.GOOS == "windows" {
		return []string{b + ".exe", b + ".cmd"}
	}
	return []string{b}
}

// executable reports whether p is a regular file that can be run.
func executable(p, goos string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return goos == "windows" || fi.Mode().Perm()&0o111 != 0
}
