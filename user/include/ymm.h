/*
 * ymm.h: the AVX tests' view of ymm0-15 (xsave_ymm.c, ptrace_xstate.c):
 * whether the CPU and the kernel enable AVX, a file of sixteen 32-byte
 * registers, and inline-assembly pieces that load and store all of them.
 */
#ifndef YMM_H
#define YMM_H

#include <stdint.h>

typedef uint8_t ymm_file[16][32];

/* CPUID says OSXSAVE and AVX, and XCR0 has SSE and AVX state on: the
 * kernel saves ymm across switches (what a program must check, as glibc
 * does, before it uses AVX). */
__attribute__((unused)) static int have_avx(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* Byte j of register i is base + 32 i + j (mod 256). */
__attribute__((unused)) static void ymm_pattern(ymm_file y, int base)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 32; j++)
			y[i][j] = (uint8_t)(base + i * 32 + j);
}

#define LOAD_YMM(p)                                                                     \
	"vmovdqu 0*32(" p "), %%ymm0\n\tvmovdqu 1*32(" p "), %%ymm1\n\t"                  \
	"vmovdqu 2*32(" p "), %%ymm2\n\tvmovdqu 3*32(" p "), %%ymm3\n\t"                  \
	"vmovdqu 4*32(" p "), %%ymm4\n\tvmovdqu 5*32(" p "), %%ymm5\n\t"                  \
	"vmovdqu 6*32(" p "), %%ymm6\n\tvmovdqu 7*32(" p "), %%ymm7\n\t"                  \
	"vmovdqu 8*32(" p "), %%ymm8\n\tvmovdqu 9*32(" p "), %%ymm9\n\t"                  \
	"vmovdqu 10*32(" p "), %%ymm10\n\tvmovdqu 11*32(" p "), %%ymm11\n\t"              \
	"vmovdqu 12*32(" p "), %%ymm12\n\tvmovdqu 13*32(" p "), %%ymm13\n\t"              \
	"vmovdqu 14*32(" p "), %%ymm14\n\tvmovdqu 15*32(" p "), %%ymm15\n\t"
#define STORE_YMM(p)                                                                    \
	"vmovdqu %%ymm0, 0*32(" p ")\n\tvmovdqu %%ymm1, 1*32(" p ")\n\t"                  \
	"vmovdqu %%ymm2, 2*32(" p ")\n\tvmovdqu %%ymm3, 3*32(" p ")\n\t"                  \
	"vmovdqu %%ymm4, 4*32(" p ")\n\tvmovdqu %%ymm5, 5*32(" p ")\n\t"                  \
	"vmovdqu %%ymm6, 6*32(" p ")\n\tvmovdqu %%ymm7, 7*32(" p ")\n\t"                  \
	"vmovdqu %%ymm8, 8*32(" p ")\n\tvmovdqu %%ymm9, 9*32(" p ")\n\t"                  \
	"vmovdqu %%ymm10, 10*32(" p ")\n\tvmovdqu %%ymm11, 11*32(" p ")\n\t"              \
	"vmovdqu %%ymm12, 12*32(" p ")\n\tvmovdqu %%ymm13, 13*32(" p ")\n\t"              \
	"vmovdqu %%ymm14, 14*32(" p ")\n\tvmovdqu %%ymm15, 15*32(" p ")\n\t"              \
	"vzeroupper\n\t"
#define YMM_CLOBBERS                                                                    \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",  \
	    "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

#endif
