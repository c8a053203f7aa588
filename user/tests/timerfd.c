/*
 * timerfd: timerfd_create, timerfd_settime, timerfd_gettime and reads.
 * Checks: EINVAL for an unknown clock, unknown flags, a bad timespec or
 *   settime flag, a descriptor that is not a timerfd; EBADF; TFD_CLOEXEC
 *   and TFD_NONBLOCK; /proc/self/fd names it anon_inode:[timerfd]; a
 *   disarmed timer reads EAGAIN (non-blocking) and gettime gives zeros;
 *   a relative one-shot on CLOCK_MONOTONIC: gettime's time left, poll
 *   before and after, a blocking read returning 1 after at least the
 *   time; a periodic timer counts the expirations missed; settime's old
 *   value; disarming; TFD_TIMER_ABSTIME on CLOCK_REALTIME and
 *   CLOCK_MONOTONIC, in the past (fires at once) and in the future;
 *   reads of fewer than 8 bytes are EINVAL; epoll over a timerfd; a
 *   timer shared with a forked child through the descriptor.
 * Mirrors: timerfd_create(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void rd(int fd, const char *what)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, 8);
	if (n < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %zd bytes, %llu\n", what, n, (unsigned long long)v);
}

static int readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static struct itimerspec its(long vs, long vns, long is, long ins)
{
	struct itimerspec t = {.it_value = {vs, vns}, .it_interval = {is, ins}};
	return t;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	show("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	show("bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	printf("nonblock %d cloexec %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK), !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	printf("link: %s\n", link);
	rd(fd, "disarmed read");
	struct itimerspec cur, t = its(0, 0, 0, 0);
	timerfd_gettime(fd, &cur);
	printf("disarmed gettime: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	t = its(0, 2000000000, 0, 0);
	show("bad timespec", timerfd_settime(fd, 0, &t, NULL));
	t = its(1, 0, 0, 0);
	show("bad settime flag", timerfd_settime(fd, 4, &t, NULL));
	show("settime on a pipe", ({ int p[2]; pipe(p); timerfd_settime(p[0], 0, &t, NULL); }));
	show("settime on a bad fd", timerfd_settime(99, 0, &t, NULL));
	char small[4];
	errno = 0;
	long r = read(fd, small, 4);
	show("read 4 bytes", r);

	/* One-shot, relative. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t = its(0, 50000000, 0, 0);
	show("arm 50ms", timerfd_settime(fd, 0, &t, NULL));
	timerfd_gettime(fd, &cur);
	printf("left: in (0, 50ms] %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50000000);
	printf("readable before: %d\n", readable(fd));
	rd(fd, "read before");
	int bl = timerfd_create(CLOCK_MONOTONIC, 0);
	t = its(0, 50000000, 0, 0);
	timerfd_settime(bl, 0, &t, NULL);
	rd(bl, "blocking read");
	printf("waited >= 50ms: %d\n", ms_since(&t0) >= 49);
	printf("readable after: %d\n", readable(fd));
	rd(fd, "read after");
	rd(fd, "read again");
	timerfd_gettime(fd, &cur);
	printf("expired gettime: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

	/* Periodic: expirations missed are counted. */
	t = its(0, 10000000, 0, 10000000);
	timerfd_settime(fd, 0, &t, NULL);
	usleep(105000);
	uint64_t v = 0;
	read(fd, &v, 8);
	printf("periodic after 105ms: 9..40 %d\n", v >= 9 && v <= 40);
	struct itimerspec old;
	t = its(5, 0, 0, 0);
	timerfd_settime(fd, 0, &t, &old);
	printf("old: interval %ld ns, value <= 10ms %d\n", old.it_interval.tv_nsec,
	       old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 10000000);
	t = its(0, 0, 0, 0);
	timerfd_settime(fd, 0, &t, &old);
	printf("disarm, old value about 5s: %d\n", old.it_value.tv_sec == 4 || old.it_value.tv_sec == 5);
	rd(fd, "disarmed");

	/* Absolute. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	t = its(now.tv_sec - 10, 0, 0, 0);
	show("abs past", timerfd_settime(rt, TFD_TIMER_ABSTIME, &t, NULL));
	rd(rt, "abs past read");
	clock_gettime(CLOCK_REALTIME, &now);
	t = its(now.tv_sec + 100, 0, 0, 0);
	timerfd_settime(rt, TFD_TIMER_ABSTIME, &t, NULL);
	timerfd_gettime(rt, &cur);
	printf("abs future left 99..100s: %d\n", cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100);
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = its(now.tv_sec, now.tv_nsec + 30000000 >= 1000000000 ? now.tv_nsec - 970000000 : now.tv_nsec + 30000000, 0, 0);
	if (now.tv_nsec + 30000000 >= 1000000000)
		t.it_value.tv_sec++;
	timerfd_settime(bl, TFD_TIMER_ABSTIME, &t, NULL);
	rd(bl, "abs monotonic blocking read");

	/* epoll, and a child sharing the timer. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	t = its(0, 20000000, 0, 0);
	timerfd_settime(fd, 0, &t, NULL);
	struct epoll_event out;
	int n = epoll_wait(ep, &out, 1, 5000);
	printf("epoll: %d data %llu\n", n, (unsigned long long)out.data.u64);
	rd(fd, "after epoll");
	t = its(0, 20000000, 0, 0);
	timerfd_settime(bl, 0, &t, NULL);
	pid_t c = fork();
	if (c == 0) {
		rd(bl, "child reads the shared timer");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	rd(fd, "parent, nothing left");
	return 0;
}
