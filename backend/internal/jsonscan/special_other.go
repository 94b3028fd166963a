//go:build !amd64

package jsonscan

const haveVector = false

func indexStopVector(b []byte, bias, limit byte) int { panic("unreachable") }
