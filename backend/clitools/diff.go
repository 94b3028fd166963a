package clitools

import (
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// unifiedDiff renders a unified diff (3 lines of context) between two texts,
// with git-style a/ and b/ names (/dev/null for a file we create). The diff
// itself is go-udiff's (the Go team's internal/diff): Myers' algorithm,
// GNU-style hunk headers, and a "\ No newline at end of file" marker on each
// side that lacks one, so `patch -p1` applies the result.
func unifiedDiff(path, before, after string, created bool) string {
	if before == after {
		return ""
	}
	p := strings.TrimPrefix(path, "/")
	from := "a/" + p
	if created {
		from = "/dev/null"
	}
	return udiff.Unified(from, "b/"+p, before, after)
}
