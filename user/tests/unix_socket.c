/*
 * unix_socket: AF_UNIX sockets.
 * Checks: socket()'s errors (EAFNOSUPPORT, ESOCKTNOSUPPORT, EPROTONOSUPPORT,
 *   EINVAL for flags); socketpair of SOCK_STREAM (bytes across writes,
 *   EOF after the peer closes, EPIPE with MSG_NOSIGNAL and SIGPIPE
 *   without), SOCK_DGRAM (message boundaries, MSG_TRUNC) and
 *   SOCK_SEQPACKET; shutdown (SHUT_WR gives the peer EOF, ENOTCONN
 *   unconnected, EINVAL for a bad how); SO_TYPE, SO_PEERCRED on a pair;
 *   SCM_RIGHTS passing a pipe end to a forked child, which then reads
 *   from it; MSG_CTRUNC when the control buffer is too small; bind,
 *   listen, connect and accept on a path (the socket file's type, EADDRINUSE
 *   on a second bind, getsockname/getpeername, SO_PEERCRED of both
 *   ends) and on an abstract name; connect to a missing path ENOENT (as
 *   glibc's nscd probe of /var/run/nscd/socket), to a regular file and
 *   to a path nobody listens on ECONNREFUSED, listen on a datagram
 *   socket EOPNOTSUPP; datagrams by name with sendto/recvfrom; epoll
 *   over a socket; ENOTSOCK for a pipe.
 * Mirrors: unix(7), socket(2), socketpair(2), sendmsg(2), cmsg(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static socklen_t un(struct sockaddr_un *a, const char *path, int abstract)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(a->sun_path + 1, path, strlen(path));
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	}
	strcpy(a->sun_path, path);
	return sizeof *a;
}

static int send_fd(int s, int fd)
{
	char c = 'F';
	struct iovec iov = {&c, 1};
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(s, &m, 0);
}

static int recv_fd(int s, size_t ctlsize, int *flags)
{
	char c;
	struct iovec iov = {&c, 1};
	char ctl[64];
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctlsize};
	if (recvmsg(s, &m, 0) < 0)
		return -2;
	*flags = m.msg_flags;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	show("AF_INET6 stream", socket(AF_INET6 + 100, SOCK_STREAM, 0));
	show("bad type", socket(AF_UNIX, 9, 0));
	show("bad protocol", socket(AF_UNIX, SOCK_STREAM, 7));
	show("bad flag", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));

	int sv[2];
	show("stream pair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	write(sv[0], "abc", 3);
	write(sv[0], "def", 3);
	char buf[64] = {0};
	show("read both writes", read(sv[1], buf, sizeof buf));
	printf("got %s\n", buf);
	int v;
	socklen_t l = sizeof v;
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l);
	printf("SO_TYPE %d len %u\n", v, l);
	struct ucred cr;
	l = sizeof cr;
	show("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
	printf("peer pid is mine %d uid %u gid %u len %u\n", cr.pid == getpid(), cr.uid, cr.gid, l);
	show("bad how", shutdown(sv[0], 5));
	show("shut wr", shutdown(sv[0], SHUT_WR));
	show("peer reads EOF", read(sv[1], buf, sizeof buf));
	show("write after shut", send(sv[0], "x", 1, MSG_NOSIGNAL));
	close(sv[1]);
	show("write to a closed peer", send(sv[0], "x", 1, MSG_NOSIGNAL));
	signal(SIGPIPE, SIG_IGN);
	show("write() with SIGPIPE ignored", write(sv[0], "x", 1));
	close(sv[0]);

	show("dgram pair", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	send(sv[0], "one", 3, 0);
	send(sv[0], "second", 6, 0);
	memset(buf, 0, sizeof buf);
	show("recv first", recv(sv[1], buf, sizeof buf, 0));
	show("recv truncated", recv(sv[1], buf, 2, MSG_TRUNC));
	show("nothing left", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
	show("seqpacket pair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	send(sv[0], "rec1", 4, 0);
	send(sv[0], "rec22", 5, 0);
	show("seq recv 1", recv(sv[1], buf, sizeof buf, 0));
	show("seq recv 2", recv(sv[1], buf, sizeof buf, 0));
	close(sv[0]);
	show("seq after close", recv(sv[1], buf, sizeof buf, 0));
	close(sv[1]);

	/* SCM_RIGHTS to a child. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		int fl = 0;
		int fd = recv_fd(sv[1], sizeof buf, &fl);
		char b[32] = {0};
		ssize_t n = read(fd, b, sizeof b);
		printf("child got a descriptor: %d, read %zd %s\n", fd >= 0, n, b);
		_exit(0);
	}
	close(sv[1]);
	show("send fd", send_fd(sv[0], p[0]));
	close(p[0]);
	write(p[1], "through it", 10);
	close(p[1]);
	waitpid(c, NULL, 0);
	close(sv[0]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(p);
	send_fd(sv[0], p[0]);
	int fl = 0;
	int got = recv_fd(sv[1], 8, &fl);
	printf("small control: fd %d ctrunc %d\n", got, !!(fl & MSG_CTRUNC));
	close(sv[0]);
	close(sv[1]);

	/* A path. */
	struct sockaddr_un a, b;
	socklen_t al = un(&a, "sock", 0);
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind", bind(srv, (struct sockaddr *)&a, al));
	struct stat st;
	stat("sock", &st);
	printf("socket file: %d\n", S_ISSOCK(st.st_mode));
	int srv2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind again", bind(srv2, (struct sockaddr *)&a, al));
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	show("connect before listen", connect(cl, (struct sockaddr *)&a, al));
	show("listen", listen(srv, 5));
	show("connect", connect(cl, (struct sockaddr *)&a, al));
	l = sizeof b;
	int acc = accept(srv, (struct sockaddr *)&b, &l);
	printf("accept: %d addrlen %u\n", acc >= 0, l);
	l = sizeof b;
	getpeername(cl, (struct sockaddr *)&b, &l);
	printf("client's peer: %s\n", b.sun_path);
	l = sizeof b;
	getsockname(srv, (struct sockaddr *)&b, &l);
	printf("server's name: %s len %u\n", b.sun_path, l);
	l = sizeof cr;
	getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &cr, &l);
	printf("accepted's peer is me: %d\n", cr.pid == getpid());
	write(cl, "hi server", 9);
	memset(buf, 0, sizeof buf);
	read(acc, buf, sizeof buf);
	printf("server read: %s\n", buf);

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, acc, &ev);
	show("epoll idle", epoll_wait(ep, &out, 1, 0));
	write(cl, "x", 1);
	show("epoll readable", epoll_wait(ep, &out, 1, 1000));
	close(cl);
	show("read x", read(acc, buf, sizeof buf));
	show("EOF after client closed", read(acc, buf, sizeof buf));
	close(acc);
	close(srv);
	close(srv2);
	unlink("sock");

	/* Abstract names, and datagrams by name. */
	al = un(&a, "tine-unix-socket-test", 1);
	int d1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("bind abstract", bind(d1, (struct sockaddr *)&a, al));
	show("listen on dgram", listen(d1, 1));
	int d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("sendto", sendto(d2, "hello", 5, 0, (struct sockaddr *)&a, al));
	memset(buf, 0, sizeof buf);
	l = sizeof b;
	show("recvfrom", recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&b, &l));
	printf("from unnamed: len %u\n", l);
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("stream to a dgram name", connect(s2, (struct sockaddr *)&a, al));
	close(d1);
	show("sendto after close", sendto(d2, "x", 1, 0, (struct sockaddr *)&a, al));

	/* What glibc's nscd probe and friends meet. */
	int n = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	al = un(&a, "/var/run/nscd/socket", 0);
	show("nscd probe", connect(n, (struct sockaddr *)&a, al));
	int f = open("plain", O_CREAT | O_WRONLY, 0644);
	close(f);
	al = un(&a, "plain", 0);
	show("connect to a file", connect(n, (struct sockaddr *)&a, al));
	unlink("plain");
	show("recv unconnected", recv(n, buf, 1, 0));
	show("shutdown unconnected", shutdown(n, SHUT_RDWR));
	pipe(p);
	show("ENOTSOCK", shutdown(p[0], SHUT_RDWR));
	return 0;
}
