/*
 * Process-creation benchmarks, the same static binary under Tine and Linux
 * (`cargo xtask bench`, docs/bench.md).
 *
 *   bench list                       the benchmark names, one per line
 *   bench run NAME [OPTION]...       run one benchmark in this process
 *   bench all [OPTION|FILTER]...     run each benchmark whose name contains
 *                                    one of the FILTERs (all without one)
 *                                    in a fresh process (fork + execve of
 *                                    this binary with "run NAME")
 *
 * OPTIONs: time=MS (the length of one batch, default 300 ms), batches=N
 * (default 5), maxprocs=N (skip the rows that need more processes alive
 * than N: `bench --quick` keeps to 1,000).
 *
 * Scale rows: NAME+1k and NAME+10k run NAME while 1,000 or 10,000 other
 * processes sleep in pause(). They are the children of one "nursery"
 * process, not of the benchmark's, so that waitpid(-1) in the benchmark
 * sees the same children at every count (Linux's wait looks through the
 * caller's children, and that cost is meant to stay out of these rows).
 * Linux's cost for these operations does not depend on how many processes
 * exist; the rows show whether Tine's does.
 *
 * Method: each benchmark is a loop of `iters` iterations that returns the
 * nanoseconds it measured (CLOCK_MONOTONIC) and the operations it did
 * (iterations, or pages for the page-fault benchmarks). The iteration count
 * is first grown until one batch takes at least half of time=, then
 * `batches` batches run with that count; the line reports the median, the
 * minimum and the maximum of the batches' ns per operation:
 *
 *   bench NAME UNIT MEDIAN_NS MIN_NS MAX_NS ITERS_PER_BATCH BATCHES
 *
 * A benchmark that cannot run here prints `skip NAME REASON`; one that
 * fails prints `fail NAME REASON` and exits with status 1. `begin NAME`
 * marks the end of a benchmark's setup (its parent memory touched).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024)
/* The page-fault benchmarks touch regions of this many pages (16 MiB). */
#define REGION_PAGES 4096UL

static const char *TINY = "/bin/tiny";
static const char *BUSYBOX = "/bin/busybox";
static char *const tiny_argv[] = { "/bin/tiny", NULL };
static char *const guest_envp[] = { "PATH=/bin", "HOME=/", "TERM=linux", NULL };

static const char *self_path = "/bin/bench";
static const char *cur_name = "?";
static double batch_ns = 300e6;
static int nbatches = 5;
static long maxprocs = -1; /* maxprocs=N; -1: no limit */

/* Parent memory of the current benchmark (touched before measuring). */
static char *mem;
static size_t mem_size;
/* The page-fault benchmarks' region. */
static char *region;

/* Writes a line to stdout at once (no stdio buffer to duplicate at fork). */
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	for (int off = 0; n > 0 && off < n;) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0)
			break;
		off += w;
	}
}

