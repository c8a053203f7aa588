/*
 * threads: POSIX threads (musl's pthreads on clone(CLONE_THREAD|...)) --
 * identity, joining, what ends the process, fork/exec from a thread and
 * where process- and thread-directed signals go (no handlers: signals are
 * blocked and taken with sigwaitinfo/sigtimedwait).
 * Modes: argv[1] == "image" = the image a non-main thread exec'ed:
 * reports whether getpid() is the PID in argv[2] and gettid() == getpid()
 * and its thread count, and exits 0; argv[1] == "pexit" = the process
 * whose main thread calls pthread_exit (argv[2], argv[3]: gate and report
 * fds).
 * Checks:
 *   4 threads: each gettid() distinct and != getpid(), getpid() and
 *     getppid() the same as the main thread's; the main thread's gettid()
 *     == getpid(); pthread_join returns each thread's value; a __thread
 *     variable is per thread; threads share the fd table (a pipe written
 *     by a thread is read by main) and the cwd (a thread's chdir);
 *     /proc/self/task lists 5 entries and /proc/self/status says
 *     Threads: 5 while they run, 1 after the joins;
 *   waitpid(tid) and waitpid(tid, __WALL) of a live thread -> ECHILD;
 *   in forked children: exit(42) from a non-main thread ends the process
 *     with 42 while main is blocked in read(); syscall(SYS_exit_group, 43)
 *     from a thread -> 43; a thread's SYS_exit (thread only) leaves the
 *     process running (main then returns 44);
 *   pthread_exit in main while another thread runs (in a freshly exec'ed
 *     image, see below): the process lives on
 *     (waitpid WNOHANG sees nothing after main has gone, the remaining
 *     thread still has the same getpid()) and ends with status 0 when the
 *     last thread returns;
 *   fork from a thread: in the child gettid() == getpid(), the child has
 *     one thread (/proc/self/status), can create and join a thread, and
 *     exits normally;
 *   execve from a non-main thread (main blocked in pthread_join): the
 *     image has the process's PID, gettid() == getpid(), one thread;
 *   signals: kill(getpid(), SIGUSR1) with SIGUSR1 blocked everywhere is
 *     taken by a thread's sigwaitinfo (si_code SI_USER, si_pid == getpid);
 *     tgkill(pid, thread, SIGUSR2) reaches that thread (SI_TKILL);
 *     tgkill to main is pending for main only (the thread's sigpending
 *     does not show it, its sigtimedwait with zero timeout -> EAGAIN, main
 *     takes it); tgkill with a tid of another process -> ESRCH;
 *     tgkill(pid, thread, SIGKILL) and an unblocked SIGTERM to a thread
 *     end the whole process (status SIGKILL / SIGTERM).
 * Mirrors: pthread_create(3), pthread_join(3), pthread_exit(3), exit(3),
 *   exit_group(2), _exit(2), gettid(2), fork(2) ("the child process is
 *   created with a single thread"), execve(2) ("All threads other than
 *   the calling thread are destroyed ... the PID of the calling thread
 *   becomes the PID of the process"), wait(2), tgkill(2), sigwaitinfo(2),
 *   proc(5) (/proc/pid/task, Threads:).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif
#define NT 4

extern char **environ;

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int tgkill_(pid_t tgid, pid_t tid, int sig)
{
	return (int)syscall(SYS_tgkill, tgid, tid, sig);
}

/* "Threads:" from /proc/self/status, -1 if unreadable */
static int status_threads(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : -1;
}

