/*
 * proc_fdinfo: /proc/PID/fdinfo/N, what Linux says about each open
 * descriptor (fs/proc/fd.c and the file types' show_fdinfo).
 * Checks:
 *   fdinfo/ lists the same descriptors as fd/;
 *   a regular file after lseek: pos 42, flags O_RDWR|O_LARGEFILE, mnt_id
 *     and ino numbers (ino the file's st_ino);
 *   pipe2(O_NONBLOCK|O_CLOEXEC): both ends' flags, O_CLOEXEC as 02000000;
 *   an eventfd after two writes: eventfd-count in %16llx, its id a number,
 *     eventfd-semaphore;
 *   a signalfd's sigmask (SIGUSR1, SIGTERM);
 *   a timerfd: clockid, ticks, settime flags, the interval, the time left;
 *   an epoll instance watching the eventfd and the pipe: one tfd line each
 *     (sorted here: Linux orders them by kernel address);
 *   a pidfd of a child: Pid and NSpid are the child's PID while it runs
 *     and once it is a zombie, -1 once it is reaped;
 *   fdinfo of a closed descriptor, and of a non-number: ENOENT.
 * PIDs are printed as "child", mount ids, inode numbers and device numbers
 * only as whether they are numbers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static pid_t child;

static int is_num(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* One value, as printed: "child" for the child's PID, "<number>" for a
 * number that differs between machines, else itself. */
static void show_pid(const char *v)
{
	if (is_num(v) && atoi(v) == child && child > 0)
		printf("child");
	else
		printf("%s", v);
}

/* Print one line of fdinfo with what differs between machines replaced. */
static void show_line(char *line)
{
	char *tab = strchr(line, '\t');
	if (!strncmp(line, "mnt_id:", 7) || !strncmp(line, "ino:", 4)) {
		*tab = 0;
		printf("  %s <%s>\n", line, is_num(tab + 1) ? "number" : tab + 1);
	} else if (!strncmp(line, "eventfd-id: ", 12)) {
		printf("  eventfd-id: <%s>\n", is_num(line + 12) ? "number" : line + 12);
	} else if (!strncmp(line, "Pid:", 4) || !strncmp(line, "NSpid:", 6)) {
		*tab = 0;
		printf("  %s", line);
		for (char *v = strtok(tab + 1, "\t"); v; v = strtok(NULL, "\t")) {
			printf(" ");
			show_pid(v);
		}
		printf("\n");
	} else if (!strncmp(line, "it_value: (", 11)) {
		unsigned long long s = strtoull(line + 11, NULL, 10);
		printf("  %s\n", s >= 90 && s < 100 ? "it_value: (90..99 s left)" : line);
	} else if (!strncmp(line, "tfd: ", 5)) {
		char *ino = strstr(line, " ino:");
		printf("  %.*s ino:<%s> sdev:<%s>\n", (int)(ino - line), line, ino[5] ? "number" : "",
		       strstr(ino, " sdev:") ? "number" : "");
	} else {
		printf("  %s\n", line);
	}
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print /proc/self/fdinfo/<fd> (sorted when `sort`), or the errno. */
static void fdinfo(const char *what, int fd, int sort)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	printf("%s:\n", what);
	int f = open(path, O_RDONLY);
	if (f < 0) {
		printf("  open: %s\n", en(errno));
		return;
	}
	ssize_t n = read(f, buf, sizeof buf - 1);
	close(f);
	if (n < 0) {
		printf("  read: %s\n", en(errno));
		return;
	}
	buf[n] = 0;
	char *lines[64];
	int count = 0;
	for (char *l = strtok(buf, "\n"); l && count < 64; l = strtok(NULL, "\n"))
		lines[count++] = l;
	if (sort)
		qsort(lines, count, sizeof lines[0], cmp_lines);
	for (int i = 0; i < count; i++) {
		char copy[512];
		snprintf(copy, sizeof copy, "%s", lines[i]);
		show_line(copy);
	}
}