static void fail(const char *what)
{
	say("fail %s %s: %s\n", cur_name, what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void wait_ok(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			fail("waitpid");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = 0;
		say("fail %s child status %#x\n", cur_name, st);
		exit(1);
	}
}

static char *map_anon(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap");
	return p;
}

/* Writes one byte in each page. */
static void touch(char *p, size_t size, char v)
{
	for (size_t off = 0; off < size; off += PAGE)
		((volatile char *)p)[off] = v;
}

/* ---- the benchmarks: each runs `iters` iterations, returns ns, sets ops ---- */

typedef uint64_t (*run_fn)(long iters, long *ops);

/* lmbench lat_proc fork: fork, the child _exits, the parent waits. */
static uint64_t b_fork_exit_wait(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0)
			_exit(0);
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

/* fork() alone, as the parent sees it return. The child waits on a pipe
 * (so it does not exit, and tear its memory down, inside the measurement)
 * and exits when the parent writes a byte after its clock read. */
static int sync_pipe[2] = { -1, -1 };

static uint64_t b_fork_only(long iters, long *ops)
{
	uint64_t sum = 0;
	if (sync_pipe[0] < 0 && pipe(sync_pipe) < 0)
		fail("pipe");
	for (long i = 0; i < iters; i++) {
		uint64_t t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			while (read(sync_pipe[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		uint64_t t1 = now_ns();
		if (pid < 0)
			fail("fork");
		sum += t1 - t0;
		if (write(sync_pipe[1], "x", 1) != 1)
			fail("write");
		wait_ok(pid);
	}
	*ops = iters;
	return sum;
}

static uint64_t b_fork_exec_wait(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			execve(TINY, tiny_argv, guest_envp);
			_exit(127);
		}
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

static uint64_t b_vfork_exec_wait(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = vfork();
		if (pid < 0)
			fail("vfork");
		if (pid == 0) {
			execve(TINY, tiny_argv, guest_envp);
			_exit(127);
		}
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

static uint64_t b_posix_spawn_wait(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid;
		int e = posix_spawn(&pid, TINY, NULL, NULL, tiny_argv, guest_envp);
		if (e) {
			errno = e;
			fail("posix_spawn");
		}
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

/* system("/bin/tiny") the long way: busybox sh -c, which execs the command. */
static uint64_t b_sh_c(long iters, long *ops)
{
	static char *const argv[] = { "sh", "-c", "/bin/tiny", NULL };
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			execve(BUSYBOX, argv, guest_envp);
			_exit(127);
		}
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

static void *thread_fn(void *arg)
{
	return arg;
}

static uint64_t b_pthread_create_join(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, thread_fn, NULL);
		if (e) {
			errno = e;
			fail("pthread_create");
		}
		pthread_join(t, NULL);
	}
	*ops = iters;
	return now_ns() - t0;
}

static int clone_fn(void *arg)
{
	(void)arg;
	return 0;
}

/* clone(CLONE_VM | SIGCHLD): a child sharing the address space, waited for
 * as a process. */
static uint64_t b_clone_vm_wait(long iters, long *ops)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = clone(clone_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
		if (pid < 0)
			fail("clone");
		wait_ok(pid);
	}
	*ops = iters;
	return now_ns() - t0;
}

static uint64_t b_getppid(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	*ops = iters;
	return now_ns() - t0;
}

/* One byte to a child and one back, through two pipes. */
static int ping[2] = { -1, -1 }, pong[2] = { -1, -1 };
static pid_t echo_pid;

static uint64_t b_pipe_pingpong(long iters, long *ops)
{
	char c = 'x';
	if (!echo_pid) {
		if (pipe(ping) < 0 || pipe(pong) < 0)
			fail("pipe");
		echo_pid = fork();
		if (echo_pid < 0)
			fail("fork");
		if (echo_pid == 0) {
			close(ping[1]);
			close(pong[0]);
			while (read(ping[0], &c, 1) == 1)
				if (write(pong[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(ping[0]);
		close(pong[1]);
	}
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			fail("ping-pong");
	}
	*ops = iters;
	return now_ns() - t0;
}

/* ---- several CPUs (`cargo xtask --smp N bench`): the scaling rows ---- */

static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : n;
}

/* fork + _exit + wait in one forking process per online CPU at once, as
 * ns per fork over all of them: with N CPUs, ideally 1/N of one CPU's
 * fork_exit_wait (the forkers are separate processes, so only the kernel
 * is shared). */
static uint64_t b_fork_exit_wait_percpu(long iters, long *ops)
{
	long n = online_cpus();
	pid_t w[64];
	int go[2];
	if (pipe(go) < 0)
		fail("pipe");
	for (long j = 0; j < n; j++) {
		w[j] = fork();
		if (w[j] < 0)
			fail("fork");
		if (w[j] == 0) {
			char c;
			close(go[1]);
			/* Every forker starts when the parent closes the pipe. */
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			long done;
			b_fork_exit_wait(iters, &done);
			_exit(0);
		}
	}
	close(go[0]);
	uint64_t t0 = now_ns();
	close(go[1]);
	for (long j = 0; j < n; j++)
		wait_ok(w[j]);
	*ops = n * iters;
	return now_ns() - t0;
}

/* Sibling threads that run without entering the kernel until `siblings_stop`,
 * so that the process's address space stays loaded on other CPUs and a
 * page-table change must reach their TLBs (the shootdown). */
static volatile int siblings_stop;
static pthread_t siblings[63];
static long nsiblings;

static void *sibling_fn(void *arg)
{
	(void)arg;
	while (!siblings_stop)
		__asm__ volatile("pause");
	return NULL;
}

/* Start `want` spinning siblings, once per benchmark process. */
static void start_siblings(long want)
{
	while (nsiblings < want) {
		int e = pthread_create(&siblings[nsiblings], NULL, sibling_fn, NULL);
		if (e) {
			errno = e;
			fail("pthread_create");
		}
		nsiblings++;
	}
}

/* fault_cow while a sibling thread runs on another CPU: each copy-on-write
 * fault changes a PTE the sibling's CPU may cache, so it costs a TLB
 * shootdown on top of the copy (Linux: flush_tlb_page() from wp_page_copy()
 * reaching the other CPUs in mm_cpumask()), per page. */
static uint64_t b_fault_cow(long iters, long *ops);

static uint64_t b_fault_cow_sibling(long iters, long *ops)
{
	start_siblings(1);
	return b_fault_cow(iters, ops);
}

/* munmap of one touched page while three sibling threads run (a 4-thread
 * process, the siblings spread over the other CPUs): the unmap waits for
 * every CPU running a sibling to drop the page (Linux: flush_tlb_mm_range()
 * in unmap_region()). */
static uint64_t b_munmap_threads(long iters, long *ops)
{
	start_siblings(3);
	uint64_t sum = 0;
	for (long i = 0; i < iters; i++) {
		char *p = map_anon(PAGE);
		p[0] = 1;
		uint64_t t0 = now_ns();
		if (munmap(p, PAGE) < 0)
			fail("munmap");
		sum += now_ns() - t0;
	}
	*ops = iters;
	return sum;
}

/* First touch of fresh anonymous memory (demand zero), per 4 KiB page. */
static uint64_t b_fault_zero(long iters, long *ops)
{
	uint64_t sum = 0;
	for (long i = 0; i < iters; i++) {
		char *p = map_anon(REGION_PAGES * PAGE);
		uint64_t t0 = now_ns();
		touch(p, REGION_PAGES * PAGE, 1);
		sum += now_ns() - t0;
		munmap(p, REGION_PAGES * PAGE);
	}
	*ops = iters * REGION_PAGES;
	return sum;
}

/* Copy-on-write: the parent writes every page of a 16 MiB region while a
 * child still holds it (the child waits on a pipe), per page. */
static uint64_t b_fault_cow(long iters, long *ops)
{
	uint64_t sum = 0;
	if (!region) {
		region = map_anon(REGION_PAGES * PAGE);
		touch(region, REGION_PAGES * PAGE, 1);
	}
	if (sync_pipe[0] < 0 && pipe(sync_pipe) < 0)
		fail("pipe");
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			char c;
			while (read(sync_pipe[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		uint64_t t0 = now_ns();
		touch(region, REGION_PAGES * PAGE, (char)i);
		sum += now_ns() - t0;
		if (write(sync_pipe[1], "x", 1) != 1)
			fail("write");
		wait_ok(pid);
	}
	*ops = iters * REGION_PAGES;
	return sum;
}

/* The reuse path: the same writes after the child has exited (each page
 * is write-protected but has one user again), per page. */
static uint64_t b_fault_cow_reuse(long iters, long *ops)
{
	uint64_t sum = 0;
	if (!region) {
		region = map_anon(REGION_PAGES * PAGE);
		touch(region, REGION_PAGES * PAGE, 1);
	}
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0)
			_exit(0);
		wait_ok(pid);
		uint64_t t0 = now_ns();
		touch(region, REGION_PAGES * PAGE, (char)i);
		sum += now_ns() - t0;
	}
	*ops = iters * REGION_PAGES;
	return sum;
}


/* ---- scale: processes alive while a benchmark runs ---- */

/* The nursery (see the header): forks `n` children that sleep in pause(),
 * says so on `ready`, waits for the benchmark to close `nursery_pipe`, then
 * kills and reaps them. */
static pid_t nursery_pid;
static int nursery_pipe[2] = { -1, -1 };

static void nursery(long n, int in, int ready)
{
	pid_t *kids = mmap(NULL, n * sizeof(pid_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kids == MAP_FAILED)
		fail("nursery mmap");
	long made = 0;
	for (; made < n; made++) {
		pid_t p = fork();
		if (p < 0)
			break;
		if (p == 0) {
			close(in);
			close(ready);
			for (;;)
				pause();
		}
		kids[made] = p;
	}
	if (made < n)
		say("fail %s fork of sleeper %ld: %s\n", cur_name, made + 1, strerror(errno));
	else if (write(ready, "r", 1) == 1) {
		char c;
		while (read(in, &c, 1) < 0 && errno == EINTR)
			;
	}
	for (long i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < made; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	_exit(made < n);
}

static void start_sleepers(long n)
{
	int ready[2];
	if (pipe(nursery_pipe) < 0 || pipe(ready) < 0)
		fail("pipe");
	nursery_pid = fork();
	if (nursery_pid < 0)
		fail("fork");
	if (nursery_pid == 0) {
		close(nursery_pipe[1]);
		close(ready[0]);
		nursery(n, nursery_pipe[0], ready[1]);
	}
	close(nursery_pipe[0]);
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		errno = 0;
		wait_ok(nursery_pid);
		fail("sleepers");
	}
	close(ready[0]);
}

static void stop_sleepers(void)
{
	close(nursery_pipe[1]);
	wait_ok(nursery_pid);
	nursery_pid = 0;
}

/* kill(2) of one sleeping process that blocks the signal: after the first
 * one the signal is already pending, so what is measured is finding the
 * process and checking permission (Linux: kill_proc_info() -> the PID
 * hash, check_kill_permission(), legacy_queue()). */
static pid_t kill_target;

static uint64_t b_kill(long iters, long *ops)
{
	if (!kill_target) {
		sigset_t usr1, old;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		/* Blocked before fork, so the child never runs with it open. */
		sigprocmask(SIG_BLOCK, &usr1, &old);
		kill_target = fork();
		if (kill_target < 0)
			fail("fork");
		if (kill_target == 0)
			for (;;)
				pause();
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (kill(kill_target, SIGUSR1) < 0)
			fail("kill");
	*ops = iters;
	return now_ns() - t0;
}

/* fork_exit_wait, reaped with waitpid(-1): any child. */
static uint64_t b_fork_exit_waitany(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0)
			_exit(0);
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, 0)) < 0 && errno == EINTR)
			;
		if (w != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			errno = 0;
			fail("waitpid(-1) returned another child or status");
		}
	}
	*ops = iters;
	return now_ns() - t0;
}

/* Creating SPAWN_N processes that stay alive (each reads a pipe), then
 * reaping them all once the pipe closes: per process. */
#define SPAWN_N 10000

static uint64_t b_spawn_reap(long iters, long *ops)
{
	uint64_t t0 = now_ns();
	for (long it = 0; it < iters; it++) {
		int p[2];
		if (pipe(p) < 0)
			fail("pipe");
		for (long i = 0; i < SPAWN_N; i++) {
			pid_t pid = fork();
			if (pid < 0)
				fail("fork");
			if (pid == 0) {
				char c;
				close(p[1]);
				while (read(p[0], &c, 1) < 0 && errno == EINTR)
					;
				_exit(0);
			}
		}
		close(p[0]);
		close(p[1]);
		for (long i = 0; i < SPAWN_N; i++) {
			int st;
			while (wait(&st) < 0)
				if (errno != EINTR)
					fail("wait");
		}
	}
	*ops = iters * SPAWN_N;
	return now_ns() - t0;
}

/* Kernel memory per sleeping process: MemFree before and after 1,000
 * sleepers are created, per sleeper, in bytes (their user memory is a
 * few copied-on-write pages each, part of the count as on Linux). */
static long memfree_kb(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "MemFree:", 8) == 0)
			v = atol(line + 8);
	if (f)
		fclose(f);
	return v;
}

