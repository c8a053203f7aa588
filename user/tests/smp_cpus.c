/*
 * smp_cpus: tasks on several CPUs. Holds with any number of CPUs online;
 * what needs two is checked when sysconf(_SC_NPROCESSORS_ONLN) >= 2 and
 * printed the same way otherwise (the suite runs at -smp 1 and 2).
 * Checks:
 *   sched_getaffinity: the mask is the CPUs online (as many bits as
 *     _SC_NPROCESSORS_ONLN says); its size whole longs; EINVAL for a length of 4;
 *     ESRCH for a PID that does not exist;
 *   sched_setaffinity: a mask of no CPU online -> EINVAL; pinned to CPU
 *     0, then to the last CPU: sched_getcpu(), getcpu(2) and
 *     /proc/self/stat's field 39 say that CPU, and sched_getaffinity
 *     gives the one bit back; the mask is inherited by a forked child;
 *   two threads pinned to CPUs 0 and 1 see those CPUs and overlap in
 *     time: they pass a token back and forth through shared memory, with
 *     no system call, 2000 times within 20 s (on one CPU each pass would
 *     wait for a time slice);
 *   /proc/cpuinfo has one "processor" line per CPU, /proc/stat one cpuN
 *     line per CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ncpu;

static int stat_cpu(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f || !fgets(buf, sizeof buf, f))
		return -1;
	fclose(f);
	char *p = strrchr(buf, ')');
	/* Field 3 (state) follows ") "; field 39 is 36 fields later. */
	int field = 2;
	for (; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	return atoi(p);
}

static int pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof s, &s);
}

static int check_pinned(int cpu)
{
	unsigned c = 99, node = 99;
	cpu_set_t s;
	if (pin(cpu) != 0)
		return 0;
	if (sched_getcpu() != cpu)
		return 0;
	if (syscall(SYS_getcpu, &c, &node, 0) != 0 || c != (unsigned)cpu || node != 0)
		return 0;
	if (stat_cpu() != cpu)
		return 0;
	if (sched_getaffinity(0, sizeof s, &s) != 0 || CPU_COUNT(&s) != 1 || !CPU_ISSET(cpu, &s))
		return 0;
	return 1;
}

static atomic_int token;
static atomic_int started;
static int seen_cpu[2];
static int passes[2];
#define PASSES 2000

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *pingpong(void *arg)
{
	int me = (int)(long)arg;
	if (pin(me) != 0)
		return NULL;
	seen_cpu[me] = sched_getcpu();
	atomic_fetch_add(&started, 1);
	while (atomic_load(&started) < 2)
		;
	double end = now() + 20;
	int n = 0;
	while (n < PASSES) {
		/* Thread 0 passes on even tokens, thread 1 on odd ones. */
		int t = atomic_load(&token);
		if ((t & 1) == me) {
			atomic_store(&token, t + 1);
			n++;
		} else if ((n & 1023) == 0 && now() > end) {
			break;
		}
	}
	passes[me] = n;
	return NULL;
}

int main(void)
{
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("cpus online: %s\n", ncpu >= 1 ? "yes" : "no");

	cpu_set_t all;
	long r = syscall(SYS_sched_getaffinity, 0, sizeof all, &all);
	/* The kernel's mask size: 8 here, more on a kernel built for more CPUs. */
	printf("getaffinity: size in longs %d, cpus match sysconf: %d\n", r >= 8 && r % 8 == 0,
	       r > 0 && CPU_COUNT(&all) == ncpu);
	errno = 0;
	r = syscall(SYS_sched_getaffinity, 0, 4, &all);
	printf("getaffinity len 4: %ld errno %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
	errno = 0;
	r = syscall(SYS_sched_getaffinity, 999999, sizeof all, &all);
	printf("getaffinity no pid: %ld errno %s\n", r, errno == ESRCH ? "ESRCH" : strerror(errno));
	sched_getaffinity(0, sizeof all, &all);

	cpu_set_t none;
	CPU_ZERO(&none);
	CPU_SET(ncpu, &none); /* the first CPU not online */
	errno = 0;
	r = sched_setaffinity(0, sizeof none, &none);
	printf("setaffinity offline: %ld errno %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));

	printf("pinned to first: %d\n", check_pinned(0));
	printf("pinned to last: %d\n", check_pinned(ncpu - 1));
	pid_t child = fork();
	if (child == 0) {
		cpu_set_t s;
		_exit(sched_getaffinity(0, sizeof s, &s) == 0 && CPU_COUNT(&s) == 1 && CPU_ISSET(ncpu - 1, &s) &&
		      sched_getcpu() == ncpu - 1 ? 0 : 1);
	}
	int st;
	waitpid(child, &st, 0);
	printf("child inherits the mask: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sched_setaffinity(0, sizeof all, &all);

	if (ncpu >= 2) {
		pthread_t t[2];
		for (long i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, pingpong, (void *)i);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	} else {
		seen_cpu[1] = 1;
		passes[0] = passes[1] = PASSES;
	}
	printf("threads on cpus %d and %d\n", seen_cpu[0], seen_cpu[1]);
	printf("overlap: %s\n", passes[0] == PASSES && passes[1] == PASSES ? "yes" : "no");

	char line[4096];
	int procs = 0, stats = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof line, f))
		procs += strncmp(line, "processor", 9) == 0;
	if (f)
		fclose(f);
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof line, f))
		stats += strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9';
	if (f)
		fclose(f);
	printf("cpuinfo blocks match: %d, stat lines match: %d\n", procs == ncpu, stats == ncpu);
	return 0;
}
