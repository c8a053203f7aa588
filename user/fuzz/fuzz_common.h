/*
 * fuzz_common.h: what Tine's syscall fuzzer (user/fuzz/fuzz.c) and the
 * reproducers `cargo xtask fuzz` writes (build/fuzz/repro-SEED.c) have in
 * common: the raw system call, the worker's set-up (scratch mappings at
 * fixed addresses, files, descriptors in fixed slots: so that a call's
 * arguments, recorded as numbers, mean the same thing in a reproducer) and
 * the supervision of a worker (time budget, SIGKILL, reap everything).
 *
 * xtask pastes this whole file into each reproducer, which must therefore
 * stand alone: plain musl-gcc -static, no other header of ours.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raw_clone.h"

/* Scratch memory, the same in every worker and reproducer:
 * A: 64 KiB read-write, then one unmapped page (the guard), then B: one
 * read-write page, then one unmapped page, then RO: one read-only page. */
#define FZ_A 0x10000000UL
#define FZ_A_LEN 0x10000UL
#define FZ_HOLE (FZ_A + FZ_A_LEN)
#define FZ_B (FZ_HOLE + 0x1000UL)
#define FZ_RO (FZ_B + 0x2000UL)
/* Thread stacks (never in the argument pools). */
#define FZ_STACKS 0x11000000UL
#define FZ_STACK_LEN 0x10000UL
#define FZ_MAX_THREADS 3

/* Offsets in A of the structures the fill puts there. */
#define FZ_PATHS 0x0000UL /* NUL-terminated paths, FZ_PATH_STRIDE apart */
#define FZ_PATH_STRIDE 0x40UL
#define FZ_NPATHS 16
#define FZ_LONGPATH 0x1000UL /* 4200 'a's: longer than PATH_MAX */
#define FZ_IOV 0x2200UL      /* 8 iovecs into A's output half */
#define FZ_TS 0x2300UL       /* timespecs: {0,0} {0,1ms} {1,0} {-1,0} {0,1e9} */
#define FZ_SIGSET 0x2400UL   /* all ones, then all zeros */
#define FZ_POLLFD 0x2500UL   /* pollfds for descriptors 0..15 */
#define FZ_ARGV 0x2600UL     /* {path 0, path 5, NULL}, envp {NULL} */
#define FZ_SIGACT 0x2700UL   /* {SIG_IGN, 0, 0, 0}, {SIG_DFL, ...} */
#define FZ_ITIMER 0x2800UL   /* {0,0,0,1000} */
#define FZ_RLIM 0x2900UL     /* {1024,1024}, {inf,inf} */
#define FZ_CLONE_ARGS 0x2a00UL /* clone_args: exit_signal SIGCHLD */
#define FZ_FLOCK 0x2b00UL    /* struct flock {F_RDLCK, SEEK_SET, 0, 100} */
#define FZ_RANDOM 0x3000UL   /* 0x3000..0x8000: fixed pseudo-random bytes */
#define FZ_OUT 0x8000UL      /* 0x8000..0x10000: zeros, for the kernel to write */

/* Descriptor slots a worker sets up (a slot stays closed if the call that
 * makes its kind of descriptor fails, e.g. ENOSYS). */
enum {
	FZ_FD_FILE = 3,  /* /tmp/fz/f0, O_RDWR, 8 KiB */
	FZ_FD_DIR,       /* /tmp/fz */
	FZ_FD_PIPE_R,
	FZ_FD_PIPE_W,
	FZ_FD_NULL,      /* /dev/null */
	FZ_FD_CONSOLE,   /* /dev/console (0, 1, 2 are the console too) */
	FZ_FD_PIDFD,     /* pidfd_open(self) */
	FZ_FD_EVENTFD,
	FZ_FD_MEMFD,
	FZ_FD_EPOLL,
	FZ_FD_TIMERFD,
	FZ_FD_SIGNALFD,
	FZ_FD_SOCK0,     /* socketpair(AF_UNIX, SOCK_STREAM) */
	FZ_FD_SOCK1,
	FZ_FD_INOTIFY,
	FZ_FD_PROC,      /* /proc/self/maps */
	FZ_FD_FILE_RO,   /* /tmp/fz/f0, O_RDONLY|O_APPEND */
	FZ_FD_LAST
};
/* The supervisor's console for trace lines: never an argument. */
#define FZ_TRACE_FD 1000

