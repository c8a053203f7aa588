/*
 * core_dump: a process killed by a signal whose default action is "core"
 * leaves an ELF core file in its working directory when RLIMIT_CORE
 * allows, and its wait status has the core-dump bit (WCOREDUMP). The
 * test reads the core back: an ET_CORE file whose notes give the
 * crashing thread's registers (pr_pid, pr_cursig, rip in the crashing
 * function) and FPU state (NT_PRFPREG, and the XSAVE image in a "LINUX"
 * NT_X86_XSTATE note on a CPU with XSAVE), the process's name, the fatal
 * siginfo, the auxiliary vector and the mapped files, and whose PT_LOAD segments hold the process's
 * written memory. With RLIMIT_CORE 0 there is no file and no bit; SIGKILL
 * never dumps; a small RLIMIT_CORE cuts the file short but still counts
 * as a dump. (core_pattern is left as it is, "core", on both sides.)
 * Mirrors: core(5), signal(7) ("Core"), waitpid(2) (WCOREDUMP),
 *   elf(5) (ET_CORE, PT_NOTE, PT_LOAD).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif
#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

volatile uint64_t marker = 0x1122334455667788ULL;

__attribute__((noinline)) static void crash_here(void)
{
	marker = 0x5a5a5a5a12345678ULL;
	*(volatile int *)0 = 1;
}
__attribute__((noinline)) static void crash_end(void)
{
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	char *b = malloc(st.st_size + 1);
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, st.st_size - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	*len = n;
	return b;
}

static void inspect(pid_t pid)
{
	size_t len;
	char *b = slurp("core", &len);
	if (!b) {
		printf("  no core file: %s\n", en(errno));
		return;
	}
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	printf("  ELF: %d, type %s, machine %s, phnum > 1: %d\n", !memcmp(eh->e_ident, ELFMAG, SELFMAG),
	       eh->e_type == ET_CORE ? "ET_CORE" : "other", eh->e_machine == EM_X86_64 ? "x86-64" : "other", eh->e_phnum > 1);
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);
	int prstatus = 0, prpsinfo = 0, siginfo = 0, auxv = 0, file = 0, fpreg = 0, marker_ok = 0, stack_dumped = 0;
	int xstate = 0, xstate_ok = 0;
	uint64_t rsp = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		char *p = b + ph[i].p_offset, *end = p + ph[i].p_filesz;
		while (p < end) {
			Elf64_Nhdr *n = (Elf64_Nhdr *)p;
			char *name = p + sizeof *n;
			char *desc = name + ((n->n_namesz + 3) & ~3);
			/* NT_X86_XSTATE (0x202), named LINUX: the XSAVE image, with
			   XCR0 (x87 and SSE at least) in its software bytes. */
			if (!strcmp(name, "LINUX") && n->n_type == 0x202) {
				uint64_t xcr0;
				memcpy(&xcr0, desc + 464, 8);
				xstate++;
				xstate_ok = n->n_descsz >= 576 && (xcr0 & 3) == 3;
			}
			if (!strcmp(name, "CORE")) {
				switch (n->n_type) {
				case NT_PRSTATUS: {
					if (prstatus++)
						break;
					int32_t *w = (int32_t *)desc;
					int16_t cursig = *(int16_t *)(desc + 12);
					uint64_t *regs = (uint64_t *)(desc + 112);
					uint64_t rip = regs[16];
					rsp = regs[19];
					printf("  PRSTATUS: si_signo %d, cursig %d, pid ok %d, rip in crash_here %d\n", w[0], cursig,
					       *(int32_t *)(desc + 32) == pid,
					       rip >= (uint64_t)crash_here && rip < (uint64_t)crash_end);
					break;
				}
				case NT_PRPSINFO:
					prpsinfo++;
					printf("  PRPSINFO: fname %s, pid ok %d\n", desc + 40, *(int32_t *)(desc + 24) == pid);
					break;
				case NT_SIGINFO: {
					siginfo++;
					siginfo_t *si = (siginfo_t *)desc;
					printf("  SIGINFO: signo %d code %d", si->si_signo, si->si_code);
					if (si->si_signo == SIGSEGV)
						printf(" addr %p", si->si_addr);
					else
						printf(" pid ok %d", si->si_pid == pid);
					printf("\n");
					break;
				}
				case NT_AUXV: {
					auxv++;
					uint64_t *a = (uint64_t *)desc;
					int pagesz = 0;
					for (unsigned j = 0; j + 1 < n->n_descsz / 8; j += 2)
						if (a[j] == AT_PAGESZ)
							pagesz = a[j + 1];
					printf("  AUXV: AT_PAGESZ %d\n", pagesz);
					break;
				}
				case NT_FILE: {
					file++;
					uint64_t count = *(uint64_t *)desc;
					char *names = desc + 16 + count * 24;
					int self = 0;
					for (uint64_t j = 0; j < count; j++) {
						if (strstr(names, "core_dump"))
							self = 1;
						names += strlen(names) + 1;
					}
					printf("  FILE: maps the program %d\n", self);
					break;
				}
				case NT_PRFPREG:
					fpreg++;
					break;
				}
			}
			p = desc + ((n->n_descsz + 3) & ~3);
		}
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		uint64_t lo = ph[i].p_vaddr, hi = lo + ph[i].p_filesz;
		if ((uint64_t)&marker >= lo && (uint64_t)&marker + 8 <= hi)
			marker_ok = *(uint64_t *)(b + ph[i].p_offset + ((uint64_t)&marker - lo)) == 0x5a5a5a5a12345678ULL;
		if (rsp >= lo && rsp < hi)
			stack_dumped = 1;
	}
	printf("  notes: PRSTATUS %d PRPSINFO %d SIGINFO %d AUXV %d FILE %d PRFPREG %d X86_XSTATE %d (sound %d)\n", prstatus,
	       prpsinfo, siginfo, auxv, file, fpreg, xstate, xstate_ok);
	printf("  memory: marker written before the crash %d, stack dumped %d\n", marker_ok, stack_dumped);
	free(b);
}

