/*
 * segv_kernel: a user-mode load from a kernel-half address must raise
 * SIGSEGV (default action: terminate; exit status 139 = 128 + 11), not
 * read kernel memory and not panic the kernel.
 * Mirrors: signal(7) SIGSEGV, x86-64 page-fault handling for user
 *   accesses to supervisor pages.
 */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core file in the host cwd */
	printf("reading *(char *)0xffffffff81000000: expect SIGSEGV (status 139)\n");
	fflush(stdout);
	unsigned char c;
	__asm__ volatile("movb (%1), %0" : "=r"(c) : "r"(0xffffffff81000000UL) : "memory");
	printf("read 0x%02x, still alive?!\n", c);
	return 0;
}
