/*
 * rt_queue: real-time signals queue, one per sending, each with its own
 * siginfo, in order; standard signals do not. RLIMIT_SIGPENDING bounds
 * the queue per user: past it sigqueue and tgkill of a real-time signal
 * fail with EAGAIN, kill(2) still makes it pending (without details),
 * and standard signals are never refused.
 * Mirrors: signal(7) ("Real-time signals": queued, delivered lowest
 *   first, in order; "multiple instances ... queued"), sigqueue(3)
 *   (EAGAIN), getrlimit(2) (RLIMIT_SIGPENDING).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int got_sig[64], got_n;
static long got_val[64];
static int got_code[64];

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (got_n < 64) {
		got_sig[got_n] = sig;
		got_code[got_n] = si->si_code;
		got_val[got_n] = (long)si->si_value.sival_ptr;
		got_n++;
	}
}

static void catch(int sig)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static void report(const char *what)
{
	printf("%s: %d deliveries:", what, got_n);
	for (int i = 0; i < got_n; i++)
		printf(" [%s%d code %d value %#lx]", got_sig[i] >= SIGRTMIN ? "RTMIN+" : "", got_sig[i] >= SIGRTMIN ? got_sig[i] - SIGRTMIN : got_sig[i], got_code[i], got_val[i]);
	printf("\n");
	got_n = 0;
}

static long sq(int sig, long v)
{
	union sigval sv;
	sv.sival_ptr = (void *)v;
	return sigqueue(getpid(), sig, sv);
}

static void queued_in_order(void)
{
	int a = SIGRTMIN + 1, b = SIGRTMIN + 2;
	catch(a);
	catch(b);
	catch(SIGUSR1);
	block(a, SIG_BLOCK);
	block(b, SIG_BLOCK);
	block(SIGUSR1, SIG_BLOCK);
	sq(b, 0x20);
	sq(a, 1);
	sq(a, 0x1122334455667788L);
	sq(a, 3);
	sq(b, 0x21);
	sq(SIGUSR1, 7);
	sq(SIGUSR1, 8);
	kill(getpid(), SIGUSR1);
	sigset_t p;
	sigpending(&p);
	printf("pending: RTMIN+1 %d RTMIN+2 %d USR1 %d\n", sigismember(&p, a), sigismember(&p, b), sigismember(&p, SIGUSR1));
	/* sigwaitinfo takes one at a time, oldest first. */
	siginfo_t si;
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, a);
	int s = sigwaitinfo(&w, &si);
	printf("sigwaitinfo: RTMIN+%d value %#lx\n", s - SIGRTMIN, (long)si.si_value.sival_ptr);
	sigpending(&p);
	printf("still pending RTMIN+1: %d\n", sigismember(&p, a));
	block(SIGUSR1, SIG_UNBLOCK);
	block(a, SIG_UNBLOCK);
	block(b, SIG_UNBLOCK);
	report("unblocked");
}

static void limit_child(void)
{
	struct rlimit r = {4, 4};
	printf("setrlimit(SIGPENDING, 4): %s\n", rc_str(setrlimit(RLIMIT_SIGPENDING, &r)));
	if (setgid(23456) || setuid(23456)) {
		printf("setuid: %s\n", en(errno));
		return;
	}
	int a = SIGRTMIN;
	catch(a);
	catch(SIGUSR2);
	block(a, SIG_BLOCK);
	block(SIGUSR2, SIG_BLOCK);
	for (int i = 1; i <= 5; i++)
		printf("sigqueue #%d: %s\n", i, rc_str(sq(a, i)));
	printf("tgkill: %s\n", rc_str(syscall(SYS_tgkill, getpid(), gettid(), a)));
	printf("kill: %s\n", rc_str(kill(getpid(), a)));
	printf("sigqueue SIGUSR2: %s\n", rc_str(sq(SIGUSR2, 9)));
	printf("kill SIGUSR2: %s\n", rc_str(kill(getpid(), SIGUSR2)));
	block(SIGUSR2, SIG_UNBLOCK);
	block(a, SIG_UNBLOCK);
	report("unblocked under the limit");
	/* Delivered entries free their charge. */
	block(a, SIG_BLOCK);
	printf("sigqueue after delivery: %s\n", rc_str(sq(a, 42)));
	block(a, SIG_UNBLOCK);
	report("again");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	queued_in_order();
	pid_t c = fork();
	if (c == 0) {
		limit_child();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child: %s\n", st_str(st));
	printf("done\n");
	return 0;
}
