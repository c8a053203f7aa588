// linux-ref
/*
 * trace_filter: the `filter` file of an event (Linux:
 * kernel/trace/trace_events_filter.c): a record is kept only when the
 * event's filter is true of it. The reference is Debian's Linux running
 * this program (trace_filter.linux), PIDs normalised.
 * Checks:
 *   `none` before any filter;
 *   `common_pid == ME && child_pid > FIRST` on sched_process_fork: of
 *     three forks, the first (child_pid = FIRST) is dropped, the other two
 *     kept; a grandchild's fork (another common_pid) is dropped;
 *   `||`, parentheses and a string field with `~` (a glob);
 *   the text reads back as written;
 *   a filter naming no field of the event, or with bad syntax: EINVAL;
 *   `0` removes the filter.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "testlib.h"
#include "tracelib.h"

#define EV T "events/sched/sched_process_fork/"

static char buf[1 << 20];

static pid_t child(int grandchild)
{
	pid_t c = fork();
	if (c == 0) {
		if (grandchild && fork() == 0)
			_exit(0);
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return c;
}

static void show_filter(const char *title)
{
	trace_read(EV "filter", buf, sizeof buf);
	printf("%s: %s", title, buf);
}

static void count(const char *title)
{
	trace_read(T "trace", buf, sizeof buf);
	printf("%s: %d fork(s) kept\n", title, trace_count(buf, ": sched_process_fork: "));
	trace_write(T "trace", O_TRUNC, "");
}

int main(void)
{
	char f[128];
	show_filter("at first");
	trace_write(T "set_event", O_TRUNC, "sched:sched_process_fork");
	trace_write(T "trace", O_TRUNC, "");
	pid_t first = child(0);

	snprintf(f, sizeof f, "common_pid == %d && child_pid > %d", getpid(), first);
	printf("write: %s\n", trace_write(EV "filter", O_TRUNC, f) == (long)strlen(f) ? "all taken" : "short");
	snprintf(f, sizeof f, "common_pid == %d && child_pid > %d\n", getpid(), first);
	trace_read(EV "filter", buf, sizeof buf);
	printf("reads back as written: %s\n", strcmp(buf, f) == 0 ? "yes" : buf);
	trace_write(T "trace", O_TRUNC, "");
	child(0);
	child(1);
	count("> first, mine only (one has a grandchild)");

	snprintf(f, sizeof f, "(child_pid == %d || child_pid == 1) && child_comm ~ \"trace_*\"", first);
	trace_write(EV "filter", O_TRUNC, f);
	child(0);
	count("== first (gone)");

	printf("unknown field: %s\n", en(-trace_write(EV "filter", O_TRUNC, "nonesuch == 1")));
	printf("bad syntax: %s\n", en(-trace_write(EV "filter", O_TRUNC, "child_pid ==")));
	printf("glob on a number: %s\n", en(-trace_write(EV "filter", O_TRUNC, "child_pid ~ 3")));
	printf("0: %ld\n", trace_write(EV "filter", O_TRUNC, "0"));
	show_filter("after 0");
	child(0);
	count("unfiltered");
	trace_write(T "set_event", O_TRUNC, "");
	return 0;
}