static void run(const char *what, long core_limit, void (*fn)(void), int sig)
{
	unlink("core");
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {core_limit, core_limit};
		setrlimit(RLIMIT_CORE, &r);
		if (fn)
			fn();
		raise(sig);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("%s: signaled %d sig %d core bit %d\n", what, WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
	struct stat sb;
	if (stat("core", &sb) == 0) {
		printf("  core file: mode %o, owner root %d\n", sb.st_mode & 07777, sb.st_uid == 0);
		inspect(c);
	} else {
		printf("  no core file\n");
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/tine_core_%d", getpid());
	mkdir(dir, 0755);
	if (chdir(dir) != 0)
		return 1;
	run("SIGSEGV, RLIMIT_CORE unlimited", RLIM_INFINITY, crash_here, 0);
	run("SIGSEGV, RLIMIT_CORE 0", 0, crash_here, 0);
	run("SIGQUIT, RLIMIT_CORE unlimited", RLIM_INFINITY, NULL, SIGQUIT);
	run("SIGKILL, RLIMIT_CORE unlimited", RLIM_INFINITY, NULL, SIGKILL);
	/* A limit cuts the file short; the status still says "core". */
	unlink("core");
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {4096, 4096};
		setrlimit(RLIMIT_CORE, &r);
		raise(SIGABRT);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	struct stat sb;
	int have = stat("core", &sb) == 0;
	printf("SIGABRT, RLIMIT_CORE one page: core bit %d, file %d, within the limit %d\n", WCOREDUMP(st) ? 1 : 0, have,
	       have && sb.st_size <= 4096);
	unlink("core");
	chdir("/");
	rmdir(dir);
	printf("done\n");
	return 0;
}
