//go:build !amd64

package jsonscan

const haveVector = false

func indexStopVector(b []byte, bias, limit byte) int { panic("unreachable") }

func stringMasks(p *byte) (quote, backslash, control, nt uint64) { panic("unreachable") }
