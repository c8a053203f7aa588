/*
 * cow_isolation: fork(2) gives the child a private copy-on-write view of
 * every writable private mapping: a 64 MiB anonymous mmap, .data, .bss,
 * the brk heap and the stack.
 * Checks: the parent fills 64 MiB with a position-dependent pattern;
 *   round 1: four children run one after another; child k writes its own
 *   pattern into one word of every page of quarter k (and into .data,
 *   .bss, heap and stack variables), then checksums its whole view and
 *   compares it with the expected value; after each child exits the
 *   parent checks that its own view is unchanged.
 *   round 2: the four children are alive at the same time; all of them
 *   write, meet at a barrier (pipe), then verify, so one child's writes
 *   can not leak into a sibling; each child reports a line through its
 *   own pipe, printed by the parent in child order.
 *   Finally the parent overwrites its own copy and checks it (the pages
 *   are no longer shared).
 * Mirrors: fork(2) ("The child process and the parent process run in
 *   separate memory spaces... Memory writes... performed by one of the
 *   processes do not affect the other"), mmap(2) MAP_PRIVATE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (64UL << 20)
#define PG 4096UL
#define WORDS (SIZE / 8)
#define NCHILD 4
#define QUARTER (SIZE / NCHILD)

static uint64_t *big;
static uint64_t data_var = 0x1122334455667788ULL; /* .data */
static uint64_t bss_var;                          /* .bss */
static uint64_t *heap_var;                        /* malloc'ed (brk heap) */

static uint64_t fill(uint64_t i) { return i * 0x9E3779B97F4A7C15ULL ^ 0x5bd1e995; }
static uint64_t mark(int k, uint64_t i) { return 0xC0DE000000000000ULL | ((uint64_t)k << 40) | i; }

/* the word each child writes: the first word of every page of its quarter */
static int is_marked(int k, uint64_t i)
{
	return i % (PG / 8) == 0 && i / (QUARTER / 8) == (uint64_t)k;
}

/* One pass over the 64 MiB: checksum of the view (printed) and the
 * number of words that differ from what view k should hold (k < 0: the
 * untouched fill pattern, k >= 0: child k's marks on top of it). */
static uint64_t scan(int k, uint64_t *mismatches)
{
	uint64_t h = 0xcbf29ce484222325ULL, bad = 0;
	for (uint64_t i = 0; i < WORDS; i++) {
		uint64_t w = big[i];
		bad += w != (k >= 0 && is_marked(k, i) ? mark(k, i) : fill(i));
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 32;
	}
	*mismatches = bad;
	return h;
}

static void child_write(int k, volatile uint64_t *stack_var)
{
	for (uint64_t i = (uint64_t)k * (QUARTER / 8); i < (uint64_t)(k + 1) * (QUARTER / 8); i += PG / 8)
		big[i] = mark(k, i);
	data_var = 0xD000 + k;
	bss_var = 0xB000 + k;
	*heap_var = 0xE000 + k;
	*stack_var = 0x5000 + k;
}

/* returns a bitmask of failures: 1 big array, 2 data, 4 bss, 8 heap, 16 stack */
static int child_verify(int k, volatile uint64_t *stack_var, uint64_t mismatches)
{
	int bad = 0;
	if (mismatches)
		bad |= 1;
	if (data_var != 0xD000u + k)
		bad |= 2;
	if (bss_var != 0xB000u + k)
		bad |= 4;
	if (*heap_var != 0xE000u + k)
		bad |= 8;
	if (*stack_var != 0x5000u + k)
		bad |= 16;
	return bad;
}

static int parent_intact(volatile uint64_t *stack_var)
{
	uint64_t m;
	scan(-1, &m);
	return m == 0 && data_var == 0x1122334455667788ULL &&
	       bss_var == 0xABCD && *heap_var == 0x4EA9 && *stack_var == 0x57AC;
}

