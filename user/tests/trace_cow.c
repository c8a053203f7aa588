// tine-only
/*
 * trace_cow: Tine's own memory events (the `tine` system), counted for
 * pages a test writes after fork. Tine-only (compared with
 * trace_cow.expected): Linux has no such events; they show the steps of
 * Tine's fork (docs/events.md).
 * Checks:
 *   a child writing 5 pages of a small buffer its parent wrote before
 *     fork: 5 tine:cow_copy in the buffer, each with a new frame;
 *   the parent writing them again once the child is gone: 5 tine:cow_reuse
 *     (its frames are its own again), no copy;
 *   a 4 MiB mapping: fork shares its leaf tables (tine:pt_share in the
 *     parent), the child's first write unshares one (tine:pt_unshare),
 *     and its 3 writes are 3 tine:cow_copy;
 *   a page never touched before, written by the child: tine:zero_page,
 *     not a copy;
 *   tine:copy_process_step: every step of the fork, in Linux's order,
 *     each ret=0.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "testlib.h"
#include "tracelib.h"

static char buf[1 << 20];

/* Events `ev` of task `pid` whose address lies in [lo, hi). */
static int count(const char *ev, int pid, uintptr_t lo, uintptr_t hi, int *same_frame)
{
	char key[48], who[24];
	snprintf(key, sizeof key, ": %s: address=", ev);
	snprintf(who, sizeof who, "-%d ", pid);
	int n = 0;
	*same_frame = 0;
	for (char *l = buf; (l = strstr(l, key)); l += strlen(key)) {
		char *start = l;
		while (start > buf && start[-1] != '\n')
			start--;
		char *dash = strstr(start, who);
		if (!dash || dash > l)
			continue;
		unsigned long a = 0, o = 0, nw = 0;
		if (sscanf(l + strlen(key), "%lx old_pfn=%lx new_pfn=%lx", &a, &o, &nw) < 1)
			continue;
		if (a >= lo && a < hi) {
			n++;
			*same_frame += o == nw;
		}
	}
	return n;
}

static void step_lines(int pid)
{
	char who[24];
	snprintf(who, sizeof who, "-%d ", pid);
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *s = strstr(l, "copy_process_step: ");
		if (s && strstr(l, who) && strstr(l, who) < s) {
			char name[32];
			int ret;
			if (sscanf(s, "copy_process_step: step=%31s ret=%d", name, &ret) == 2)
				printf("  %s ret=%d\n", name, ret);
		}
	}
}

int main(void)
{
	long pg = 4096;
	char *small = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *fresh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 5; i++)
		small[i * pg] = 1;
	for (long i = 0; i < (4 << 20); i += pg)
		big[i] = 1;
	/* set_event takes one word per write: a write for each. */
	static const char *const events[] = {"tine:cow_copy", "tine:cow_reuse", "tine:zero_page",
					     "tine:pt_share", "tine:pt_unshare", "tine:copy_process_step"};
	long taken = 0;
	trace_write(T "set_event", O_TRUNC, "");
	for (int i = 0; i < 6; i++)
		taken += trace_write(T "set_event", O_APPEND, events[i]);
	printf("set_event: %ld\n", taken);
	trace_write(T "trace", O_TRUNC, "");
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 5; i++)
			small[i * pg] = 2;
		for (int i = 0; i < 3; i++)
			big[(1 << 20) + i * pg] = 2;
		fresh[0] = 2;
		_exit(0);
	}
	waitpid(c, NULL, 0);
	for (int i = 0; i < 5; i++)
		small[i * pg] = 3;
	trace_write(T "set_event", O_TRUNC, "");
	trace_read(T "trace", buf, sizeof buf);

	int same;
	uintptr_t s = (uintptr_t)small, b = (uintptr_t)big, f = (uintptr_t)fresh;
	int n = count("cow_copy", c, s, s + 5 * pg, &same);
	printf("child, small buffer: %d cow_copy, %d keeping the frame\n", n, same);
	n = count("cow_reuse", getpid(), s, s + 5 * pg, &same);
	printf("parent after the child: %d cow_reuse, %d keeping the frame\n", n, same);
	printf("parent after the child: %d cow_copy\n", count("cow_copy", getpid(), s, s + 5 * pg, &same));
	/* Leaf tables are named by the 2 MiB they cover. */
	uintptr_t bt = b & ~(uintptr_t)0x1fffff;
	printf("fork: pt_share in the big mapping: %s\n", count("pt_share", getpid(), bt, b + (4 << 20), &same) > 0 ? "yes" : "no");
	printf("child: pt_unshare in the big mapping: %s\n", count("pt_unshare", c, bt, b + (4 << 20), &same) > 0 ? "yes" : "no");
	printf("child, big mapping: %d cow_copy\n", count("cow_copy", c, b, b + (4 << 20), &same));
	printf("child, fresh page: %d zero_page, %d cow_copy\n", count("zero_page", c, f, f + pg, &same),
	       count("cow_copy", c, f, f + pg, &same));
	printf("copy_process steps of the fork:\n");
	step_lines(getpid());
	return 0;
}