static int task_entries(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void *last_thread(void *a);
static int gate[2], report[2];

/* main leaves with pthread_exit, the other thread carries on */
static int pexit(int argc, char **argv)
{
	if (argc < 4)
		return 1;
	gate[0] = atoi(argv[2]);
	report[1] = atoi(argv[3]);
	pthread_t t;
	pthread_create(&t, NULL, last_thread, (void *)(long)getpid());
	pthread_exit(NULL);
}

static int image(int argc, char **argv)
{
	pid_t want = argc > 2 ? (pid_t)atoi(argv[2]) : -1;
	printf("[image] getpid() is the process's PID: %s, gettid() == getpid(): %s, threads: %d\n",
	       getpid() == want ? "yes" : "no", gettid_() == getpid() ? "yes" : "no",
	       status_threads());
	return 0;
}

/* ---- identity, join values, sharing ---- */

static __thread int tls_var = 7;
static pid_t tids[NT], pids[NT], ppids[NT];
static int tls_seen[NT];
static pthread_barrier_t bar;
static int share_pipe[2];

static void *worker(void *arg)
{
	long i = (long)arg;
	tids[i] = gettid_();
	pids[i] = getpid();
	ppids[i] = getppid();
	tls_var += (int)i;
	tls_seen[i] = tls_var;
	if (i == 0) {
		write(share_pipe[1], "T", 1);
		chdir("/tmp");
	}
	pthread_barrier_wait(&bar); /* all started */
	pthread_barrier_wait(&bar); /* main has looked */
	return (void *)(i * 10 + 1);
}

static void basics(void)
{
	pthread_t th[NT];
	printf("-- identity and joining\n");
	char cwd[4096], now[4096];
	getcwd(cwd, sizeof cwd);
	pipe(share_pipe);
	pthread_barrier_init(&bar, NULL, NT + 1);
	for (long i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i) != 0)
			printf("pthread_create %ld failed\n", i);
	pthread_barrier_wait(&bar);
	printf("while running: /proc/self/task entries %d, Threads: %d\n", task_entries(),
	       status_threads());
	int st;
	pid_t w = waitpid(tids[1], &st, WNOHANG);
	printf("waitpid(thread, WNOHANG): %s\n", w < 0 ? en(errno) : "returned");
	w = waitpid(tids[1], &st, __WALL | WNOHANG);
	printf("waitpid(thread, __WALL|WNOHANG): %s\n", w < 0 ? en(errno) : "returned");
	pthread_barrier_wait(&bar);
	int okret = 0;
	for (long i = 0; i < NT; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		if ((long)ret == i * 10 + 1)
			okret++;
	}
	pid_t me = getpid();
	int distinct = 1, same_pid = 1, same_ppid = 1, tls_ok = 1;
	for (int i = 0; i < NT; i++) {
		if (tids[i] == me || tids[i] <= 0)
			distinct = 0;
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j])
				distinct = 0;
		if (pids[i] != me)
			same_pid = 0;
		if (ppids[i] != getppid())
			same_ppid = 0;
		if (tls_seen[i] != 7 + i)
			tls_ok = 0;
	}
	printf("main: gettid() == getpid(): %s\n", gettid_() == me ? "yes" : "no");
	printf("threads: tids distinct and != getpid(): %s, getpid() same: %s, getppid() same: %s\n",
	       distinct ? "yes" : "no", same_pid ? "yes" : "no", same_ppid ? "yes" : "no");
	printf("pthread_join values right: %d of %d; __thread per thread: %s (main's still %d)\n", okret,
	       NT, tls_ok ? "yes" : "no", tls_var);
	char c = 0;
	read(share_pipe[0], &c, 1);
	getcwd(now, sizeof now);
	printf("fd table shared (main reads the thread's byte): %s; cwd shared (/tmp): %s\n",
	       c == 'T' ? "yes" : "no", strcmp(now, "/tmp") == 0 ? "yes" : "no");
	chdir(cwd);
	close(share_pipe[0]);
	close(share_pipe[1]);
	printf("after the joins: Threads: %d\n", status_threads());
	pthread_barrier_destroy(&bar);
}

/* ---- what ends the process ---- */

static void *exit42(void *a)
{
	(void)a;
	sleep_ms(10);
	exit(42);
}

static void *exit_group43(void *a)
{
	(void)a;
	sleep_ms(10);
	syscall(SYS_exit_group, 43);
	return NULL;
}

static void *thread_exit_only(void *a)
{
	(void)a;
	syscall(SYS_exit, 9); /* just this thread */
	return NULL;
}

