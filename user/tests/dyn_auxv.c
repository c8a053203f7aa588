// cc: gcc -O2
/*
 * dyn_auxv: what the kernel tells the dynamic loader, and the vDSO.
 * Checks: AT_BASE is non-zero (the interpreter's load address) and
 *   AT_BASE points at an ELF header; AT_PHDR/AT_PHENT/AT_PHNUM describe
 *   this program (a PT_PHDR and a PT_INTERP among them, AT_ENTRY inside
 *   a PT_LOAD once relocated); AT_SYSINFO_EHDR is present and points at
 *   an ELF shared object (the vDSO), listed as [vdso] in /proc/self/maps
 *   with [vvar] below it; /proc/self/auxv holds the same pairs as
 *   getauxval; clock_gettime (through the vDSO in glibc) and
 *   gettimeofday/time agree with each other and go forward.
 * Mirrors: getauxval(3), vdso(7), proc(5) (auxv, maps), clock_gettime(2).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <sched.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	unsigned long base = getauxval(AT_BASE), ehdr = getauxval(AT_SYSINFO_EHDR);
	printf("AT_BASE non-zero: %d, ELF there: %d\n", base != 0, base && memcmp((void *)base, ELFMAG, SELFMAG) == 0);
	printf("AT_SYSINFO_EHDR present: %d\n", ehdr != 0);
	if (ehdr) {
		const Elf64_Ehdr *e = (const Elf64_Ehdr *)ehdr;
		printf("vDSO: ELF %d, ET_DYN %d\n", memcmp(e->e_ident, ELFMAG, SELFMAG) == 0, e->e_type == ET_DYN);
	}
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM), entry = getauxval(AT_ENTRY), bias = 0;
	int interp = 0, entry_in = 0;
	printf("AT_PHENT %lu\n", getauxval(AT_PHENT));
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (unsigned long)ph - ph[i].p_vaddr;
	for (unsigned long i = 0; i < n; i++) {
		if (ph[i].p_type == PT_INTERP)
			interp = 1;
		if (ph[i].p_type == PT_LOAD && entry >= bias + ph[i].p_vaddr && entry < bias + ph[i].p_vaddr + ph[i].p_memsz)
			entry_in = 1;
	}
	printf("PT_INTERP %d, AT_ENTRY in a PT_LOAD %d\n", interp, entry_in);

	/* /proc/self/auxv: the same pairs. */
	int fd = open("/proc/self/auxv", O_RDONLY);
	unsigned long pairs[128][2];
	ssize_t len = read(fd, pairs, sizeof pairs);
	close(fd);
	int same = len > 0, count = 0;
	for (long i = 0; i < len / 16 && pairs[i][0] != AT_NULL; i++, count++)
		/* glibc answers AT_HWCAP with its own x86-64 bits. */
		if (pairs[i][0] != AT_HWCAP && pairs[i][1] != getauxval(pairs[i][0])) {
			printf("auxv key %lu: %#lx, getauxval %#lx\n", pairs[i][0], pairs[i][1], getauxval(pairs[i][0]));
			same = 0;
		}
	printf("/proc/self/auxv agrees with getauxval: %d (%s)\n", same, count > 15 ? "many entries" : "few");

	/* [vdso] and [vvar] in the maps, the vDSO at AT_SYSINFO_EHDR. */
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int vdso = 0, vvar = 0;
	unsigned long lo, hi, vvar_end = 0;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "%lx-%lx", &lo, &hi);
		if (strstr(line, "[vvar]"))
			vvar = 1, vvar_end = hi;
		if (strstr(line, "[vdso]") && lo == ehdr && strstr(line, " r-xp "))
			vdso = 1 + (vvar_end != 0 && vvar_end <= lo);
	}
	fclose(f);
	printf("[vdso] at AT_SYSINFO_EHDR: %d, [vvar] below it: %d\n", vdso > 0, vdso == 2 && vvar);

	struct timespec a, b, r;
	struct timeval tv;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_REALTIME, &r);
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	for (volatile int i = 0; i < 100000; i++)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long da = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	printf("monotonic goes forward: %d\n", da > 0);
	printf("realtime, gettimeofday, time agree: %d %d\n", tv.tv_sec - r.tv_sec <= 1 && tv.tv_sec >= r.tv_sec,
	       t - r.tv_sec <= 1 && t >= r.tv_sec);
	struct timespec res;
	int rc = clock_getres(CLOCK_MONOTONIC, &res);
	printf("clock_getres(MONOTONIC) = %d, %ld ns\n", rc, res.tv_nsec);
	printf("sched_getcpu: %d\n", sched_getcpu() >= 0);
	return 0;
}
