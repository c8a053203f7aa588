/*
 * cow_reuse: the write-fault side of copy-on-write after fork(2), in the
 * cases where a kernel may either copy a shared page or reuse it because
 * the faulting process is its last user.
 * Checks (16-page private anonymous buffer, plus .data and stack words):
 *   A. the only child exits at once; the parent then writes every page
 *      (sole owner: reuse) and reads back its new data;
 *   B. the parent writes while the child is alive; the child, released
 *      afterwards, still reads the old values;
 *   C. the child writes first while the parent is alive; the parent still
 *      reads the old values, then writes its own (now sole owner); the
 *      child still reads its values;
 *   D. two children share the pages; one exits, the parent writes; the
 *      other child still reads the old values (three sharers -> two);
 *   E. a grandchild shares the pages, its parent (the child) exits, the
 *      test process writes; the grandchild still reads the old values
 *      (it is reaped by the test process as child subreaper);
 *   F. a page never touched before fork (reads as zero): the child writes
 *      it, the parent still reads zero, then writes its own value;
 *   G. 20 rounds of fork / child writes / child exits / parent writes.
 * Each case prints one line; children report mismatch counts through
 * their exit status or a pipe.
 * Mirrors: fork(2) (separate memory spaces, copy-on-write note),
 *   mmap(2) MAP_PRIVATE, prctl(2) PR_SET_CHILD_SUBREAPER.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL
#define NPG 16
#define WPP (PG / 8)

static uint64_t *buf;
static uint64_t data_word = 1;

static void put(uint64_t tag, volatile uint64_t *stack_word)
{
	for (uint64_t i = 0; i < NPG * WPP; i++)
		buf[i] = tag ^ (i * 0x9E3779B97F4A7C15ULL);
	data_word = tag;
	*stack_word = ~tag;
}

/* number of words (capped at 200) that do not hold tag's pattern */
static int check(uint64_t tag, volatile uint64_t *stack_word)
{
	int bad = 0;
	for (uint64_t i = 0; i < NPG * WPP; i++)
		bad += buf[i] != (tag ^ (i * 0x9E3779B97F4A7C15ULL));
	bad += data_word != tag;
	bad += *stack_word != ~tag;
	return bad > 200 ? 200 : bad;
}

static void line(const char *what, int parent_bad, const char *child)
{
	printf("%s: parent mismatches %d; %s\n", what, parent_bad, child);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	volatile uint64_t stack_word = 0;
	buf = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("mmap failed: errno %d\n", errno);
		return 1;
	}
	int st, p[2], r[2];
	char c, msg[160];

	/* A */
	put(0xA0, &stack_word);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	put(0xA1, &stack_word);
	snprintf(msg, sizeof msg, "child %s", st_str(st));
	line("A parent writes after its only child exited", check(0xA1, &stack_word), msg);

	/* B */
	put(0xB0, &stack_word);
	pipe(p);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		read(p[0], &c, 1); /* EOF: the parent has written */
		_exit(check(0xB0, &stack_word));
	}
	close(p[0]);
	put(0xB1, &stack_word);
	close(p[1]);
	waitpid(pid, &st, 0);
	snprintf(msg, sizeof msg, "child sees old values: mismatches = %s", st_str(st));
	line("B parent writes while child alive", check(0xB1, &stack_word), msg);

	/* C */
	put(0xC0, &stack_word);
	pipe(p);
	pipe(r);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(r[0]);
		put(0xC1, &stack_word);
		write(r[1], "w", 1); /* written */
		read(p[0], &c, 1);   /* EOF: the parent has written too */
		_exit(check(0xC1, &stack_word));
	}
	close(p[0]);
	close(r[1]);
	read(r[0], &c, 1);
	close(r[0]);
	int before = check(0xC0, &stack_word);
	put(0xC2, &stack_word);
	close(p[1]);
	waitpid(pid, &st, 0);
	printf("C child wrote first: parent still sees old values: mismatches %d\n", before);
	snprintf(msg, sizeof msg, "child keeps its values: mismatches = %s", st_str(st));
	line("C parent then writes its own", check(0xC2, &stack_word), msg);

	/* D */
	put(0xD0, &stack_word);
	pipe(p);
	pid_t d1 = fork();
	if (d1 == 0)
		_exit(0);
	pid_t d2 = fork();
	if (d2 == 0) {
		close(p[1]);
		read(p[0], &c, 1);
		_exit(check(0xD0, &stack_word));
	}
	close(p[0]);
	int st1;
	waitpid(d1, &st1, 0);
	put(0xD1, &stack_word);
	close(p[1]);
	waitpid(d2, &st, 0);
	snprintf(msg, sizeof msg, "first child %s, second child mismatches = %s", st_str(st1), st_str(st));
	line("D one of two children exited, parent writes", check(0xD1, &stack_word), msg);

	/* E */
	put(0xE0, &stack_word);
	pipe(p);
	pipe(r);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			close(p[1]);
			close(r[0]);
			read(p[0], &c, 1);
			int bad = check(0xE0, &stack_word);
			write(r[1], &bad, sizeof bad);
			_exit(0);
		}
		_exit(g > 0 ? 0 : 1);
	}
	close(p[0]);
	close(r[1]);
	waitpid(pid, &st1, 0);
	put(0xE1, &stack_word);
	close(p[1]);
	int gbad = -1;
	ssize_t n = read(r[0], &gbad, sizeof gbad);
	close(r[0]);
	pid_t g = wait(&st);
	snprintf(msg, sizeof msg, "child %s, grandchild mismatches %d (report %s), reaped %s",
		 st_str(st1), gbad, n == sizeof gbad ? "ok" : "missing",
		 g > 0 ? st_str(st) : "nothing");
	line("E grandchild outlives its parent, test writes", check(0xE1, &stack_word), msg);

	/* F */
	volatile uint64_t *fresh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pipe(r);
	pid = fork();
	if (pid == 0) {
		close(r[0]);
		fresh[0] = 0xF1;
		fresh[WPP] = 0xF2;
		write(r[1], "w", 1);
		_exit(fresh[0] == 0xF1 && fresh[WPP] == 0xF2 ? 0 : 1);
	}
	close(r[1]);
	read(r[0], &c, 1);
	close(r[0]);
	uint64_t seen0 = fresh[0], seen1 = fresh[WPP];
	fresh[0] = 0xF3;
	waitpid(pid, &st, 0);
	printf("F untouched page: parent reads %llu %llu after child wrote; parent writes: %s; child %s\n",
	       (unsigned long long)seen0, (unsigned long long)seen1,
	       fresh[0] == 0xF3 && fresh[WPP] == 0 ? "ok" : "MISMATCH", st_str(st));

	/* G */
	int gfail = 0;
	for (int i = 0; i < 20; i++) {
		put(0x100 + i, &stack_word);
		pid = fork();
		if (pid == 0) {
			put(0x200 + i, &stack_word);
			_exit(check(0x200 + i, &stack_word));
		}
		if (i & 1) /* odd rounds: write before the child is reaped */
			put(0x300 + i, &stack_word);
		waitpid(pid, &st, 0);
		if (!(i & 1))
			put(0x300 + i, &stack_word);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || check(0x300 + i, &stack_word) != 0)
			gfail++;
	}
	printf("G 20 fork/write/exit rounds: failures %d\n", gfail);
	return 0;
}