/* The descriptor numbers in a /proc/self directory, as one string. */
static void names(const char *dir, char *out, size_t len)
{
	int nums[256], n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	out[0] = 0;
	if (!d) {
		snprintf(out, len, "opendir: %s", en(errno));
		return;
	}
	int self = dirfd(d);
	while ((e = readdir(d)) && n < 256)
		if (e->d_name[0] != '.' && atoi(e->d_name) != self)
			nums[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (nums[j] < nums[i]) {
				int t = nums[i];
				nums[i] = nums[j];
				nums[j] = t;
			}
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%d ", nums[i]);
}

int main(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/proc_fdinfo.%d", getpid());
	int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	char data[100] = { 0 };
	if (file < 0 || write(file, data, sizeof data) != sizeof data || lseek(file, 42, SEEK_SET) != 42)
		printf("file setup: %s\n", en(errno));
	fdinfo("regular file after lseek(42)", file, 0);
	struct stat st;
	fstat(file, &st);
	char buf[4096];
	snprintf(buf, sizeof buf, "/proc/self/fdinfo/%d", file);
	FILE *f = fopen(buf, "r");
	unsigned long ino = 0;
	while (f && fgets(buf, sizeof buf, f))
		sscanf(buf, "ino: %lu", &ino);
	if (f)
		fclose(f);
	printf("ino is st_ino: %s\n", ino == st.st_ino ? "yes" : "no");

	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		printf("pipe2: %s\n", en(errno));
	fdinfo("pipe read end (O_NONBLOCK|O_CLOEXEC)", p[0], 0);
	fdinfo("pipe write end", p[1], 0);

	int ev = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 5;
	write(ev, &v, 8);
	v = 7;
	write(ev, &v, 8);
	fdinfo("eventfd after writing 5 and 7", ev, 0);
	int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	fdinfo("eventfd(3, EFD_SEMAPHORE|EFD_NONBLOCK)", sem, 0);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	fdinfo("signalfd of SIGUSR1 and SIGTERM", sfd, 0);

	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	fdinfo("timerfd, disarmed", tfd, 0);
	struct itimerspec its = { .it_interval = { 1, 500 }, .it_value = { 99, 0 } };
	timerfd_settime(tfd, 0, &its, NULL);
	fdinfo("timerfd, armed for 99 s every 1 s", tfd, 0);
	int rt = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = now.tv_sec + 95;
	timerfd_settime(rt, TFD_TIMER_ABSTIME, &its, NULL);
	fdinfo("realtime timerfd, TFD_TIMER_ABSTIME", rt, 0);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 0x1234 };
	epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
	e.events = EPOLLIN | EPOLLET;
	e.data.u64 = 0xfeedface00000001ULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
	fdinfo("epoll watching the eventfd and the pipe", ep, 1);
	fdinfo("empty epoll", epoll_create1(0), 0);

	char a[2048], b[2048];
	names("/proc/self/fd", a, sizeof a);
	names("/proc/self/fdinfo", b, sizeof b);
	printf("fdinfo/ lists fd/'s descriptors: %s\n", strcmp(a, b) ? "no" : "yes");

	int go[2];
	pipe(go);
	child = fork();
	if (child == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1);
		_exit(0);
	}
	int pidfd = syscall(SYS_pidfd_open, child, 0);
	fdinfo("pidfd of a running child", pidfd, 0);
	close(go[1]);
	siginfo_t si;
	waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	fdinfo("pidfd of a zombie child", pidfd, 0);
	waitpid(child, NULL, 0);
	fdinfo("pidfd of a reaped child", pidfd, 0);

	close(sem);
	fdinfo("a closed descriptor", sem, 0);
	errno = 0;
	printf("fdinfo/x: %s\n", open("/proc/self/fdinfo/x", O_RDONLY) < 0 ? en(errno) : "opened");
	printf("fdinfo/ is a directory: %s\n", open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY) >= 0 ? "yes" : en(errno));
	struct stat ds;
	stat("/proc/self/fdinfo", &ds);
	printf("fdinfo/ mode %o\n", ds.st_mode);
	snprintf(buf, sizeof buf, "/proc/self/fdinfo/%d", file);
	stat(buf, &ds);
	printf("fdinfo/N mode %o\n", ds.st_mode);
	return 0;
}
