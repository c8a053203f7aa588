/*
 * select_poll: select(2), pselect6(2), poll(2) and ppoll(2) on pipes and
 * /dev/null, through raw system calls so that libc wrappers (musl copies
 * select's timeval) do not hide what the kernel does.
 * Checks: readiness of pipe ends (empty, data, full, writer closed ->
 * POLLHUP and readable, reader closed -> POLLERR, which select counts as
 * readable and writable); files without a poll of their own are always
 * ready both ways; POLLNVAL for a closed descriptor and a negative one
 * ignored; POLLHUP/POLLERR reported even when not asked for; zero and
 * small timeouts, and the time left written back by select, pselect6 and
 * ppoll (zeroed after a timeout, left alone for a zero timeout); EBADF for
 * a closed descriptor in a set; EINVAL for negative nfds, a bad timeval or
 * timespec, a bad sigset size; nfds past the descriptor table is cut to
 * it; poll's nfds above RLIMIT_NOFILE is EINVAL; FIONREAD on a pipe.
 * Mirrors: select(2), poll(2) (fs/select.c), pipe(7) (fs/pipe.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *en(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EBADF: return "EBADF"; case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT"; case EINTR: return "EINTR";
	case ENOTTY: return "ENOTTY"; case EAGAIN: return "EAGAIN";
	default: return "other";
	}
}

struct ktimeval { long sec, usec; };
struct ktimespec { long sec, nsec; };

static long sys_select(int n, fd_set *r, fd_set *w, fd_set *e, struct ktimeval *tv)
{
	return syscall(SYS_select, n, r, w, e, tv);
}

static long sys_pselect6(int n, fd_set *r, fd_set *w, fd_set *e, struct ktimespec *ts, void *sig)
{
	return syscall(SYS_pselect6, n, r, w, e, ts, sig);
}

static long sys_poll(struct pollfd *f, unsigned long n, int timeout)
{
	return syscall(SYS_poll, f, n, timeout);
}

static long sys_ppoll(struct pollfd *f, unsigned long n, struct ktimespec *ts, void *mask, unsigned long size)
{
	return syscall(SYS_ppoll, f, n, ts, mask, size);
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void revents(const char *what, short r)
{
	printf("%s:", what);
	if (!r)
		printf(" none");
	if (r & POLLIN) printf(" IN");
	if (r & POLLOUT) printf(" OUT");
	if (r & POLLERR) printf(" ERR");
	if (r & POLLHUP) printf(" HUP");
	if (r & POLLNVAL) printf(" NVAL");
	if (r & POLLRDNORM) printf(" RDNORM");
	if (r & POLLWRNORM) printf(" WRNORM");
	printf("\n");
}

/* poll one descriptor for `events` with timeout 0. */
static short poll1(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	long r = sys_poll(&p, 1, 0);
	if (r < 0)
		printf("poll1 failed: %s\n", en(r));
	return p.revents;
}

/* select on one descriptor in the sets named by "rwe", timeout 0:
 * returns the count and which sets kept it. */
static void select1(const char *what, int fd, const char *sets)
{
	fd_set r, w, e;
	FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
	if (strchr(sets, 'r')) FD_SET(fd, &r);
	if (strchr(sets, 'w')) FD_SET(fd, &w);
	if (strchr(sets, 'e')) FD_SET(fd, &e);
	struct ktimeval tv = { 0, 0 };
	long n = sys_select(fd + 1, &r, &w, &e, &tv);
	printf("%s: select=%ld %s r=%d w=%d e=%d tv=%ld.%06ld\n", what, n, en(n),
	       FD_ISSET(fd, &r), FD_ISSET(fd, &w), FD_ISSET(fd, &e), tv.sec, tv.usec);
}

