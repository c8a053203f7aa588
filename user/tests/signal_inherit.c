/*
 * signal_inherit: what fork, clone and execve do to signal state.
 * Checks:
 *   fork: the child has the parent's handlers (same handler, flags and
 *     sa_mask), ignored signals, blocked mask and alternate signal stack,
 *     but no pending signal; a signal raised in the child runs the
 *     inherited handler there;
 *   clone(CLONE_VM) without CLONE_VFORK: the child starts without an
 *     alternate signal stack; vfork (CLONE_VM|CLONE_VFORK) keeps it;
 *   execve: caught signals go back to SIG_DFL with flags and mask
 *     cleared, ignored ones stay ignored, the blocked mask and pending
 *     signals stay, the alternate signal stack is gone.
 * Mirrors: fork(2) ("The child's set of pending signals is initially
 *   empty"), sigaltstack(2) (CLONE_VM, execve), execve(2) (signal
 *   dispositions), signal(7) "Signal mask and pending signals".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static char altstack[65536];
static volatile int got;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)si;
	(void)ctx;
	got = sig;
}

static void show_state(const char *who, int expect_handler)
{
	struct sigaction a1, a2, aterm;
	sigaction(SIGUSR1, NULL, &a1);
	sigaction(SIGUSR2, NULL, &a2);
	sigaction(SIGTERM, NULL, &aterm);
	sigset_t m, p;
	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	stack_t ss;
	syscall(SYS_sigaltstack, NULL, &ss);
	int h1 = a1.sa_sigaction == handler;
	printf("%s: USR1 %s", who, h1 ? "our handler" : a1.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
	printf(" (SA_SIGINFO %s, SA_RESTART %s, SA_ONSTACK %s, sa_mask has USR2 %s)", yesno(a1.sa_flags & SA_SIGINFO),
	       yesno(a1.sa_flags & SA_RESTART), yesno(a1.sa_flags & SA_ONSTACK), yesno(sigismember(&a1.sa_mask, SIGUSR2)));
	printf("; USR2 %s; TERM %s\n", a2.sa_handler == SIG_IGN ? "SIG_IGN" : "not ignored",
	       aterm.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
	printf("%s: blocked TERM %s, CHLD %s; pending TERM %s, HUP %s; altstack %s (flags %d, size %zu)\n", who,
	       yesno(sigismember(&m, SIGTERM)), yesno(sigismember(&m, SIGCHLD)), yesno(sigismember(&p, SIGTERM)),
	       yesno(sigismember(&p, SIGHUP)), ss.ss_sp == altstack ? "ours" : ss.ss_sp ? "other" : "none", ss.ss_flags,
	       ss.ss_size);
	(void)expect_handler;
}

static int clone_child(void *arg)
{
	(void)arg;
	stack_t ss;
	syscall(SYS_sigaltstack, NULL, &ss);
	/* The exit status reports what it saw. */
	return ss.ss_flags == SS_DISABLE && ss.ss_size == 0 ? 3 : 4;
}

static volatile int vfork_flags = -1;
static volatile size_t vfork_size;

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0) {
		show_state("after execve", 0);
		return 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, NULL);
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	syscall(SYS_sigaltstack, &ss, NULL);

	pid_t w = fork();
	if (w == 0) {
		/* The worker: pending TERM of its own, then a fork. */
		raise(SIGTERM);
		show_state("parent", 1);
		pid_t c = fork();
		if (c == 0) {
			show_state("fork child", 1);
			raise(SIGUSR1);
			printf("fork child: inherited handler ran: %s\n", yesno(got == SIGUSR1));
			/* Pending signals survive execve: a SIGHUP, blocked. */
			sigset_t h;
			sigemptyset(&h);
			sigaddset(&h, SIGHUP);
			sigprocmask(SIG_BLOCK, &h, NULL);
			raise(SIGHUP);
			char self[4096];
			ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
			if (n < 0)
				_exit(9);
			self[n] = 0;
			execl(self, argv[0], "exec-check", (char *)NULL);
			_exit(8);
		}
		int st;
		waitpid(c, &st, 0);
		printf("fork child exited %d\n", WEXITSTATUS(st));

		/* clone(CLONE_VM): its own, empty alternate stack. */
		char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pid_t t = clone(clone_child, stack + 65536, CLONE_VM | SIGCHLD, NULL);
		waitpid(t, &st, 0);
		printf("clone(CLONE_VM) child: no alternate stack %s\n", yesno(WEXITSTATUS(st) == 3));

		/* vfork: the same memory, the alternate stack kept. */
		pid_t v = vfork();
		if (v == 0) {
			stack_t o;
			syscall(SYS_sigaltstack, NULL, &o);
			vfork_flags = o.ss_flags;
			vfork_size = o.ss_size;
			_exit(0);
		}
		waitpid(v, &st, 0);
		printf("vfork child: alternate stack kept %s (flags %d, size %zu)\n",
		       yesno(vfork_flags == 0 && vfork_size == sizeof altstack), vfork_flags, vfork_size);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(w, &st, 0);
	printf("worker exited %d\n", WEXITSTATUS(st));
	return 0;
}
