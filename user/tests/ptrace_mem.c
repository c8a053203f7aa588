/*
 * ptrace_mem: a tracer reading and writing its tracee's memory, and
 * breakpoints.
 *   process_vm_readv/process_vm_writev: whole and partial transfers
 *     (a remote range running into an unmapped page), EFAULT, EINVAL
 *     for flags and too many iovecs, ESRCH;
 *   /proc/PID/mem: pread and pwrite at an address, EIO where nothing is
 *     mapped, and a write into the tracee's read-only text that changes
 *     what its function returns but not the program file: the tracer's
 *     own copy and a new process still get the old result;
 *   a breakpoint: int3 poked over the first byte of a function gives a
 *     SIGTRAP stop with rip just past it; the byte put back, rip reset
 *     with SETREGS, PTRACE_SINGLESTEP runs one instruction and stops with
 *     SIGTRAP, si_code TRAP_TRACE;
 *   the tracee's exit status says what it saw of the tracer's writes.
 * Mirrors: process_vm_readv(2), proc(5) /proc/pid/mem, ptrace(2)
 *   PTRACE_POKETEXT ("... copy-on-write"), PTRACE_SINGLESTEP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char buf[64] = "hello tracee";
static char buf2[64] = "untouched";

__attribute__((noinline)) int compute(void)
{
	__asm__ volatile("");
	return 1;
}

__attribute__((noinline)) void marker(void)
{
	__asm__ volatile("nop");
}

static int (*volatile fp)(void) = compute;
static void (*volatile mp)(void) = marker;

static void show(const char *what, pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (WIFSTOPPED(st))
		printf("%s: stopped sig=%d\n", what, WSTOPSIG(st));
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else
		printf("%s: killed by %d\n", what, WTERMSIG(st));
}

static void result(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	/* A page, then a hole: partial transfers stop at the hole. */
	char *area = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area + 4096, 4096);
	memset(area, 'a', 4096);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		mp();
		int c = fp();
		exit((strcmp(buf, "written by vm") == 0) | (strcmp(buf2, "via mem") == 0) << 1 | (c == 2) << 2 |
		     (area[0] == 'z') << 3);
	}
	show("tracee", pid);

	char got[64] = { 0 };
	struct iovec l = { got, sizeof got }, r = { buf, sizeof buf };
	result("readv", process_vm_readv(pid, &l, 1, &r, 1, 0));
	printf("  read: %s\n", got);
	char msg[] = "written by vm";
	struct iovec lw = { msg, sizeof msg }, rw = { buf, sizeof msg };
	result("writev", process_vm_writev(pid, &lw, 1, &rw, 1, 0));
	char big[8192];
	struct iovec lb = { big, sizeof big }, rb = { area + 4000, 200 };
	result("readv into the hole", process_vm_readv(pid, &lb, 1, &rb, 1, 0));
	struct iovec rz = { area, 1 }, lz = { "z", 1 };
	result("writev one byte", process_vm_writev(pid, &lz, 1, &rz, 1, 0));
	struct iovec rh = { area + 4096, 10 };
	result("readv from the hole", process_vm_readv(pid, &l, 1, &rh, 1, 0));
	result("readv with flags", process_vm_readv(pid, &l, 1, &r, 1, 1));
	result("readv from nobody", process_vm_readv(999999, &l, 1, &r, 1, 0));
	result("readv with 1025 iovecs", process_vm_readv(pid, &l, 1025, &r, 1, 0));
	result("readv of nothing", process_vm_readv(999999, &l, 0, &r, 1, 0));

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDWR);
	result("open mem", fd >= 0 ? 0 : -1);
	memset(got, 0, sizeof got);
	result("pread", pread(fd, got, 13, (off_t)(long)buf));
	printf("  read: %s\n", got);
	result("pwrite", pwrite(fd, "via mem", 8, (off_t)(long)buf2));
	result("pread at 0", pread(fd, got, 8, 0));
	result("pread across the hole", pread(fd, big, 200, (off_t)(long)(area + 4000)));
	unsigned char patch[] = { 0xb8, 0x02, 0, 0, 0, 0xc3 }; /* mov $2, %eax; ret */
	unsigned char orig[6];
	memcpy(orig, (void *)compute, 6);
	printf("compute starts as expected: %d\n", orig[0] == 0xb8 && orig[1] == 1);
	result("pwrite into text", pwrite(fd, patch, sizeof patch, (off_t)(long)compute));
	close(fd);
	printf("our compute: %d\n", fp());
	pid_t other = fork();
	if (other == 0)
		_exit(fp());
	show("a new process's compute", other);

	/* A breakpoint on marker(). */
	errno = 0;
	long word = ptrace(PTRACE_PEEKTEXT, pid, marker, 0);
	printf("peektext: %s first byte %#lx\n", en(errno), word & 0xff);
	result("poketext int3", ptrace(PTRACE_POKETEXT, pid, marker, (void *)((word & ~0xffL) | 0xcc)));
	ptrace(PTRACE_CONT, pid, 0, 0);
	show("breakpoint", pid);
	struct user_regs_struct regs;
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	siginfo_t si;
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("  rip - marker = %ld, si_code=%#x\n", (long)(regs.rip - (unsigned long)marker), si.si_code);
	result("poketext back", ptrace(PTRACE_POKETEXT, pid, marker, (void *)word));
	regs.rip = (unsigned long)marker;
	result("setregs", ptrace(PTRACE_SETREGS, pid, 0, &regs));
	result("singlestep", ptrace(PTRACE_SINGLESTEP, pid, 0, 0));
	show("step", pid);
	ptrace(PTRACE_GETREGS, pid, 0, &regs);
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("  rip - marker = %ld, si_code=%d, TF shown=%d\n", (long)(regs.rip - (unsigned long)marker), si.si_code,
	       (regs.eflags & 0x100) != 0);
	ptrace(PTRACE_CONT, pid, 0, 0);
	show("tracee", pid);
	return 0;
}