static void mem_per_proc(void)
{
	const long n = 1000;
	long before = memfree_kb();
	start_sleepers(n);
	long after = memfree_kb();
	stop_sleepers();
	if (before < 0 || after < 0) {
		say("skip mem_per_proc no MemFree in /proc/meminfo\n");
		return;
	}
	long per = (before - after) * 1024 / n;
	say("bench mem_per_proc byte %ld %ld %ld %ld 1\n", per, per, per, n);
}

/* A fork bomb to exhaustion: fork sleeping children until fork fails,
 * then kill them all and reap them. Two lines: the time to fill and the
 * time to recover (kill and reap), plus `info` with how many and why. It
 * runs in a child of its own, in its own process group. */
#define FORKBOMB_PROCS 1000000

static void forkbomb(void)
{
	pid_t leader = fork();
	if (leader < 0)
		fail("fork");
	if (leader) {
		wait_ok(leader);
		return;
	}
	setpgid(0, 0);
	long n = 0;
	int err = 0;
	uint64_t t0 = now_ns();
	for (;;) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0)
			for (;;)
				pause();
		n++;
	}
	uint64_t t1 = now_ns();
	signal(SIGTERM, SIG_IGN);
	/* Everyone in the group but this process (which ignores SIGTERM). */
	if (kill(0, SIGTERM) < 0)
		fail("kill");
	long reaped = 0;
	while (wait(NULL) > 0 || errno == EINTR)
		reaped++;
	uint64_t t2 = now_ns();
	say("info forkbomb: %ld processes until fork failed with %s; %ld reaped\n", n,
	    err == EAGAIN ? "EAGAIN" : err == ENOMEM ? "ENOMEM" : strerror(err), reaped);
	say("bench forkbomb_fill total %llu %llu %llu %ld 1\n", (unsigned long long)(t1 - t0), (unsigned long long)(t1 - t0), (unsigned long long)(t1 - t0), n);
	say("bench forkbomb_recover total %llu %llu %llu %ld 1\n", (unsigned long long)(t2 - t1), (unsigned long long)(t2 - t1), (unsigned long long)(t2 - t1), reaped);
	_exit(reaped == n && (err == EAGAIN || err == ENOMEM) ? 0 : 1);
}

