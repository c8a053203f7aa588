/*
 * ptrace_xstate: a tracer reads a stopped tracee's ymm registers with
 * PTRACE_GETREGSET NT_X86_XSTATE and writes them back changed.
 * Checks: the image is at least the 832 bytes of x87, SSE and AVX; the
 *   software bytes hold XCR0 at offset 464 (x87, SSE and AVX among its
 *   bits); XSTATE_BV has AVX while the tracee holds ymm values; xmm and
 *   the ymm upper halves are where the XSAVE layout puts them (160, 576);
 *   PTRACE_GETFPREGS gives the same legacy part; SETREGSET with a short
 *   buffer is EFAULT, with a compacted or unknown-feature header EINVAL;
 *   a whole image with ymm3 changed is what the tracee then runs with,
 *   its other registers unchanged.
 * Without AVX it says so and checks nothing.
 * Mirrors: ptrace(2) PTRACE_GETREGSET; Linux's fpu/regset.c
 *   xstateregs_get()/xstateregs_set(), copy_xstate_to_uabi_buf(),
 *   copy_uabi_to_xstate(), xstate_fx_sw_bytes.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ymm.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* The tracee: load ymm0-15, stop at int3, store them after. */
static int tracee(void)
{
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	raise(SIGSTOP);
	static ymm_file in, out;
	ymm_pattern(in, 0x40);
	__asm__ volatile(LOAD_YMM("%[in]") "int3\n\t" STORE_YMM("%[out]")
			 :
			 : [in] "r"(in), [out] "r"(out)
			 : "memory", YMM_CLOBBERS);
	/* The tracer inverted ymm3 whole; the rest is as loaded. */
	for (int j = 0; j < 32; j++)
		in[3][j] = (uint8_t)~in[3][j];
	return memcmp(in, out, sizeof in) == 0 ? 0 : 1;
}

static uint8_t buf[8192];

static long regset(int req, pid_t pid, size_t len, size_t *got)
{
	struct iovec iov = {buf, len};
	long r = ptrace(req, pid, (void *)NT_X86_XSTATE, &iov);
	if (got)
		*got = iov.iov_len;
	return r < 0 ? -errno : r;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!have_avx()) {
		printf("avx: no\n");
		return 0;
	}
	printf("avx: yes\n");
	pid_t pid = fork();
	if (pid == 0)
		_exit(tracee());
	int st;
	waitpid(pid, &st, 0);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	printf("stopped by SIGTRAP: %d\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);

	size_t size;
	long r = regset(PTRACE_GETREGSET, pid, sizeof buf, &size);
	uint64_t xcr0, bv;
	memcpy(&xcr0, buf + 464, 8);
	memcpy(&bv, buf + 512, 8);
	printf("GETREGSET: %ld, size >= 832: %d, XCR0 has x87 SSE AVX: %d, XSTATE_BV has AVX: %d\n", r,
	       size >= 832, (xcr0 & 7) == 7, (bv & 4) != 0);
	ymm_file want;
	ymm_pattern(want, 0x40);
	int ok = 1;
	for (int i = 0; i < 16; i++) {
		ok &= memcmp(buf + 160 + 16 * i, want[i], 16) == 0;
		ok &= memcmp(buf + 576 + 16 * i, want[i] + 16, 16) == 0;
	}
	printf("xmm at 160 and ymm upper halves at 576 as the tracee set them: %d\n", ok);
	struct user_fpregs_struct fp;
	ptrace(PTRACE_GETFPREGS, pid, 0, &fp);
	printf("GETFPREGS agrees on xmm: %d\n", memcmp((uint8_t *)&fp + 160, buf + 160, 256) == 0);

	/* Refusals: a short image, then a bad header (restored after). */
	r = regset(PTRACE_SETREGSET, pid, 512, NULL);
	printf("SETREGSET of 512 bytes: %s\n", strerror((int)-r));
	uint64_t saved_comp, saved_bv = bv;
	memcpy(&saved_comp, buf + 520, 8);
	uint64_t compact = 1ull << 63 | bv;
	memcpy(buf + 520, &compact, 8);
	r = regset(PTRACE_SETREGSET, pid, size, NULL);
	printf("SETREGSET with a compacted header: %s\n", strerror((int)-r));
	memcpy(buf + 520, &saved_comp, 8);
	uint64_t unknown = bv | 1ull << 62;
	memcpy(buf + 512, &unknown, 8);
	r = regset(PTRACE_SETREGSET, pid, size, NULL);
	printf("SETREGSET naming an unknown feature: %s\n", strerror((int)-r));
	memcpy(buf + 512, &saved_bv, 8);

	/* Invert ymm3: the low half at 160 + 48, the upper at 576 + 48. */
	for (int j = 0; j < 16; j++) {
		buf[160 + 48 + j] = (uint8_t)~buf[160 + 48 + j];
		buf[576 + 48 + j] = (uint8_t)~buf[576 + 48 + j];
	}
	r = regset(PTRACE_SETREGSET, pid, size, NULL);
	printf("SETREGSET with ymm3 inverted: %ld\n", r);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	printf("tracee ran with the new ymm3 and the rest kept: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
