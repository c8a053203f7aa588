// linux-ref
/*
 * trace_misc: the signal, raw_syscalls, exceptions and scheduler events
 * of known actions of this process. The reference is Debian's Linux
 * running it (the host runs tests without tracefs; trace_misc.linux is
 * Linux's output, normalised); addresses are compared, not printed.
 * Checks:
 *   kill(getpid(), SIGUSR1) with a handler: signal_generate (sig 10, code
 *     SI_USER, this process, group 1, result 0 delivered) and
 *     signal_deliver with the handler's address and SA_RESTORER;
 *   a blocked SIGUSR2 sent twice: the second is res=2 (already pending);
 *   getuid(): sys_enter NR 102 and sys_exit NR 102 = 0;
 *   a write to a fresh page: page_fault_user at its address, error code
 *     0x6 (user write to a page not present);
 *   a 20 ms sleep: sched_switch from this task (state S) to swapper/0,
 *     then a sched_wakeup of it;
 *   set_event takes one word per write (the first write is short).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "testlib.h"
#include "tracelib.h"

static char buf[1 << 20];
static volatile int got;

static void on_usr1(int s)
{
	got = s;
}

/* Print the text after ": EVENT: " of each line with it, `hide` (a hex
 * number) replaced by NAME. */
static void show(const char *event, const char *must, unsigned long hide, const char *name)
{
	char key[64], hex[32];
	snprintf(key, sizeof key, ": %s: ", event);
	snprintf(hex, sizeof hex, "%lx", hide);
	int n = 0;
	for (char *l = buf; (l = strstr(l, key)); l += strlen(key)) {
		char *from = l + strlen(key), *end = strchr(from, '\n');
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)(end ? end - from : (long)strlen(from)), from);
		/* The instruction pointer depends on the build: IP. */
		char *ip = strstr(line, " ip=0x");
		if (ip) {
			char *sp = strchr(ip + 1, ' ');
			memmove(ip + 4, "IP", 2);
			memmove(ip + 6, sp ? sp : "", strlen(sp ? sp : "") + 1);
		}
		if (must && !strstr(line, must))
			continue;
		char *h = hide ? strstr(line, hex) : NULL;
		if (h)
			printf("  %s: %.*s%s%s\n", event, (int)(h - line), line, name, h + strlen(hex));
		else
			printf("  %s: %s\n", event, line);
		n++;
	}
	if (!n)
		printf("  %s: none\n", event);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	trace_write(T "set_event", O_TRUNC, "signal:*");
	trace_write(T "trace", O_TRUNC, "");
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	trace_write(T "set_event", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);
	printf("handler ran: %d\n", got);
	show("signal_generate", NULL, 0, NULL);
	show("signal_deliver", NULL, (unsigned long)(uintptr_t)on_usr1, "HANDLER");

	trace_write(T "trace", O_TRUNC, "");
	trace_write(T "set_event", O_TRUNC, "raw_syscalls:*");
	long uid = syscall(SYS_getuid);
	trace_write(T "set_event", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);
	printf("getuid: %ld\n", uid);
	show("sys_exit", "NR 102 ", 0, NULL);
	printf("  sys_enter NR 102: %s\n", strstr(buf, ": sys_enter: NR 102 (") ? "yes" : "no");

	trace_write(T "trace", O_TRUNC, "");
	trace_write(T "set_event", O_TRUNC, "exceptions:page_fault_user");
	page[0] = 1;
	trace_write(T "set_event", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);
	char want[64];
	snprintf(want, sizeof want, "address=%p ", (void *)page);
	show("page_fault_user", want, (unsigned long)(uintptr_t)page, "PAGE");

	trace_write(T "trace", O_TRUNC, "");
	/* One word per write, as Linux's set_event takes them. */
	long w1 = trace_write(T "set_event", O_TRUNC, "sched:sched_switch sched:sched_wakeup");
	long w2 = trace_write(T "set_event", O_APPEND, "sched:sched_wakeup");
	usleep(20000);
	trace_write(T "set_event", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);
	printf("set_event writes: %ld of 37, then %ld\n", w1, w2);
	/* Only the sleep's switch: Linux may also switch to a kworker (R+) or
	 * wait for RCU in the set_event write (D). */
	char me[64];
	snprintf(me, sizeof me, "prev_pid=%d prev_prio=120 prev_state=S ", getpid());
	show("sched_switch", me, 0, NULL);
	/* The sleep's wake-up: the first after that switch (Linux may wake
	 * the task again after a wait in the set_event write). */
	char *sw = strstr(buf, me), *wake;
	snprintf(me, sizeof me, "sched_wakeup: comm=trace_misc pid=%d ", getpid());
	if (sw && (wake = strstr(sw, me))) {
		char *end = strchr(wake, '\n');
		if (end)
			end[1] = 0;
		memmove(buf, wake - 2, strlen(wake - 2) + 1);
	}
	snprintf(me, sizeof me, "pid=%d ", getpid());
	show("sched_wakeup", me, 0, NULL);
	return 0;
}
