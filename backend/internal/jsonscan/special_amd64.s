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
