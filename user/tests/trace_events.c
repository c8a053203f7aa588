// linux-ref
// busybox
/*
 * trace_events: the sched and task events of a known program, turned on
 * from busybox sh through tracefs as a person would (`echo 1 >
 * /sys/kernel/tracing/events/sched/enable`). The reference is Debian's
 * Linux running it (the host runs tests without tracefs;
 * trace_events.linux is its output); PIDs are printed as names, time
 * stamps not at all.
 * Checks, for a fork()ed child that execs /bin/true and a vfork()ed one
 * that exits 3, each waited for by PID:
 *   one sched_process_fork per fork, from this process, with the child's
 *     PID; task_newtask with the clone flags in hex (0 for fork, 4100 =
 *     CLONE_VM|CLONE_VFORK for vfork); sched_wakeup_new of the child;
 *   sched_process_exec with the file name and the child's PID, after a
 *     task_rename from the old comm to `true`;
 *   sched_process_exit in each child, sched_process_wait with its PID;
 *   tracing_on 0 then stops recording: a fork afterwards is not seen;
 *   the files' modes (root only), EACCES for another user;
 *   `umount`, then `mount -t tracefs nodev` on /sys/kernel/tracing and on
 *     a second directory show the same files, listed in /proc/mounts.
 * Mirrors: Documentation/trace/events.rst, include/trace/events/sched.h.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>

#include "testlib.h"
#include "tracelib.h"

static char buf[1 << 20];

/* The lines of `event` mentioning `who` ("pid=N" and the like). */
static void lines(const char *event, const char *field, int pid, const char *label)
{
	char key[64], ev[64];
	snprintf(key, sizeof key, "%s=%d", field, pid);
	snprintf(ev, sizeof ev, ": %s: ", event);
	int n = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *end = strchr(l, '\n');
		int len = end ? end - l : (int)strlen(l);
		char line[512];
		snprintf(line, sizeof line, "%.*s", len, l);
		char *e = strstr(line, ev);
		if (!e || !strstr(e, key))
			continue;
		/* What follows the event name, PIDs named. */
		char out[512] = "", *o = out, *s = e + strlen(ev);
		while (*s) {
			char num[16];
			int k = 0;
			if (*s == '=' && s[1] >= '0' && s[1] <= '9') {
				*o++ = *s++;
				while (*s >= '0' && *s <= '9' && k < 15)
					num[k++] = *s++;
				num[k] = 0;
				long v = atol(num);
				const char *name = v == pid ? label : v == getpid() ? "PARENT" : NULL;
				if (name && strncmp(o - 6 > out ? o - 6 : out, "flags=", 6) != 0)
					o += sprintf(o, "%s", name);
				else
					o += sprintf(o, "%s", num);
				continue;
			}
			*o++ = *s++;
		}
		*o = 0;
		printf("  %s: %s\n", event, out);
		n++;
	}
	if (!n)
		printf("  %s: none for %s\n", event, label);
}

int main(void)
{
	printf("enable: %d\n", system("echo 1 > " T "events/sched/enable && echo 1 > " T "events/task/enable"
				      " && echo > " T "trace"));
	pid_t a = fork();
	if (a == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(a, &st, 0);
	printf("fork+exec child: exit %d\n", WEXITSTATUS(st));
	pid_t b = vfork();
	if (b == 0)
		_exit(3);
	waitpid(b, &st, 0);
	printf("vfork child: exit %d\n", WEXITSTATUS(st));
	system("echo 0 > " T "tracing_on");
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	trace_read(T "trace", buf, sizeof buf);

	printf("child A (fork, exec /bin/true):\n");
	lines("sched_process_fork", "child_pid", a, "A");
	lines("task_newtask", "pid", a, "A");
	lines("sched_wakeup_new", "pid", a, "A");
	lines("task_rename", "pid", a, "A");
	lines("sched_process_exec", "pid", a, "A");
	lines("sched_process_exit", "pid", a, "A");
	lines("sched_process_wait", "pid", a, "A");
	printf("child B (vfork, _exit 3):\n");
	lines("sched_process_fork", "child_pid", b, "B");
	lines("task_newtask", "pid", b, "B");
	lines("sched_process_exit", "pid", b, "B");
	lines("sched_process_wait", "pid", b, "B");
	printf("child C (after tracing_on 0):\n");
	lines("sched_process_fork", "child_pid", c, "C");
	system("echo 1 > " T "tracing_on && echo > " T "set_event");

	printf("modes:\n");
	fflush(stdout);
	system("cd " T " && stat -c '  %a %n' . trace trace_pipe trace_marker set_event available_events events"
	       " events/sched/enable events/sched/sched_process_fork/format");
	pid_t u = fork();
	if (u == 0) {
		if (setuid(65534) != 0)
			_exit(1);
		int fd = open(T "trace", O_RDONLY);
		printf("another user opens trace: %s\n", fd < 0 ? en(errno) : "OK");
		fflush(stdout);
		_exit(0);
	}
	waitpid(u, NULL, 0);
	fflush(stdout);
	system("n=$(ls /sys/kernel/tracing | wc -l)"
	       " && umount /sys/kernel/tracing && echo unmounted: $(ls /sys/kernel/tracing | wc -l) entries"
	       " && mount -t tracefs nodev /sys/kernel/tracing"
	       " && echo mounted again, the same entries: $([ $(ls /sys/kernel/tracing | wc -l) = $n ] && echo yes)"
	       " && mkdir /tmp/t && mount -t tracefs nodev /tmp/t && cat /tmp/t/tracing_on"
	       " && grep tracefs /proc/mounts && umount /tmp/t");
	return 0;
}