static const char *const fz_paths[FZ_NPATHS] = {
	"/tmp/fz/f0", "/tmp/fz", "/tmp/fz/new", "/dev/null",
	"/proc/self/maps", ".", "/", "",
	"/tmp/fz/lnk", "/tmp/fz/d1", "/proc/self/fd/3", "/tmp",
	"..", "/tmp/fz/f0/x", "/proc/self/status", "/tmp/fz/d1/f1",
};

static inline long fz_sys(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* splitmix64: the fuzzer's only source of randomness. */
static inline uint64_t fz_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline void fz_put(const char *s)
{
	fz_sys(SYS_write, FZ_TRACE_FD, (long)s, strlen(s), 0, 0, 0);
}

static char *fz_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* The fixed content of A (independent of the seed). */
static void fz_fill(void)
{
	unsigned char *a = (unsigned char *)FZ_A;
	memset(a, 0, FZ_A_LEN);
	for (int i = 0; i < FZ_NPATHS; i++)
		strcpy((char *)a + FZ_PATHS + i * FZ_PATH_STRIDE, fz_paths[i]);
	memset(a + FZ_LONGPATH, 'a', 4200);
	a[FZ_LONGPATH + 4200] = 0;
	uint64_t *iov = (uint64_t *)(a + FZ_IOV);
	for (int i = 0; i < 8; i++) {
		iov[2 * i] = FZ_A + FZ_OUT + i * 256;
		iov[2 * i + 1] = 256;
	}
	int64_t *ts = (int64_t *)(a + FZ_TS);
	int64_t tsv[] = { 0, 0, 0, 1000000, 1, 0, -1, 0, 0, 1000000000 };
	memcpy(ts, tsv, sizeof tsv);
	memset(a + FZ_SIGSET, 0xff, 8);
	for (int i = 0; i < 16; i++) {
		int *p = (int *)(a + FZ_POLLFD + 8 * i);
		p[0] = i;
		p[1] = 5; /* POLLIN | POLLOUT */
	}
	uint64_t *argv = (uint64_t *)(a + FZ_ARGV);
	argv[0] = FZ_A + FZ_PATHS;
	argv[1] = FZ_A + FZ_PATHS + 5 * FZ_PATH_STRIDE;
	argv[2] = 0;
	argv[3] = 0;
	uint64_t *sa = (uint64_t *)(a + FZ_SIGACT);
	sa[0] = 1; /* SIG_IGN */
	sa[4] = 0; /* SIG_DFL */
	uint64_t *it = (uint64_t *)(a + FZ_ITIMER);
	it[3] = 1000;
	uint64_t *rl = (uint64_t *)(a + FZ_RLIM);
	rl[0] = rl[1] = 1024;
	rl[2] = rl[3] = ~0ULL;
	uint64_t *ca = (uint64_t *)(a + FZ_CLONE_ARGS);
	ca[4] = SIGCHLD;
	int16_t *fl = (int16_t *)(a + FZ_FLOCK);
	fl[0] = F_RDLCK;
	fl[1] = SEEK_SET;
	((int64_t *)(a + FZ_FLOCK))[2] = 100;
	uint64_t r = 0x5eed;
	for (unsigned long i = FZ_RANDOM; i < FZ_OUT; i += 8) {
		r = fz_mix(r);
		memcpy(a + i, &r, 8);
	}
	/* A string running into the guard page: EFAULT, not ENAMETOOLONG. */
	memset(a + FZ_A_LEN - 16, 'x', 16);
	memset((void *)FZ_B, 0x41, 4096);
}

static void fz_slot(long fd, int slot)
{
	if (fd < 0 || fd == slot)
		return;
	fz_sys(SYS_dup2, fd, slot, 0, 0, 0, 0);
	fz_sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

static void fz_alarm(int sig)
{
	(void)sig;
}

/* Makes this process a worker: its own process group, SIGALRM (armed
 * before each call) interrupting blocking calls, the scratch mappings,
 * the files and every descriptor slot. */
static void fz_setup(void)
{
	fz_sys(SYS_setpgid, 0, 0, 0, 0, 0, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fz_alarm; /* no SA_RESTART: the call ends with EINTR */
	sigaction(SIGALRM, &sa, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);

	int prot = PROT_READ | PROT_WRITE, fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	mmap((void *)FZ_A, FZ_A_LEN + 0x4000, prot, fl, -1, 0);
	munmap((void *)FZ_HOLE, 0x1000);
	munmap((void *)(FZ_B + 0x1000), 0x1000);
	mprotect((void *)FZ_RO, 0x1000, PROT_READ);
	mmap((void *)FZ_STACKS, FZ_STACK_LEN * FZ_MAX_THREADS, prot, fl, -1, 0);
	fz_fill();

	for (int fd = 3; fd < FZ_FD_LAST + 8; fd++)
		fz_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	fz_sys(SYS_mkdir, (long)"/tmp/fz", 0777, 0, 0, 0, 0);
	fz_sys(SYS_mkdir, (long)"/tmp/fz/d1", 0777, 0, 0, 0, 0);
	long fd = fz_sys(SYS_open, (long)"/tmp/fz/f0", O_RDWR | O_CREAT, 0666, 0, 0, 0);
	if (fd >= 0)
		fz_sys(SYS_pwrite64, fd, FZ_A + FZ_RANDOM, 8192, 0, 0, 0);
	fz_slot(fd, FZ_FD_FILE);
	fz_slot(fz_sys(SYS_open, (long)"/tmp/fz", O_RDONLY | O_DIRECTORY, 0, 0, 0, 0), FZ_FD_DIR);
	int p[2];
	if (fz_sys(SYS_pipe, (long)p, 0, 0, 0, 0, 0) == 0) {
		fz_slot(p[0], FZ_FD_PIPE_R);
		fz_slot(p[1], FZ_FD_PIPE_W);
	}
	fz_slot(fz_sys(SYS_open, (long)"/dev/null", O_RDWR, 0, 0, 0, 0), FZ_FD_NULL);
	fz_slot(fz_sys(SYS_open, (long)"/dev/console", O_RDWR | O_NOCTTY, 0, 0, 0, 0), FZ_FD_CONSOLE);
	fz_slot(fz_sys(SYS_pidfd_open, fz_sys(SYS_getpid, 0, 0, 0, 0, 0, 0), 0, 0, 0, 0, 0), FZ_FD_PIDFD);
	fz_slot(fz_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0), FZ_FD_EVENTFD);
	fz_slot(fz_sys(SYS_memfd_create, (long)"fz", 0, 0, 0, 0, 0), FZ_FD_MEMFD);
	fz_slot(fz_sys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0), FZ_FD_EPOLL);
	fz_slot(fz_sys(SYS_timerfd_create, CLOCK_MONOTONIC, 0, 0, 0, 0, 0), FZ_FD_TIMERFD);
	fz_slot(fz_sys(SYS_signalfd4, -1, FZ_A + FZ_SIGSET + 8, 8, 0, 0, 0), FZ_FD_SIGNALFD);
	if (fz_sys(SYS_socketpair, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, (long)p, 0, 0) == 0) {
		fz_slot(p[0], FZ_FD_SOCK0);
		fz_slot(p[1], FZ_FD_SOCK1);
	}
	fz_slot(fz_sys(SYS_inotify_init1, 0, 0, 0, 0, 0, 0), FZ_FD_INOTIFY);
	fz_slot(fz_sys(SYS_open, (long)"/proc/self/maps", O_RDONLY, 0, 0, 0, 0), FZ_FD_PROC);
	fz_slot(fz_sys(SYS_open, (long)"/tmp/fz/f0", O_RDONLY | O_APPEND, 0, 0, 0, 0), FZ_FD_FILE_RO);
}

/* Arms the one-shot timer that interrupts a call blocking for long. */
static inline void fz_arm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	fz_sys(SYS_setitimer, ITIMER_REAL, (long)&it, 0, 0, 0, 0);
}

