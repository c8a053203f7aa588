/*
 * vdso_unmap: munmap of the vDSO and [vvar], which Linux allows.
 * Checks: getauxval(AT_SYSINFO_EHDR) names a mapped [vdso] in
 *   /proc/self/maps; munmap of it and of [vvar] succeeds and both leave
 *   the maps; the pages fault afterwards (SIGSEGV in a child that reads
 *   them); system calls made directly still work; a forked child of the
 *   unmapped process has no vDSO either.
 * Mirrors: munmap(2) on special mappings (mm/mmap.c do_vmi_munmap()),
 *   arch/x86/entry/vdso/vma.c.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int find(const char *name, unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, name)) {
			sscanf(line, "%lx-%lx", lo, hi);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR), lo = 0, hi = 0, vlo = 0, vhi = 0;
	int has = find("[vdso]", &lo, &hi);
	printf("vdso mapped: %d at auxv: %d\n", has, has && lo == ehdr);
	int hasv = find("[vvar]", &vlo, &vhi);
	printf("vvar mapped: %d\n", hasv);
	printf("munmap vdso: %d\n", munmap((void *)lo, hi - lo));
	if (hasv)
		printf("munmap vvar: %d\n", munmap((void *)vlo, vhi - vlo));
	printf("vdso left: %d vvar left: %d\n", find("[vdso]", &lo, &hi), find("[vvar]", &vlo, &vhi));
	struct timespec ts = {0, 0};
	long r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	printf("clock_gettime by syscall: %ld %d\n", r, ts.tv_sec > 0 || ts.tv_nsec > 0);
	pid_t c = fork();
	if (c == 0) {
		volatile char v = *(volatile char *)ehdr;
		(void)v;
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("reading it: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	c = fork();
	if (c == 0)
		_exit(find("[vdso]", &lo, &hi));
	waitpid(c, &st, 0);
	printf("child has vdso: %d\n", WEXITSTATUS(st));
	return 0;
}
