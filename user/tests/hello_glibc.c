// cc: gcc -static -O2
/*
 * hello_glibc: same as hello but linked against glibc (static).
 * glibc's static start-up is much pickier than musl's: it uses
 * AT_PHDR/AT_PHNUM for TLS setup (arch_prctl(ARCH_SET_FS)), AT_RANDOM
 * for the stack protector/pointer guard, AT_HWCAP/AT_PLATFORM, brk,
 * and may call set_tid_address, set_robust_list, rseq, prlimit64,
 * readlinkat("/proc/self/exe"), getrandom, mprotect, etc.
 * Checks: printf, malloc, stderr, exit status 7.
 * Mirrors: printf(3), malloc(3), exit(3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("hello from glibc\n");

	char *small = malloc(32);
	char *big = malloc(1 << 20); /* > mmap threshold: exercises mmap */
	printf("malloc(32): %s, malloc(1MiB): %s\n",
	       small ? "non-NULL" : "NULL", big ? "non-NULL" : "NULL");
	if (!small || !big)
		return 1;
	snprintf(small, 32, "%s-%d", "glibc", 7);
	memset(big, 'x', 1 << 20);
	big[(1 << 20) - 1] = 0;
	printf("small=\"%s\" strlen(big)=%zu\n", small, strlen(big));
	free(big);
	free(small);

	fprintf(stderr, "glibc stderr line\n");
	printf("exiting with 7\n");
	exit(7);
}
