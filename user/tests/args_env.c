// args: one two three
/*
 * args_env: the initial process stack built by execve(2).
 * Checks: argc/argv (argv[argc] == NULL), envp (exact contents and
 * order as given by the harness), envp directly following argv, and
 * the auxiliary vector: AT_PAGESZ value, presence of AT_PHDR/AT_ENTRY/
 * AT_RANDOM/AT_EXECFN, AT_PHENT, AT_PHNUM equal to this ELF's own
 * e_phnum, AT_PHDR pointing at this ELF's program headers, AT_ENTRY ==
 * _start, AT_EXECFN basename == argv[0] basename, AT_UID/EUID/GID/EGID,
 * AT_SECURE, AT_CLKTCK, AT_RANDOM pointing at 16 readable bytes,
 * and getauxval(3) agreeing with a manual walk of the vector.
 * Mirrors: execve(2) "initial process stack", getauxval(3), elf(5).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern const Elf64_Ehdr __ehdr_start; /* provided by the GNU linker */
extern char _start[];                 /* crt1 entry point */

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int main(int argc, char **argv, char **envp)
{
	setvbuf(stdout, NULL, _IONBF, 0);

	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=\"%s\"\n", i, argv[i]);
	printf("argv[argc]==NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	printf("envp==argv+argc+1: %s\n", envp == argv + argc + 1 ? "yes" : "no");

	char **e = envp;
	for (; *e; e++)
		printf("envp[%d]=\"%s\"\n", (int)(e - envp), *e);
	printf("envc=%d\n", (int)(e - envp));

	/* Walk the auxv that follows the envp NULL terminator. */
	Elf64_auxv_t *auxv = (Elf64_auxv_t *)(e + 1);
	unsigned long seen[64] = {0}, val[64] = {0};
	int n = 0, mismatch = 0;
	for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++, n++) {
		if (a->a_type < 64) {
			seen[a->a_type] = 1;
			val[a->a_type] = a->a_un.a_val;
		}
		if (a->a_un.a_val != getauxval(a->a_type) && a->a_type != AT_IGNORE)
			mismatch++;
		if (n > 200)
			break;
	}
	printf("auxv terminated by AT_NULL within 200 entries: %s\n", n <= 200 ? "yes" : "no");
	printf("getauxval mismatches vs walk: %d\n", mismatch);

	printf("AT_PAGESZ=%lu\n", val[AT_PAGESZ]);
	printf("sysconf(_SC_PAGESIZE)=%ld\n", sysconf(_SC_PAGESIZE));
	static const struct { int t; const char *n; } pres[] = {
		{AT_PHDR, "AT_PHDR"}, {AT_ENTRY, "AT_ENTRY"},
		{AT_RANDOM, "AT_RANDOM"}, {AT_EXECFN, "AT_EXECFN"},
		{AT_PHENT, "AT_PHENT"}, {AT_PHNUM, "AT_PHNUM"},
		{AT_PAGESZ, "AT_PAGESZ"}, {AT_UID, "AT_UID"},
		{AT_EUID, "AT_EUID"}, {AT_GID, "AT_GID"}, {AT_EGID, "AT_EGID"},
		{AT_SECURE, "AT_SECURE"}, {AT_CLKTCK, "AT_CLKTCK"},
	};
	for (unsigned i = 0; i < sizeof pres / sizeof pres[0]; i++)
		printf("%s present: %s\n", pres[i].n, seen[pres[i].t] ? "yes" : "no");

	const Elf64_Ehdr *eh = &__ehdr_start;
	printf("ELF e_phnum=%u e_phentsize=%u\n", eh->e_phnum, eh->e_phentsize);
	printf("AT_PHENT=%lu\n", val[AT_PHENT]);
	printf("AT_PHNUM=%lu (== e_phnum: %s)\n", val[AT_PHNUM],
	       val[AT_PHNUM] == eh->e_phnum ? "yes" : "no");
	printf("AT_PHDR == ehdr+e_phoff: %s\n",
	       val[AT_PHDR] == (unsigned long)eh + eh->e_phoff ? "yes" : "no");
	printf("AT_ENTRY == _start: %s\n",
	       val[AT_ENTRY] == (unsigned long)_start ? "yes" : "no");

	if (seen[AT_EXECFN] && val[AT_EXECFN]) {
		const char *fn = (const char *)val[AT_EXECFN];
		printf("AT_EXECFN basename=\"%s\" == argv[0] basename: %s\n",
		       base(fn), strcmp(base(fn), base(argv[0])) == 0 ? "yes" : "no");
	}

	printf("AT_UID=%lu AT_EUID=%lu AT_GID=%lu AT_EGID=%lu\n",
	       val[AT_UID], val[AT_EUID], val[AT_GID], val[AT_EGID]);
	printf("AT_SECURE=%lu\n", val[AT_SECURE]);
	printf("AT_CLKTCK=%lu\n", val[AT_CLKTCK]);

	/* AT_RANDOM: 16 bytes the kernel must let us read.  write(2) to a
	 * pipe returns EFAULT instead of crashing if they are not mapped. */
	if (seen[AT_RANDOM]) {
		const unsigned char *r = (const unsigned char *)val[AT_RANDOM];
		int p[2];
		if (pipe(p) == 0) {
			errno = 0;
			ssize_t w = write(p[1], r, 16);
			printf("write(pipe, AT_RANDOM, 16)=%zd%s\n", w,
			       w < 0 && errno == EFAULT ? " EFAULT" : "");
			unsigned char copy[16];
			ssize_t rd = read(p[0], copy, 16);
			printf("read back %zd bytes, equal: %s\n", rd,
			       rd == 16 && memcmp(copy, r, 16) == 0 ? "yes" : "no");
			int nz = 0;
			for (int i = 0; i < 16; i++)
				nz |= r[i];
			printf("AT_RANDOM not all zero: %s\n", nz ? "yes" : "no");
			close(p[0]);
			close(p[1]);
		}
	}
	return 0;
}