static long fz_now_ms(void)
{
	struct timespec ts;
	fz_sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fz_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	fz_sys(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
}

/* Waits up to `budget_ms` for the workers in pids[0..n) (0: done), reaping
 * whatever child ends meanwhile; then SIGKILLs every process but us (we
 * are PID 1: kill(-1) spares us) and reaps until no child is left.
 * Returns how many processes were reaped killed by a signal (*died), or
 * -1 if some process outlived SIGKILL for 10 s (a kernel bug: a hang). */
static int fz_reap(int *pids, int n, long budget_ms, int *died)
{
	long end = fz_now_ms() + budget_ms;
	int live = 0;
	for (int i = 0; i < n; i++)
		live += pids[i] != 0;
	while (live > 0 && fz_now_ms() < end) {
		int st;
		long pid = fz_sys(SYS_wait4, -1, (long)&st, WNOHANG | __WALL, 0, 0, 0);
		if (pid <= 0) {
			fz_sleep_ms(2);
			continue;
		}
		if (WIFSIGNALED(st))
			(*died)++;
		for (int i = 0; i < n; i++)
			if (pids[i] == pid) {
				pids[i] = 0;
				live--;
			}
	}
	fz_sys(SYS_kill, -1, SIGKILL, 0, 0, 0, 0);
	end = fz_now_ms() + 10000;
	for (;;) {
		int st;
		long pid = fz_sys(SYS_wait4, -1, (long)&st, WNOHANG | __WALL, 0, 0, 0);
		if (pid == -ECHILD)
			return 0;
		if (pid > 0) {
			if (WIFSIGNALED(st))
				(*died)++;
			continue;
		}
		if (fz_now_ms() > end)
			return -1;
		fz_sys(SYS_kill, -1, SIGKILL, 0, 0, 0, 0);
		fz_sleep_ms(2);
	}
}

/* One traced call: "<prefix> nr a0 a1 a2 a3 a4 a5\n" in hex on the trace
 * descriptor, as a single write. */
static void fz_trace(const char *prefix, const uint64_t c[7])
{
	char line[256], *p = line;
	while (*prefix)
		*p++ = *prefix++;
	for (int i = 0; i < 7; i++) {
		*p++ = ' ';
		p = fz_hex(p, c[i]);
	}
	*p++ = '\n';
	fz_sys(SYS_write, FZ_TRACE_FD, (long)line, p - line, 0, 0, 0);
}

/* A reproducer's main: a worker makes `calls` after the same set-up as
 * the fuzzer's workers, under the same supervision. calls[k][0] is the
 * thread: 0 the worker's first thread, 1 and 2 threads it starts first
 * (as the fuzzer's workers do), each making its own calls in order. */
static const uint64_t (*fz_calls)[8];
static int fz_ncalls;
static volatile int fz_threads_done;

static void fz_replay_thread(uint64_t t)
{
	for (int i = 0; i < fz_ncalls; i++) {
		const uint64_t *c = fz_calls[i];
		if (c[0] != t)
			continue;
		char pre[32] = "repro: call ", *q = pre + 12;
		q = fz_hex(q, t);
		*q++ = '.';
		q = fz_hex(q, i);
		*q = 0;
		fz_trace(pre, c + 1);
		fz_arm();
		fz_sys(c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
	}
}

static int fz_replay_thread_main(void *arg)
{
	fz_replay_thread((uint64_t)arg);
	__atomic_add_fetch(&fz_threads_done, 1, __ATOMIC_RELAXED);
	return 0;
}

__attribute__((unused)) static int fz_replay(const uint64_t (*calls)[8], int n)
{
	fz_calls = calls;
	fz_ncalls = n;
	fz_sys(SYS_dup2, 1, FZ_TRACE_FD, 0, 0, 0, 0);
	long pid = fz_sys(SYS_fork, 0, 0, 0, 0, 0, 0);
	if (pid == 0) {
		fz_setup();
		int started = 0;
		for (uint64_t t = 1; t < FZ_MAX_THREADS; t++) {
			int used = 0;
			for (int i = 0; i < n; i++)
				used |= calls[i][0] == t;
			if (!used)
				continue;
			unsigned long fl = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
			/* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */
			void *top = (void *)(FZ_STACKS + FZ_STACK_LEN * t);
			if (raw_clone_fn(fl, top, 0, 0, 0, fz_replay_thread_main, (void *)t) > 0)
				started++;
		}
		fz_replay_thread(0);
		long end = fz_now_ms() + 300;
		while (fz_threads_done < started && fz_now_ms() < end)
			fz_sleep_ms(2);
		fz_sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
	}
	int one = (int)pid, died = 0;
	if (fz_reap(&one, 1, 10000, &died) < 0) {
		fz_put("repro: a process outlived SIGKILL\n");
		return 3;
	}
	fz_put("repro: done\n");
	return 0;
}

#endif
