/*
 * unix_more: AF_UNIX sockets beyond unix_socket's basics.
 * Checks: descriptor-passing cycles are collected (each end of a pair
 *   sent through itself, then both closed; a listener sent to its own
 *   unaccepted connection, then closed: the accounting at init exit
 *   catches a leak); a socket in flight through a live socket is not
 *   collected and works once received; a blocking stream write, send and
 *   sendmsg (with SCM_RIGHTS) larger than the socket buffer block until
 *   a slow reader has taken everything, and the descriptor arrives once;
 *   a signal without SA_RESTART ends a blocked write with the partial
 *   count, or EINTR when nothing was written, and with SA_RESTART the
 *   write goes on; autobind: bind with only the family gives an abstract
 *   name of a NUL and five hex digits (again: 0 and the same name, a
 *   named bind after it EINVAL); an unbound datagram sender has no
 *   address at the receiver, but one with SO_PASSCRED is autobound and
 *   seen by recvfrom under its name; a stream connect with SO_PASSCRED
 *   autobinds too and accept() sees the name.
 * Mirrors: unix(7) (autobind, SCM_RIGHTS), net/unix/garbage.c unix_gc(),
 *   unix_stream_sendmsg(), unix_autobind().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (1 << 20)

static int send_fd(int s, int fd)
{
	char byte = 'f';
	struct iovec iov = {&byte, 1};
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof ctl);
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(s, &m, 0);
}

static int recv_fd(int s)
{
	char byte;
	struct iovec iov = {&byte, 1};
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	if (recvmsg(s, &m, 0) < 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* A child that reads `total` bytes slowly from `s` and exits 0 if it got
 * them all (and `want_fd` descriptors on the way). */
static pid_t slow_reader(int s, long total, int want_fd)
{
	pid_t c = fork();
	if (c)
		return c;
	static char buf[65536];
	long got = 0;
	int fds = 0;
	usleep(100000);
	while (got < total) {
		char ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {buf, sizeof buf};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
		long n = recvmsg(s, &m, 0);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++)
			if (buf[i] != (char)((got + i) * 7))
				_exit(3);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
			close(fd);
			fds++;
		}
		got += n;
	}
	_exit(got == total && fds == want_fd ? 0 : 1);
}