int main(void)
{
	int p[2], q[2];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(p) || pipe(q)) {
		perror("pipe");
		return 1;
	}

	/* Empty pipe: the read end is not ready, the write end is. */
	revents("empty read end", poll1(p[0], POLLIN | POLLOUT));
	revents("empty write end", poll1(p[1], POLLIN | POLLOUT));
	select1("empty read end", p[0], "rwe");
	select1("empty write end", p[1], "rwe");

	/* Data. */
	if (write(p[1], "abc", 3) != 3)
		return 1;
	int nread = -1;
	long r = ioctl(p[0], FIONREAD, &nread);
	printf("FIONREAD: %s %d\n", en(r), nread);
	r = ioctl(p[0], TCGETS, &nread);
	printf("TCGETS on a pipe: %s\n", en(r));
	revents("data read end", poll1(p[0], POLLIN | POLLRDNORM));
	select1("data read end", p[0], "r");
	{
		/* Both ends in one call: two descriptors ready. */
		fd_set rs, ws;
		FD_ZERO(&rs); FD_ZERO(&ws);
		FD_SET(p[0], &rs); FD_SET(p[1], &ws); FD_SET(q[0], &rs);
		struct ktimeval tv = { 0, 0 };
		long n = sys_select(q[1] + 1, &rs, &ws, NULL, &tv);
		printf("two ready: %ld p0=%d p1=%d q0=%d\n", n, FD_ISSET(p[0], &rs), FD_ISSET(p[1], &ws), FD_ISSET(q[0], &rs));
	}

	/* A full pipe's write end is not writable; reading a page makes it so.
	 * (Filled from empty a page at a time: Linux counts pages.) */
	static char buf[4096];
	if (read(p[0], buf, 3) != 3)
		return 1;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	long total = 0;
	memset(buf, 'x', sizeof buf);
	for (;;) {
		long w = write(p[1], buf, sizeof buf);
		if (w < 0) {
			printf("filling: stopped with %s\n", en(w));
			break;
		}
		total += w;
	}
	printf("pipe took %ld bytes\n", total);
	revents("full write end", poll1(p[1], POLLOUT));
	select1("full write end", p[1], "w");
	if (read(p[0], buf, 4096) != 4096)
		return 1;
	revents("drained a page", poll1(p[1], POLLOUT));

	/* Timeouts. */
	{
		struct pollfd f = { .fd = q[0], .events = POLLIN };
		long t0 = now_ms();
		long n = sys_poll(&f, 1, 30);
		long dt = now_ms() - t0;
		printf("poll 30ms: %ld revents=%d waited>=25ms=%d\n", n, f.revents, dt >= 25);
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(q[0], &rs);
		struct ktimeval tv = { 0, 30000 };
		t0 = now_ms();
		n = sys_select(q[0] + 1, &rs, NULL, NULL, &tv);
		dt = now_ms() - t0;
		printf("select 30ms: %ld set=%d tv=%ld.%06ld waited>=25ms=%d\n", n, FD_ISSET(q[0], &rs), tv.sec, tv.usec, dt >= 25);
		/* No descriptors at all: a sleep. */
		tv.sec = 0;
		tv.usec = 20000;
		t0 = now_ms();
		n = sys_select(0, NULL, NULL, NULL, &tv);
		dt = now_ms() - t0;
		printf("select nothing 20ms: %ld tv=%ld.%06ld waited>=15ms=%d\n", n, tv.sec, tv.usec, dt >= 15);
		struct ktimespec ts = { 0, 30000000 };
		FD_SET(q[0], &rs);
		n = sys_pselect6(q[0] + 1, &rs, NULL, NULL, &ts, NULL);
		printf("pselect6 30ms: %ld set=%d ts=%ld.%09ld\n", n, FD_ISSET(q[0], &rs), ts.sec, ts.nsec);
		ts.sec = 0;
		ts.nsec = 30000000;
		n = sys_ppoll(&f, 1, &ts, NULL, 8);
		printf("ppoll 30ms: %ld revents=%d ts=%ld.%09ld\n", n, f.revents, ts.sec, ts.nsec);
		/* Ready at once: the time left is written back. */
		tv.sec = 5;
		tv.usec = 0;
		FD_SET(p[0], &rs);
		n = sys_select(p[0] + 1, &rs, NULL, NULL, &tv);
		long left = tv.sec * 1000000 + tv.usec;
		printf("select ready, 5s: %ld left in (4s,5s]=%d\n", n, left > 4000000 && left <= 5000000);
		ts.sec = 5;
		ts.nsec = 0;
		f.fd = p[0];
		n = sys_ppoll(&f, 1, &ts, NULL, 8);
		left = ts.sec * 1000000 + ts.nsec / 1000;
		printf("ppoll ready, 5s: %ld left in (4s,5s]=%d\n", n, left > 4000000 && left <= 5000000);
		ts.sec = 5;
		ts.nsec = 0;
		FD_SET(p[0], &rs);
		n = sys_pselect6(p[0] + 1, &rs, NULL, NULL, &ts, NULL);
		left = ts.sec * 1000000 + ts.nsec / 1000;
		printf("pselect6 ready, 5s: %ld left in (4s,5s]=%d\n", n, left > 4000000 && left <= 5000000);
		/* A zero timeout is not written back; usec past a second carries. */
		tv.sec = 0;
		tv.usec = 0;
		FD_SET(p[0], &rs);
		n = sys_select(p[0] + 1, &rs, NULL, NULL, &tv);
		printf("select ready, 0: %ld tv=%ld.%06ld\n", n, tv.sec, tv.usec);
		tv.sec = 0;
		tv.usec = 1500000;
		FD_SET(p[0], &rs);
		n = sys_select(p[0] + 1, &rs, NULL, NULL, &tv);
		left = tv.sec * 1000000 + tv.usec;
		printf("select usec 1500000: %ld left in (1s,1.5s]=%d\n", n, left > 1000000 && left <= 1500000);
	}

	/* Bad arguments. */
	{
		fd_set rs;
		struct ktimeval tv = { 0, 0 };
		FD_ZERO(&rs);
		close(60);
		FD_SET(60, &rs);
		r = sys_select(61, &rs, NULL, NULL, &tv);
		printf("select closed fd: %s\n", en(r));
		r = sys_select(60, &rs, NULL, NULL, &tv);
		printf("select closed fd beyond nfds: %ld\n", r);
		r = sys_select(-1, NULL, NULL, NULL, &tv);
		printf("select nfds -1: %s\n", en(r));
		FD_ZERO(&rs);
		r = sys_select(FD_SETSIZE, &rs, NULL, NULL, &tv);
		printf("select nfds FD_SETSIZE, nothing set: %ld\n", r);
		/* Far past the descriptor table: cut to its size, never looked at. */
		static unsigned long big[8192 / 64];
		big[8000 / 64] = 1UL << (8000 % 64);
		r = sys_select(8192, (fd_set *)big, NULL, NULL, &tv);
		printf("select nfds 8192, fd 8000 set: %ld\n", r);
		tv.sec = 0;
		tv.usec = -1;
		r = sys_select(0, NULL, NULL, NULL, &tv);
		printf("select usec -1: %s\n", en(r));
		tv.sec = -1;
		tv.usec = 0;
		r = sys_select(0, NULL, NULL, NULL, &tv);
		printf("select sec -1: %s\n", en(r));
		tv.sec = 0;
		r = sys_select(1, (fd_set *)8, NULL, NULL, &tv);
		printf("select bad set pointer: %s\n", en(r));
		struct ktimespec ts = { 0, 1000000000 };
		r = sys_pselect6(0, NULL, NULL, NULL, &ts, NULL);
		printf("pselect6 nsec 1e9: %s\n", en(r));
		r = sys_ppoll(NULL, 0, &ts, NULL, 8);
		printf("ppoll nsec 1e9: %s\n", en(r));
		ts.nsec = 0;
		sigset_t mask;
		sigemptyset(&mask);
		struct { void *p; unsigned long size; } sig = { &mask, 7 };
		r = sys_pselect6(0, NULL, NULL, NULL, &ts, &sig);
		printf("pselect6 sigset size 7: %s\n", en(r));
		sig.size = 8;
		r = sys_pselect6(0, NULL, NULL, NULL, &ts, &sig);
		printf("pselect6 sigset size 8: %ld\n", r);
		r = sys_ppoll(NULL, 0, &ts, &mask, 7);
		printf("ppoll sigset size 7: %s\n", en(r));

		struct pollfd f[3] = { { .fd = 60, .events = POLLIN }, { .fd = -1, .events = POLLIN }, { .fd = p[0], .events = 0 } };
		r = sys_poll(f, 3, 0);
		printf("poll closed, negative, no events: %ld\n", r);
		revents("  closed fd", f[0].revents);
		revents("  fd -1", f[1].revents);
		revents("  no events asked", f[2].revents);
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = 32;
		setrlimit(RLIMIT_NOFILE, &rl);
		static struct pollfd many[33];
		for (int i = 0; i < 33; i++)
			many[i].fd = -1;
		r = sys_poll(many, 33, 0);
		printf("poll nfds 33 > RLIMIT_NOFILE 32: %s\n", en(r));
		r = sys_poll(many, 32, 0);
		printf("poll nfds 32: %ld\n", r);
		r = sys_poll((struct pollfd *)8, 1, 0);
		printf("poll bad pointer: %s\n", en(r));
	}

	/* Hang-ups: the writer closes; the reader closes. */
	close(p[1]);
	revents("writer closed, data left", poll1(p[0], POLLIN));
	select1("writer closed, data left", p[0], "r");
	while (read(p[0], buf, sizeof buf) > 0)
		;
	revents("writer closed, drained", poll1(p[0], POLLIN));
	select1("writer closed, drained", p[0], "r");
	close(q[0]);
	revents("reader closed", poll1(q[1], POLLOUT));
	revents("reader closed, nothing asked", poll1(q[1], 0));
	select1("reader closed", q[1], "rwe");

	/* A file without a poll method: ready both ways, whatever the mode. */
	int nul = open("/dev/null", O_RDONLY);
	revents("/dev/null read-only", poll1(nul, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
	select1("/dev/null read-only", nul, "rwe");
	int tmp = open("/tmp/select_poll.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
	revents("regular file", poll1(tmp, POLLIN | POLLOUT));
	r = ioctl(tmp, FIONREAD, &nread);
	printf("FIONREAD regular empty: %s %d\n", en(r), nread);
	if (write(tmp, "12345", 5) != 5)
		return 1;
	lseek(tmp, 1, SEEK_SET);
	r = ioctl(tmp, FIONREAD, &nread);
	printf("FIONREAD regular at 1 of 5: %s %d\n", en(r), nread);
	close(tmp);
	unlink("/tmp/select_poll.tmp");
	r = ioctl(nul, TIOCGPGRP, &nread);
	printf("TIOCGPGRP on /dev/null: %s\n", en(r));
	r = ioctl(nul, FIOCLEX);
	printf("FIOCLEX: %s cloexec=%d\n", en(r), fcntl(nul, F_GETFD));
	r = ioctl(nul, FIONCLEX);
	printf("FIONCLEX: %s cloexec=%d\n", en(r), fcntl(nul, F_GETFD));
	int on = 1;
	r = ioctl(nul, FIONBIO, &on);
	printf("FIONBIO: %s nonblock=%d\n", en(r), !!(fcntl(nul, F_GETFL) & O_NONBLOCK));
	return 0;
}