struct bench {
	const char *name;
	run_fn run;
	size_t mem; /* touched anonymous memory in the parent */
	const char *unit;
	const char *needs; /* a file that must exist, or NULL */
	long procs; /* other processes sleeping while it runs */
	/* Runs once, unmeasured by run_one, and prints its own lines. */
	void (*once)(void);
	/* Online CPUs it needs: its sibling threads spin, and on fewer CPUs
	 * they would take the measured thread's time instead of another CPU. */
	long min_cpus;
};

/* The two scale rows of a benchmark: with 1,000 and 10,000 sleepers. */
#define SCALE(name, fn) { name "+1k", fn, 0, "op", NULL, 1000 }, { name "+10k", fn, 0, "op", NULL, 10000 }

static const struct bench benches[] = {
	{ "getppid", b_getppid, 0, "op", NULL },
	{ "pipe_pingpong", b_pipe_pingpong, 0, "op", NULL },
	{ "fork_exit_wait", b_fork_exit_wait, 0, "op", NULL },
	{ "fork_exit_wait_16m", b_fork_exit_wait, 16 * MIB, "op", NULL },
	{ "fork_exit_wait_256m", b_fork_exit_wait, 256 * MIB, "op", NULL },
	{ "fork_exit_wait_1g", b_fork_exit_wait, 1024 * MIB, "op", NULL },
	{ "fork_only", b_fork_only, 0, "op", NULL },
	{ "fork_only_16m", b_fork_only, 16 * MIB, "op", NULL },
	{ "fork_only_256m", b_fork_only, 256 * MIB, "op", NULL },
	{ "fork_only_1g", b_fork_only, 1024 * MIB, "op", NULL },
	{ "fork_exec_wait", b_fork_exec_wait, 0, "op", NULL },
	{ "fork_exec_wait_1g", b_fork_exec_wait, 1024 * MIB, "op", NULL },
	{ "vfork_exec_wait", b_vfork_exec_wait, 0, "op", NULL },
	{ "vfork_exec_wait_1g", b_vfork_exec_wait, 1024 * MIB, "op", NULL },
	{ "posix_spawn_wait", b_posix_spawn_wait, 0, "op", NULL },
	{ "posix_spawn_wait_1g", b_posix_spawn_wait, 1024 * MIB, "op", NULL },
	{ "sh_c", b_sh_c, 0, "op", "/bin/busybox" },
	{ "pthread_create_join", b_pthread_create_join, 0, "op", NULL },
	{ "clone_vm_wait", b_clone_vm_wait, 0, "op", NULL },
	{ "fault_zero", b_fault_zero, 0, "page", NULL },
	{ "fault_cow", b_fault_cow, 0, "page", NULL },
	{ "fault_cow_reuse", b_fault_cow_reuse, 0, "page", NULL },
	{ "kill", b_kill, 0, "op", NULL },
	{ "fork_exit_waitany", b_fork_exit_waitany, 0, "op", NULL },
	{ "fork_exit_wait_percpu", b_fork_exit_wait_percpu, 0, "op", NULL },
	{ "fault_cow_sibling", b_fault_cow_sibling, 0, "page", NULL, 0, NULL, 2 },
	{ "munmap_threads", b_munmap_threads, 0, "op", NULL, 0, NULL, 2 },
	SCALE("getppid", b_getppid),
	SCALE("pipe_pingpong", b_pipe_pingpong),
	SCALE("fork_exit_wait", b_fork_exit_wait),
	SCALE("fork_exec_wait", b_fork_exec_wait),
	SCALE("kill", b_kill),
	SCALE("fork_exit_waitany", b_fork_exit_waitany),
	{ "spawn_reap_10k", b_spawn_reap, 0, "op", NULL, SPAWN_N },
	{ "mem_per_proc", NULL, 0, "byte", NULL, 1000, mem_per_proc },
	{ "forkbomb", NULL, 0, "total", NULL, FORKBOMB_PROCS, forkbomb },
};
#define NBENCH (sizeof benches / sizeof benches[0])

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void fmt_ns(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.1f", v);
}