static int reap(pid_t c)
{
	int st;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void show_name(const char *what, struct sockaddr_un *a, socklen_t len)
{
	int hex = len == offsetof(struct sockaddr_un, sun_path) + 6 && a->sun_path[0] == 0;
	for (int i = 1; hex && i < 6; i++)
		hex = strchr("0123456789abcdef", a->sun_path[i]) && a->sun_path[i];
	printf("%s: len %u, autobind form %d\n", what, (unsigned)len, hex);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	int sv[2];

	/* A cycle: each end sent through itself, both closed. */
	for (int i = 0; i < 3; i++) {
		socketpair(AF_UNIX, i == 2 ? SOCK_DGRAM : SOCK_STREAM, 0, sv);
		printf("cycle %d: send %d %d\n", i, send_fd(sv[0], sv[0]), send_fd(sv[1], i ? sv[0] : sv[1]));
		close(sv[0]);
		close(sv[1]);
	}

	/* A listener sent to its own unaccepted connection, then closed. */
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un la = {AF_UNIX, "\0unix_more.listener"};
	socklen_t lalen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(la.sun_path + 1);
	bind(l, (struct sockaddr *)&la, lalen);
	listen(l, 4);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("connect %d\n", connect(c, (struct sockaddr *)&la, lalen));
	printf("listener to its connection: %d\n", send_fd(c, l));
	close(l);
	close(c);

	/* In flight through a live socket: not collected. */
	int xy[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	socketpair(AF_UNIX, SOCK_STREAM, 0, xy);
	send_fd(sv[0], xy[0]);
	close(xy[0]);
	/* Another socket closed meanwhile (Linux runs its collector then). */
	close(socket(AF_UNIX, SOCK_DGRAM, 0));
	int x = recv_fd(sv[1]);
	write(xy[1], "hi", 2);
	char buf[8] = "";
	printf("in flight, received: %d %.*s\n", x >= 0, (int)read(x, buf, sizeof buf), buf);
	close(x);
	close(xy[1]);
	close(sv[0]);
	close(sv[1]);

	/* Larger than the buffer: write, send and sendmsg block until all is read. */
	char *big = malloc(BIG);
	for (long i = 0; i < BIG; i++)
		big[i] = (char)(i * 7);
	for (int how = 0; how < 3; how++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pid_t r = slow_reader(sv[1], BIG, how == 2);
		close(sv[1]);
		long n;
		if (how == 0) {
			n = write(sv[0], big, BIG);
		} else if (how == 1) {
			n = send(sv[0], big, BIG, 0);
		} else {
			int p[2];
			pipe(p);
			struct iovec iov[2] = {{big, BIG / 2}, {big + BIG / 2, BIG / 2}};
			char ctl[CMSG_SPACE(sizeof(int))];
			memset(ctl, 0, sizeof ctl);
			struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl, .msg_controllen = sizeof ctl};
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
			n = sendmsg(sv[0], &m, 0);
			close(p[0]);
			close(p[1]);
		}
		close(sv[0]);
		printf("big %s: %ld, reader %d\n", how == 0 ? "write" : how == 1 ? "send" : "sendmsg", n, reap(r));
	}

	/* A signal ends a blocked write: partial count, then EINTR. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct itimerval it = {{0, 0}, {0, 200000}};
	setitimer(ITIMER_REAL, &it, NULL);
	long n = write(sv[0], big, BIG);
	printf("interrupted write: partial %d\n", n > 0 && n < BIG);
	setitimer(ITIMER_REAL, &it, NULL);
	n = write(sv[0], big, BIG);
	printf("interrupted write, full buffer: %ld %s\n", n, strerror(errno));
	/* With SA_RESTART the write goes on until a reader takes it all. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	pid_t r = fork();
	if (r == 0) {
		close(sv[0]);
		usleep(400000);
		static char sink[65536];
		long got = 0;
		while (got < 2L * BIG) {
			long k = read(sv[1], sink, sizeof sink);
			if (k <= 0)
				break;
			got += k;
		}
		_exit(0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	n = write(sv[0], big, BIG);
	printf("restarted write: %ld\n", n);
	close(sv[0]);
	close(sv[1]);
	reap(r);
	free(big);

	/* Autobind. */
	struct sockaddr_un a, b;
	socklen_t alen, blen;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	printf("autobind: %d\n", bind(s, (struct sockaddr *)&fam, sizeof(sa_family_t)));
	alen = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &alen);
	show_name("autobind name", &a, alen);
	printf("autobind again: %d\n", bind(s, (struct sockaddr *)&fam, sizeof(sa_family_t)));
	blen = sizeof b;
	getsockname(s, (struct sockaddr *)&b, &blen);
	printf("same name: %d\n", alen == blen && memcmp(&a, &b, alen) == 0);
	struct sockaddr_un named = {AF_UNIX, "\0unix_more.named"};
	int rc = bind(s, (struct sockaddr *)&named, sizeof named);
	printf("named bind after: %d %s\n", rc, strerror(errno));
	struct sockaddr_un badfam = {.sun_family = AF_INET};
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	rc = bind(t, (struct sockaddr *)&badfam, sizeof(sa_family_t));
	printf("autobind, wrong family: %d %s\n", rc, strerror(errno));
	close(t);
	close(s);

	int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un ra = {AF_UNIX, "\0unix_more.rx"};
	socklen_t ralen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ra.sun_path + 1);
	bind(rx, (struct sockaddr *)&ra, ralen);
	int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
	sendto(tx, "x", 1, 0, (struct sockaddr *)&ra, ralen);
	alen = sizeof a;
	recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&a, &alen);
	printf("unbound sender: address length %u\n", (unsigned)alen);
	int one = 1;
	setsockopt(tx, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	sendto(tx, "x", 1, 0, (struct sockaddr *)&ra, ralen);
	alen = sizeof a;
	recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&a, &alen);
	show_name("SO_PASSCRED sender", &a, alen);
	blen = sizeof b;
	getsockname(tx, (struct sockaddr *)&b, &blen);
	printf("is its name: %d\n", alen == blen && memcmp(&a, &b, alen) == 0);
	close(tx);
	close(rx);

	l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&la, lalen);
	listen(l, 4);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	connect(c, (struct sockaddr *)&la, lalen);
	alen = sizeof a;
	int acc = accept(l, (struct sockaddr *)&a, &alen);
	show_name("accepted SO_PASSCRED peer", &a, alen);
	blen = sizeof b;
	getsockname(c, (struct sockaddr *)&b, &blen);
	printf("is its name: %d\n", alen == blen && memcmp(&a, &b, alen) == 0);
	close(acc);
	close(c);
	close(l);
	return 0;
}
