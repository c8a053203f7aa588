// linux-ref
/*
 * trace_files: tracefs's control files at /sys/kernel/tracing, used as a
 * program uses them. The reference is Debian's Linux running it (the host
 * runs tests as a user without tracefs; trace_files.linux is Linux's
 * output, normalised: PIDs by first appearance, time stamps).
 * Checks:
 *   set_event: a name, `sys:*`, `!name`, appending with O_APPEND (`>>`),
 *     clearing with O_TRUNC, EINVAL for an unknown event;
 *   the enable files: 0, 1 and X (some of a system's events on), EINVAL
 *     for 2;
 *   events/sched/sched_process_fork/format, its ID the same as `id`;
 *   trace_marker: a `tracing_mark_write: TEXT` line, with the `trace`
 *     header byte for byte; `trace` opened with O_TRUNC empties it;
 *   tracing_on 0: nothing is recorded, trace_marker gives EBADF;
 *   set_event_pid: only the listed PIDs' events;
 *   trace_pipe: EAGAIN when empty and non-blocking, poll() waking when a
 *     child writes a marker, a blocking read waiting for one;
 *   buffer_size_kb: 4 KiB reads back as two pages (7), and 1000 markers
 *     overflow it: trace_pipe's first line is CPU:0 [LOST N EVENTS] and N
 *     plus the lines left is 1000; the header counts them as Linux does.
 * Mirrors: Documentation/trace/ftrace.rst, events.rst.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "testlib.h"
#include "tracelib.h"

static char buf[1 << 20];

static void show(const char *title, const char *path)
{
	long n = trace_read(path, buf, sizeof buf);
	if (n < 0) {
		printf("%s: %s\n", title, en(-n));
		return;
	}
	printf("%s: %s", title, n ? buf : "(empty)\n");
}

static void child_marker(int delay_ms, const char *text)
{
	if (fork() == 0) {
		usleep(delay_ms * 1000);
		trace_write(T "trace_marker", 0, text);
		_exit(0);
	}
}

static void reap(void)
{
	while (wait(NULL) > 0)
		;
}

int main(void)
{
	/* set_event syntax. */
	printf("write sched_process_fork: %ld\n", trace_write(T "set_event", O_TRUNC, "sched:sched_process_fork"));
	show("set_event", T "set_event");
	trace_write(T "set_event", O_APPEND, "task:*");
	show("after >> task:*", T "set_event");
	trace_write(T "set_event", O_APPEND, "!task:task_rename");
	show("after >> !task:task_rename", T "set_event");
	printf("unknown event: %s\n", en(-trace_write(T "set_event", O_APPEND, "sched:nonesuch")));
	trace_write(T "set_event", O_TRUNC, "sched:*");
	trace_read(T "set_event", buf, sizeof buf);
	int nset = trace_count(buf, "\n");
	DIR *d = opendir(T "events/sched");
	int events = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		events += e->d_type == DT_DIR && e->d_name[0] != '.';
	if (d)
		closedir(d);
	printf("sched:* enables every event of events/sched: %s\n", nset == events && nset > 7 ? "yes" : "no");
	trace_write(T "set_event", O_TRUNC, "");
	show("truncated", T "set_event");

	/* enable files. */
	trace_write(T "events/sched/sched_switch/enable", 0, "1\n");
	show("events/enable", T "events/enable");
	show("events/sched/enable", T "events/sched/enable");
	show("events/sched/sched_switch/enable", T "events/sched/sched_switch/enable");
	show("events/task/enable", T "events/task/enable");
	trace_write(T "events/task/enable", 0, "1");
	show("events/task/task_rename/enable after task/enable 1", T "events/task/task_rename/enable");
	printf("enable 2: %s\n", en(-trace_write(T "events/enable", 0, "2")));
	trace_write(T "events/enable", 0, "0");
	show("events/enable after 0", T "events/enable");

	/* format and id. */
	char id[16];
	trace_read(T "events/sched/sched_process_fork/id", id, sizeof id);
	trace_read(T "events/sched/sched_process_fork/format", buf, sizeof buf);
	char want[32];
	snprintf(want, sizeof want, "\nID: %s", id);
	printf("format's ID is id's: %s\n", strstr(buf, want) ? "yes" : "no");
	char *idl = strstr(buf, "\nID: ");
	char *rest = idl ? strchr(idl + 1, '\n') : NULL;
	if (idl && rest)
		printf("%.*s\nID: N%s", (int)(idl - buf), buf, rest);

	/* The output names a task by the comm saved while some event was on,
	 * at a context switch: sleep once with one on, so that this task's
	 * comm is known below, as it would be on Linux by chance. */
	trace_write(T "events/sched/sched_switch/enable", 0, "1");
	usleep(1000);
	trace_write(T "events/sched/sched_switch/enable", 0, "0");

	/* trace_marker, and trace's header. */
	trace_write(T "trace", O_TRUNC, "");
	printf("marker write: %ld\n", trace_write(T "trace_marker", 0, "hello"));
	trace_read(T "trace", buf, sizeof buf);
	trace_print_norm(buf);
	trace_write(T "trace", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);
	printf("after O_TRUNC: %d marker line(s)\n", trace_count(buf, "tracing_mark_write"));

	/* tracing_on. */
	trace_write(T "events/sched/sched_process_fork/enable", 0, "1");
	trace_write(T "tracing_on", 0, "0");
	show("tracing_on", T "tracing_on");
	printf("marker while off: %s\n", en(-trace_write(T "trace_marker", 0, "lost")));
	if (fork() == 0)
		_exit(0);
	reap();
	trace_write(T "tracing_on", 0, "1");
	trace_read(T "trace", buf, sizeof buf);
	printf("while off: %d fork(s) recorded\n", trace_count(buf, "sched_process_fork:"));

	/* set_event_pid: sched_process_exit fires in the exiting child. */
	trace_write(T "events/sched/sched_process_exit/enable", 0, "1");
	char me[16];
	snprintf(me, sizeof me, "%d", getpid());
	trace_write(T "set_event_pid", O_TRUNC, me);
	trace_read(T "set_event_pid", buf, sizeof buf);
	printf("set_event_pid: pid=%s", buf);
	for (int i = 0; i < 2; i++)
		if (fork() == 0)
			_exit(0);
	reap();
	trace_read(T "trace", buf, sizeof buf);
	printf("filtered to me: %d fork(s), %d exit(s)\n", trace_count(buf, "sched_process_fork:"),
	       trace_count(buf, "sched_process_exit:"));
	trace_write(T "set_event_pid", O_TRUNC, "");
	trace_write(T "trace", O_TRUNC, "");
	if (fork() == 0)
		_exit(0);
	reap();
	trace_read(T "trace", buf, sizeof buf);
	printf("unfiltered: %d fork(s), %d exit(s)\n", trace_count(buf, "sched_process_fork:"),
	       trace_count(buf, "sched_process_exit:"));
	trace_write(T "set_event", O_TRUNC, "");
	trace_write(T "trace", O_TRUNC, "");

	/* trace_pipe. */
	int fd = open(T "trace_pipe", O_RDONLY | O_NONBLOCK);
	long r = read(fd, buf, sizeof buf);
	printf("empty trace_pipe, non-blocking: %s\n", r < 0 ? en(errno) : "data");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	printf("poll at once: %d\n", poll(&p, 1, 0));
	child_marker(50, "from child");
	int pr = poll(&p, 1, 5000);
	printf("poll: %d, POLLIN %s\n", pr, p.revents & POLLIN ? "set" : "clear");
	r = read(fd, buf, 4096);
	buf[r > 0 ? r : 0] = 0;
	trace_print_norm(buf);
	close(fd);
	reap();
	fd = open(T "trace_pipe", O_RDONLY);
	child_marker(50, "second");
	r = read(fd, buf, 4096);
	buf[r > 0 ? r : 0] = 0;
	printf("blocking read:\n");
	trace_print_norm(buf);
	close(fd);
	reap();

	/* buffer_size_kb and overwriting. */
	trace_write(T "buffer_size_kb", 0, "4");
	show("buffer_size_kb after 4", T "buffer_size_kb");
	printf("buffer_size_kb 0: %s\n", en(-trace_write(T "buffer_size_kb", 0, "0")));
	trace_write(T "trace", O_TRUNC, "");
	for (int i = 0; i < 1000; i++) {
		char m[8];
		snprintf(m, sizeof m, "m%03d", i);
		trace_write(T "trace_marker", 0, m);
	}
	trace_read(T "trace", buf, sizeof buf);
	long kept = -1, written = -1;
	char *h = strstr(buf, "entries-in-buffer/entries-written: ");
	if (h)
		sscanf(h, "entries-in-buffer/entries-written: %ld/%ld", &kept, &written);
	printf("written %ld, kept fewer: %s, kept = lines: %s\n", written, kept > 0 && kept < 1000 ? "yes" : "no",
	       trace_count(buf, "tracing_mark_write") == kept ? "yes" : "no");
	fd = open(T "trace_pipe", O_RDONLY | O_NONBLOCK);
	long lost = -1, lines = 0, total = 0;
	while ((r = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
		total += r;
	buf[total] = 0;
	close(fd);
	if (sscanf(buf, "CPU:0 [LOST %ld EVENTS]\n", &lost) == 1)
		printf("first line: CPU:0 [LOST n EVENTS]\n");
	lines = trace_count(buf, "tracing_mark_write");
	printf("lost + read = %ld, lost = written - kept: %s\n", lost + lines, lost == written - kept ? "yes" : "no");
	printf("last read: %s\n", strstr(buf, "tracing_mark_write: m999\n") ? "m999" : "not m999");
	trace_write(T "buffer_size_kb", 0, "1408");
	show("buffer_size_kb after 1408", T "buffer_size_kb");
	return 0;
}