static void show_status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit %d%s\n", what, WEXITSTATUS(st), WEXITSTATUS(st) ? " (FAILED checks)" : "");
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status 0x%x\n", what, st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	volatile uint64_t stack_var = 0x57AC;
	big = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	heap_var = malloc(sizeof *heap_var);
	if (big == MAP_FAILED || !heap_var) {
		printf("setup failed: errno %d\n", errno);
		return 1;
	}
	for (uint64_t i = 0; i < WORDS; i++)
		big[i] = fill(i);
	bss_var = 0xABCD;
	*heap_var = 0x4EA9;

	uint64_t m, c = scan(-1, &m);
	printf("parent checksum of 64 MiB: %016llx, mismatching words: %llu\n",
	       (unsigned long long)c, (unsigned long long)m);

	printf("-- round 1: one child at a time\n");
	for (int k = 0; k < NCHILD; k++) {
		pid_t pid = fork();
		if (pid < 0) {
			printf("fork failed: errno %d\n", errno);
			return 1;
		}
		if (pid == 0) {
			child_write(k, &stack_var);
			uint64_t m, c = scan(k, &m);
			printf("child %d checksum %016llx, mismatching words: %llu\n", k,
			       (unsigned long long)c, (unsigned long long)m);
			_exit(child_verify(k, &stack_var, m));
		}
		int st;
		waitpid(pid, &st, 0);
		char what[32];
		snprintf(what, sizeof what, "child %d", k);
		show_status(what, st);
		printf("parent view intact after child %d: %s\n", k,
		       parent_intact(&stack_var) ? "yes" : "no");
	}

	printf("-- round 2: four children alive at once\n");
	int barrier[2], ready[2], rep[NCHILD][2];
	pid_t pids[NCHILD];
	if (pipe(barrier) < 0 || pipe(ready) < 0)
		return 1;
	for (int k = 0; k < NCHILD; k++) {
		if (pipe(rep[k]) < 0)
			return 1;
		pids[k] = fork();
		if (pids[k] < 0) {
			printf("fork failed: errno %d\n", errno);
			return 1;
		}
		if (pids[k] == 0) {
			char b, line[128];
			close(barrier[1]);
			close(ready[0]);
			child_write(k, &stack_var);
			write(ready[1], "r", 1);
			read(barrier[0], &b, 1); /* EOF: every child has written */
			uint64_t m, c = scan(k, &m);
			int bad = child_verify(k, &stack_var, m);
			int n = snprintf(line, sizeof line, "child %d checksum %016llx %s\n", k,
					 (unsigned long long)c, bad ? "MISMATCH" : "ok");
			write(rep[k][1], line, n);
			_exit(bad);
		}
		close(rep[k][1]);
	}
	/* release the barrier only after all four children have written */
	close(ready[1]);
	int nready = 0;
	char b;
	while (nready < NCHILD && read(ready[0], &b, 1) == 1)
		nready++;
	close(ready[0]);
	printf("children that wrote before the barrier: %d\n", nready);
	close(barrier[0]);
	close(barrier[1]);
	for (int k = 0; k < NCHILD; k++) {
		char line[128];
		ssize_t n = read(rep[k][0], line, sizeof line - 1);
		line[n > 0 ? n : 0] = 0;
		printf("%s", n > 0 ? line : "(no report)\n");
		close(rep[k][0]);
	}
	for (int k = 0; k < NCHILD; k++) {
		int st;
		char what[32];
		pid_t w = waitpid(pids[k], &st, 0);
		snprintf(what, sizeof what, "child %d (reaped: %s)", k, w == pids[k] ? "yes" : "no");
		show_status(what, st);
	}
	printf("parent view intact after round 2: %s\n", parent_intact(&stack_var) ? "yes" : "no");

	/* now the parent writes everything itself */
	for (uint64_t i = 0; i < WORDS; i += PG / 8)
		big[i] = mark(NCHILD, i);
	uint64_t bad = 0;
	for (uint64_t i = 0; i < WORDS; i++)
		bad += big[i] != (i % (PG / 8) == 0 ? mark(NCHILD, i) : fill(i));
	printf("parent writes its own copy afterwards: mismatching words: %llu\n",
	       (unsigned long long)bad);
	return 0;
}