static void run_child(const char *what, void *(*fn)(void *), int mode)
{
	int st;
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t t;
		pthread_create(&t, NULL, fn, NULL);
		if (mode == 0) {
			char b;
			read(gate[0], &b, 1); /* blocked here when the thread ends it */
			_exit(1);
		}
		sleep_ms(30);
		_exit(44);
	}
	waitpid(c, &st, 0);
	close(gate[0]);
	close(gate[1]);
	printf("%s: %s\n", what, st_str(st));
}

static void *noop(void *a)
{
	return a;
}

static void *last_thread(void *a)
{
	pid_t leader = (pid_t)(long)a;
	/* pthread_create takes musl's thread-list lock, which the kernel
	   releases (CLONE_CHILD_CLEARTID word) only when main has exited */
	pthread_t t;
	pthread_create(&t, NULL, noop, NULL);
	pthread_join(t, NULL);
	char msg = getpid() == leader ? 'S' : 'D';
	write(report[1], &msg, 1);
	char b;
	read(gate[0], &b, 1);
	return NULL;
}

static char self[4096];

static void ends(void)
{
	int st;
	printf("-- what ends the process\n");
	run_child("exit(42) from a thread, main blocked in read()", exit42, 0);
	run_child("SYS_exit_group(43) from a thread", exit_group43, 0);
	run_child("SYS_exit from a thread, main returns 44", thread_exit_only, 1);

	/* In an exec'ed image: musl's fork does not re-register the thread
	   list lock with set_tid_address, so a forked child's main thread
	   cannot pthread_exit while others run. */
	pipe(gate);
	pipe(report);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char g[16], r[16];
		snprintf(g, sizeof g, "%d", gate[0]);
		snprintf(r, sizeof r, "%d", report[1]);
		char *av[] = {"threads", "pexit", g, r, NULL};
		execve(self, av, environ);
		_exit(127);
	}
	char msg = 0;
	read(report[0], &msg, 1);
	sleep_ms(20);
	pid_t w = waitpid(c, &st, WNOHANG);
	printf("main called pthread_exit: remaining thread's getpid() unchanged: %s, "
	       "waitpid(WNOHANG) then: %s\n",
	       msg == 'S' ? "yes" : "no", w == 0 ? "0 (still running)" : w < 0 ? en(errno) : "reaped");
	write(gate[1], "g", 1);
	if (w == 0)
		w = waitpid(c, &st, 0);
	printf("after the last thread returns: %s\n", st_str(st));
	close(gate[0]);
	close(gate[1]);
	close(report[0]);
	close(report[1]);
}

/* ---- fork and exec from a thread ---- */

static void *forker(void *a)
{
	(void)a;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int one = gettid_() == getpid();
		int threads = status_threads();
		pthread_t t;
		void *ret = NULL;
		int ok = pthread_create(&t, NULL, noop, (void *)5L) == 0 && pthread_join(t, &ret) == 0 &&
			 ret == (void *)5L;
		printf("[child of a thread] gettid() == getpid(): %s, threads: %d, new thread "
		       "created and joined: %s\n",
		       one ? "yes" : "no", threads, ok ? "yes" : "no");
		exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	return (void *)(long)st;
}

static void *execer(void *a)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", getpid());
	char *av[] = {"threads", "image", pid, NULL};
	(void)a;
	execve(self, av, environ);
	printf("execve: %s\n", en(errno));
	exit(1);
}

static void fork_exec(void)
{
	printf("-- fork and execve from a thread\n");
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, &ret);
	printf("fork from a thread: %s\n", st_str((int)(long)ret));

	int st;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t t2;
		pthread_create(&t2, NULL, execer, NULL);
		pthread_join(t2, NULL);
		_exit(1); /* not reached */
	}
	waitpid(c, &st, 0);
	printf("execve from a non-main thread: %s\n", st_str(st));
}

/* ---- signals ---- */

static volatile pid_t sig_tid;
static volatile int sig_phase;
static int sig_results[8];

