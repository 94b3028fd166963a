package jsonscan

import "golang.org/x/sys/cpu"

var haveVector = cpu.X86.HasAVX2

// indexStopVector returns the index of the first byte of b in the class
// (bias, limit) (see special.go) among the first len(b)&^31 bytes, or
// len(b)&^31 when there is none.
//
//go:noescape
func indexStopVector(b []byte, bias, limit byte) int

// stringMasks flags, one bit per byte, the quotes, backslashes, control
// characters and the letters n and t (the escapes agent text is made of)
// of the 64 bytes at p (all of them must be readable).
//
//go:noescape
func stringMasks(p *byte) (quote, backslash, control, nt uint64)
