/*
 * rseq: registering a restartable-sequences area (musl does not register
 * one itself, so the test's is the first).
 * Checks: EINVAL for a short length, a misaligned area and unknown
 *   flags; a registration succeeds and the CPU fields are filled in on
 *   the way back to user mode (cpu_id_start == cpu_id, a real CPU);
 *   registering again is EBUSY with the same area, EPERM with another
 *   signature, EINVAL with another area or length; unregistering with the
 *   wrong signature is EPERM, the wrong length EINVAL, and done right it
 *   sets cpu_id back to RSEQ_CPU_ID_UNINITIALIZED (-1); a forked child
 *   inherits the registration (EBUSY) and a thread-like CLONE_VM child
 *   does not; an area that cannot be written is accepted and the thread
 *   gets SIGSEGV on its way back to user mode; execve forgets it.
 * Mirrors: rseq(2) (kernel/rseq.c sys_rseq()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
	char end[];
} __attribute__((aligned(32)));

#define SIG 0x53053053
static struct rseq_area area, other;
static char stack[16384];

static long rseq(void *a, uint32_t len, int flags, uint32_t sig)
{
	return syscall(SYS_rseq, a, len, flags, sig);
}

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static int vm_child(void *arg)
{
	(void)arg;
	/* Not inherited: a new registration works here. */
	_exit(rseq(&other, 32, 0, SIG) == 0 ? 7 : 8);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		/* After execve: nothing registered. */
		show("after exec, register", rseq(&area, 32, 0, SIG));
		return 0;
	}
	show("short", rseq(&area, 16, 0, SIG));
	show("misaligned", rseq((char *)&area + 8, 32, 0, SIG));
	show("flags 2", rseq(&area, 32, 2, SIG));
	area.cpu_id = 0xdead;
	show("register", rseq(&area, 32, 0, SIG));
	printf("cpu fields: start==cpu %d, cpu small %d\n", area.cpu_id_start == area.cpu_id, area.cpu_id < 4096);
	show("again", rseq(&area, 32, 0, SIG));
	show("again, other sig", rseq(&area, 32, 0, SIG + 1));
	show("again, other area", rseq(&other, 32, 0, SIG));
	show("again, other len", rseq(&area, 64, 0, SIG));

	pid_t c = fork();
	if (c == 0)
		_exit(rseq(&area, 32, 0, SIG) < 0 && errno == EBUSY ? 5 : 6);
	int st;
	waitpid(c, &st, 0);
	printf("fork child inherits: %d\n", WEXITSTATUS(st));
	c = clone(vm_child, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
	waitpid(c, &st, 0);
	printf("CLONE_VM child: %d\n", WEXITSTATUS(st));

	show("unregister, other sig", rseq(&area, 32, 1, SIG + 1));
	show("unregister, other len", rseq(&area, 64, 1, SIG));
	show("unregister, other area", rseq(&other, 32, 1, SIG));
	show("unregister, more flags", rseq(&area, 32, 3, SIG));
	show("unregister", rseq(&area, 32, 1, SIG));
	printf("cpu_id now %#x\n", area.cpu_id);
	show("unregister again", rseq(&area, 32, 1, SIG));

	c = fork();
	if (c == 0) {
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		long r = rseq(ro, 32, 0, SIG);
		/* Not reached: the return to user mode fails to write. */
		_exit(r == 0 ? 1 : 2);
	}
	waitpid(c, &st, 0);
	printf("read-only area: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);

	show("register for exec", rseq(&area, 32, 0, SIG));
	c = fork();
	if (c == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	return 0;
}