static void *sig_thread(void *a)
{
	(void)a;
	sigset_t s;
	siginfo_t si;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sig_tid = gettid_();
	int r = sigwaitinfo(&s, &si);
	sig_results[0] = r == SIGUSR1;
	sig_results[1] = si.si_code == SI_USER;
	sig_results[2] = si.si_pid == getpid();
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	r = sigwaitinfo(&s, &si);
	sig_results[3] = r == SIGUSR2 && si.si_code == SI_TKILL;
	sig_phase = 1;
	while (sig_phase != 2)
		sleep_ms(1);
	sigset_t p;
	sigpending(&p);
	sig_results[4] = sigismember(&p, SIGUSR2);
	struct timespec zero = {0, 0};
	r = sigtimedwait(&s, &si, &zero);
	sig_results[5] = r < 0 ? errno : 0;
	return NULL;
}

static void *blocked_forever(void *a)
{
	(void)a;
	sig_tid = gettid_();
	char b;
	read(gate[0], &b, 1);
	return NULL;
}

static void fatal_to_thread(const char *what, int sig, int unblock)
{
	int st;
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (unblock) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, sig);
			sigprocmask(SIG_UNBLOCK, &s, NULL);
		}
		sig_tid = 0;
		pthread_t t;
		pthread_create(&t, NULL, blocked_forever, NULL);
		while (sig_tid == 0)
			sleep_ms(1);
		tgkill_(getpid(), sig_tid, sig);
		char b;
		read(gate[0], &b, 1);
		_exit(1);
	}
	waitpid(c, &st, 0);
	close(gate[0]);
	close(gate[1]);
	printf("%s: %s\n", what, st_str(st));
}

static void signals(void)
{
	printf("-- signals without handlers\n");
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, &old);
	pthread_t t;
	sig_tid = 0;
	sig_phase = 0;
	pthread_create(&t, NULL, sig_thread, NULL);
	while (sig_tid == 0)
		sleep_ms(1);
	kill(getpid(), SIGUSR1);
	tgkill_(getpid(), sig_tid, SIGUSR2);
	while (sig_phase != 1)
		sleep_ms(1);
	tgkill_(getpid(), gettid_(), SIGUSR2); /* to main only */
	sig_phase = 2;
	pthread_join(t, NULL);
	printf("kill(getpid(), SIGUSR1) taken by the thread's sigwaitinfo: %s, si_code SI_USER: %s, "
	       "si_pid == getpid(): %s\n",
	       sig_results[0] ? "yes" : "no", sig_results[1] ? "yes" : "no",
	       sig_results[2] ? "yes" : "no");
	printf("tgkill(pid, thread, SIGUSR2) reaches it with SI_TKILL: %s\n",
	       sig_results[3] ? "yes" : "no");
	printf("tgkill(pid, main, SIGUSR2): pending in the thread: %s, its sigtimedwait(0): %s\n",
	       sig_results[4] ? "yes" : "no", en(sig_results[5]));
	sigset_t p;
	sigpending(&p);
	siginfo_t si;
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	int pend = sigismember(&p, SIGUSR2);
	int r = sigwaitinfo(&only2, &si);
	printf("  pending in main: %s, main's sigwaitinfo: %s (SI_TKILL: %s)\n", pend ? "yes" : "no",
	       r == SIGUSR2 ? "SIGUSR2" : en(errno), si.si_code == SI_TKILL ? "yes" : "no");
	int e = tgkill_(getpid(), 999999, SIGUSR2) < 0 ? errno : 0;
	printf("tgkill(pid, a tid that is no thread of the process, SIGUSR2): %s\n", en(e));
	fatal_to_thread("tgkill(pid, thread, SIGKILL)", SIGKILL, 0);
	fatal_to_thread("tgkill(pid, thread, SIGTERM) unblocked", SIGTERM, 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "image") == 0)
		return image(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "pexit") == 0)
		return pexit(argc, argv);
	ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sn < 0)
		return 1;
	self[sn] = 0;
	basics();
	ends();
	fork_exec();
	signals();
	int st;
	pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
	printf("-- children left: %s\n", w < 0 ? en(errno) : "some");
	return 0;
}