static int run_one(const struct bench *b)
{
	cur_name = b->name;
	if (b->needs && access(b->needs, X_OK) != 0) {
		say("skip %s no %s\n", b->name, b->needs);
		return 0;
	}
	if (online_cpus() < b->min_cpus) {
		say("skip %s needs %ld CPUs (%ld online)\n", b->name, b->min_cpus, online_cpus());
		return 0;
	}
	if (maxprocs >= 0 && b->procs > maxprocs) {
		say("skip %s needs %ld processes (maxprocs=%ld)\n", b->name, b->procs, maxprocs);
		return 0;
	}
	if (b->once) {
		b->once();
		return 0;
	}
	if (b->procs && b->run != b_spawn_reap)
		start_sleepers(b->procs);
	if (b->mem) {
		mem = map_anon(b->mem);
		mem_size = b->mem;
		touch(mem, mem_size, 1);
	}
	/* Setup done: what follows is measured (`bench --profile` attributes
	 * its samples between this line and the result line to NAME). */
	say("begin %s\n", b->name);
	/* Calibrate: grow the iteration count until a batch takes at least
	 * half the batch time (the runs double as warm-up). */
	long iters = 1;
	for (;;) {
		long ops;
		uint64_t ns = b->run(iters, &ops);
		if (ns >= batch_ns / 2 || iters >= (1L << 30))
			break;
		double scale = ns ? batch_ns / (double)ns : 100.0;
		if (scale > 100)
			scale = 100;
		long next = (long)(iters * scale * 1.05) + 1;
		iters = next > iters * 2 ? next : iters * 2;
	}
	double per[64];
	int n = nbatches < 64 ? nbatches : 64;
	for (int i = 0; i < n; i++) {
		long ops;
		uint64_t ns = b->run(iters, &ops);
		per[i] = (double)ns / (double)ops;
	}
	qsort(per, n, sizeof per[0], cmp_double);
	double med = n % 2 ? per[n / 2] : (per[n / 2 - 1] + per[n / 2]) / 2;
	char m[32], lo[32], hi[32];
	fmt_ns(m, sizeof m, med);
	fmt_ns(lo, sizeof lo, per[0]);
	fmt_ns(hi, sizeof hi, per[n - 1]);
	long per_batch = iters * (strcmp(b->unit, "page") == 0 ? (long)REGION_PAGES : 1);
	say("bench %s %s %s %s %s %ld %d\n", b->name, b->unit, m, lo, hi, per_batch, n);
	if (echo_pid) {
		close(ping[1]);
		close(pong[0]);
		wait_ok(echo_pid);
	}
	if (kill_target) {
		kill(kill_target, SIGKILL);
		waitpid(kill_target, NULL, 0);
	}
	if (nursery_pid)
		stop_sleepers();
	return 0;
}

