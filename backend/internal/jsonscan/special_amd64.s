#include "textflag.h"

// func indexStopVector(b []byte, bias, limit byte) int
//
// 32 bytes per step: a byte stops the scan when it is '"' or '\\', or when
// (c XOR bias) < limit as signed bytes.
TEXT ·indexStopVector(SB), NOSPLIT, $0-40
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ANDQ $~31, CX
	MOVQ SI, DI
	ADDQ SI, CX            // CX: end of the whole blocks

	MOVL $0x22, AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1    // '"'
	MOVL $0x5c, AX
	MOVQ AX, X2
	VPBROADCASTB X2, Y2    // '\\'
	MOVBLZX bias+24(FP), AX
	MOVQ AX, X3
	VPBROADCASTB X3, Y3    // bias
	MOVBLZX limit+25(FP), AX
	MOVQ AX, X4
	VPBROADCASTB X4, Y4    // limit

loop:
	CMPQ SI, CX
	JAE  none
	VMOVDQU (SI), Y0
	VPCMPEQB Y0, Y1, Y5
	VPCMPEQB Y0, Y2, Y6
	VPXOR    Y0, Y3, Y7
	VPCMPGTB Y7, Y4, Y7    // limit > (c ^ bias)
	VPOR     Y5, Y6, Y5
	VPOR     Y5, Y7, Y5
	VPMOVMSKB Y5, AX
	TESTL AX, AX
	JNZ  found
	ADDQ $32, SI
	JMP  loop

found:
	BSFL AX, AX
	SUBQ DI, SI
	ADDQ AX, SI
	MOVQ SI, ret+32(FP)
	VZEROUPPER
	RET

none:
	SUBQ DI, SI
	MOVQ SI, ret+32(FP)
	VZEROUPPER
	RET

// func stringMasks(p *byte) (quote, backslash, control, nt uint64)
//
// Bit i of each mask flags p[i] (64 bytes, all readable) as a quote, a
// backslash, a control character (< 0x20), or an 'n' or a 't'.
TEXT ·stringMasks(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1

	MOVL $0x22, AX
	MOVQ AX, X2
	VPBROADCASTB X2, Y2    // '"'
	MOVL $0x5c, AX
	MOVQ AX, X3
	VPBROADCASTB X3, Y3    // '\\'
	MOVL $0x1f, AX
	MOVQ AX, X4
	VPBROADCASTB X4, Y4    // 0x1f
	MOVL $0x6e, AX
	MOVQ AX, X7
	VPBROADCASTB X7, Y7    // 'n'
	MOVL $0x74, AX
	MOVQ AX, X8
	VPBROADCASTB X8, Y8    // 't'

	VPCMPEQB Y0, Y2, Y5
	VPCMPEQB Y1, Y2, Y6
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, quote+8(FP)

	VPCMPEQB Y0, Y3, Y5
	VPCMPEQB Y1, Y3, Y6
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, backslash+16(FP)

	VPMINUB Y0, Y4, Y5     // min(c, 0x1f) == c  ⇔  c < 0x20
	VPMINUB Y1, Y4, Y6
	VPCMPEQB Y0, Y5, Y5
	VPCMPEQB Y1, Y6, Y6
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, control+24(FP)

	VPCMPEQB Y0, Y7, Y5
	VPCMPEQB Y0, Y8, Y9
	VPOR     Y5, Y9, Y5
	VPCMPEQB Y1, Y7, Y6
	VPCMPEQB Y1, Y8, Y9
	VPOR     Y6, Y9, Y6
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, nt+32(FP)
	VZEROUPPER
	RET