/* time=MS and batches=N; returns 1 if `arg` was an option. */
static int option(const char *arg)
{
	if (strncmp(arg, "time=", 5) == 0) {
		double ms = atof(arg + 5);
		if (ms > 0)
			batch_ns = ms * 1e6;
		return 1;
	}
	if (strncmp(arg, "maxprocs=", 9) == 0) {
		maxprocs = atol(arg + 9);
		return 1;
	}
	if (strncmp(arg, "batches=", 8) == 0) {
		int n = atoi(arg + 8);
		if (n > 0)
			nbatches = n;
		return 1;
	}
	return 0;
}

static const struct bench *find(const char *name)
{
	for (size_t i = 0; i < NBENCH; i++)
		if (strcmp(benches[i].name, name) == 0)
			return &benches[i];
	return NULL;
}

static int run_all(int argc, char **argv)
{
	char *opts[32];
	int nopts = 0, nfilters = 0;
	for (int i = 0; i < argc; i++) {
		if (option(argv[i])) {
			if (nopts < 32)
				opts[nopts++] = argv[i];
		} else {
			nfilters++;
		}
	}
	int status = 0;
	for (size_t i = 0; i < NBENCH; i++) {
		const struct bench *b = &benches[i];
		int want = nfilters == 0;
		for (int j = 0; j < argc && !want; j++)
			if (!option(argv[j]) && strstr(b->name, argv[j]))
				want = 1;
		if (!want)
			continue;
		char *args[40];
		int n = 0;
		args[n++] = (char *)self_path;
		args[n++] = "run";
		args[n++] = (char *)b->name;
		for (int j = 0; j < nopts; j++)
			args[n++] = opts[j];
		args[n] = NULL;
		pid_t pid = fork();
		if (pid < 0) {
			say("fail %s fork: %s\n", b->name, strerror(errno));
			status = 1;
			continue;
		}
		if (pid == 0) {
			execve(self_path, args, guest_envp);
			say("fail %s execve %s: %s\n", b->name, self_path, strerror(errno));
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (WIFSIGNALED(st))
				say("fail %s killed by signal %d\n", b->name, WTERMSIG(st));
			status = 1;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	if (argv[0] && argv[0][0] == '/')
		self_path = argv[0];
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < NBENCH; i++)
			say("%s\n", benches[i].name);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "run") == 0) {
		const struct bench *b = find(argv[2]);
		if (!b) {
			say("fail %s no such benchmark\n", argv[2]);
			return 2;
		}
		for (int i = 3; i < argc; i++)
			option(argv[i]);
		return run_one(b);
	}
	if (argc >= 2 && strcmp(argv[1], "all") == 0)
		return run_all(argc - 2, argv + 2);
	say("usage: bench list | run NAME [OPTION]... | all [OPTION|FILTER]...  (OPTION: time=MS batches=N maxprocs=N)\n");
	return 2;
}
