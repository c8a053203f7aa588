/*
 * fileshare: descriptors after fork, as the seeds' fileshare2 example
 * (003_*.txt, "fork和写时复制": open foobar.txt, fork, the child sets
 * fd = 1 and writes "TestFs" to stdout, the parent reads "fo" from the
 * file) and what it implies: the descriptor table is copied, the open
 * file descriptions are shared.
 * Checks:
 *   fileshare2: the child's change of its fd variable (and its writes to
 *     stdout) leave the parent reading foobar.txt: "c = fo";
 *   the child closes the descriptor and reuses its number for another
 *     file (open returns the lowest free number): the parent's descriptor
 *     still reads foobar.txt;
 *   shared offsets: a child's read, write and lseek move the parent's
 *     offset; file status flags (O_APPEND via F_SETFL) are shared, the
 *     descriptor flag FD_CLOEXEC is not; an independent open() in the
 *     child has its own offset; dup() shares the offset too;
 *   pipes: data written by two children arrives; a reader gets EAGAIN
 *     (O_NONBLOCK), not EOF, while any writer is left, and EOF (0) once
 *     the last one has exited; a single 200000-byte write(2) larger than
 *     the pipe's capacity blocks until all of it is written, unrepeated;
 *     writing with no reader left: EPIPE when SIGPIPE is ignored, death by
 *     SIGPIPE otherwise;
 *   close-on-exec: pipe2(O_CLOEXEC) write end closed by a child's exec
 *     (the parent's read sees EOF: the self-pipe trick), dup() clears
 *     FD_CLOEXEC, dup3(O_CLOEXEC) and F_DUPFD_CLOEXEC set it; in the
 *     exec'd image only the descriptors without it are open.
 * The text deviates from the seed only in writing "TestFs\n" (6 bytes
 * and a newline) where the seed wrote 7 bytes including the NUL.
 * Mirrors: fork(2) ("The child inherits copies of the parent's set of
 *   open file descriptors... refers to the same open file description"),
 *   open(2) (file descriptions, offsets, status flags), dup(2), pipe(7)
 *   (I/O on pipes, EOF, SIGPIPE, capacity), fcntl(2), execve(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], foobar[96];

static int status_of(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static void fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *fdstate(int fd)
{
	int f = fcntl(fd, F_GETFD);
	if (f < 0)
		return errno == EBADF ? "closed" : "error";
	return f & FD_CLOEXEC ? "open,cloexec" : "open";
}

/* The seed's fileshare2, then the descriptor-reuse variant. */
static void seed_fileshare2(void)
{
	int fd = open(foobar, O_RDWR, 0);
	if (fd < 0)
		fail("open foobar.txt");
	char c[3];
	const char *s = "TestFs\n";
	pid_t pid = fork();
	if (pid == 0) {
		fd = 1; /* stdout */
		write(fd, s, strlen(s));
		_exit(0);
	}
	status_of(pid);
	read(fd, c, 2);
	c[2] = '\0';
	printf("c = %s\n", c);

	/* The child closes fd and opens another file: it gets the same
	 * number back, in its own table only. */
	pid = fork();
	if (pid == 0) {
		close(fd);
		char other[128];
		snprintf(other, sizeof other, "%s/other", dir);
		int again = open(other, O_RDWR | O_CREAT | O_TRUNC, 0644);
		write(again, "other\n", 6);
		_exit(again == fd ? 0 : 1);
	}
	printf("child reused the number: %s\n", status_of(pid) == 0 ? "yes" : "no");
	char rest[16] = { 0 };
	ssize_t n = read(fd, rest, sizeof rest - 1);
	printf("parent still reads foobar.txt: %zd \"%.*s\"\n", n, (int)(n > 0 ? n - 1 : 0), rest);
	close(fd);
}

static void shared_offsets(void)
{
	int fd = open(foobar, O_RDWR);
	if (fd < 0)
		fail("open");
	pid_t pid = fork();
	if (pid == 0) {
		char b[2];
		read(fd, b, 2); /* offset 0 -> 2 */
		_exit(0);
	}
	status_of(pid);
	printf("after the child read 2: offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));

	pid = fork();
	if (pid == 0) {
		lseek(fd, 5, SEEK_SET);
		_exit(0);
	}
	status_of(pid);
	char b[8] = { 0 };
	read(fd, b, 2);
	printf("after the child's lseek(5): read \"%s\"\n", b);

	/* Status flags live in the description, FD_CLOEXEC in the table. */
	pid = fork();
	if (pid == 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		_exit(0);
	}
	status_of(pid);
	printf("O_APPEND set by the child: %s; FD_CLOEXEC: %s\n",
	       fcntl(fd, F_GETFL) & O_APPEND ? "shared" : "not shared",
	       fcntl(fd, F_GETFD) & FD_CLOEXEC ? "shared" : "not shared");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_APPEND);

	/* A child's own open() has its own offset; dup shares. */
	lseek(fd, 0, SEEK_SET);
	pid = fork();
	if (pid == 0) {
		int own = open(foobar, O_RDONLY);
		char x[4];
		read(own, x, 4);
		int d = dup(fd);
		read(d, x, 3);
		_exit(0);
	}
	status_of(pid);
	printf("child's own open read 4, its dup read 3: offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));

	/* Two writers through one description: their writes follow each
	 * other. */
	int w = open(foobar, O_WRONLY | O_TRUNC);
	for (int i = 0; i < 3; i++) {
		pid = fork();
		if (pid == 0) {
			char line[16];
			int len = snprintf(line, sizeof line, "child %d\n", i);
			write(w, line, len);
			_exit(0);
		}
		status_of(pid);
		write(w, "parent\n", 7);
	}
	close(w);
	char all[128] = { 0 };
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, all, sizeof all - 1);
	printf("file after interleaved writes (%zd bytes):\n%s", n, all);
	close(fd);
}

static void pipes(void)
{
	int p[2], go[2];
	if (pipe(p) || pipe(go))
		fail("pipe");
	pid_t a = fork();
	if (a == 0) {
		close(p[0]);
		write(p[1], "from a\n", 7);
		_exit(0);
	}
	pid_t b = fork();
	if (b == 0) {
		close(p[0]);
		close(go[1]);
		char x;
		read(go[0], &x, 1); /* wait for the parent's go */
		write(p[1], "from b\n", 7);
		_exit(0);
	}
	close(p[1]);
	close(go[0]);
	status_of(a);
	char buf[64];
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("read %zd: %.*s", n, (int)(n > 0 ? n : 0), buf);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	n = read(p[0], buf, sizeof buf);
	printf("one writer left, nothing buffered: %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "?");
	fcntl(p[0], F_SETFL, 0);
	write(go[1], "g", 1);
	close(go[1]);
	n = read(p[0], buf, sizeof buf);
	printf("read %zd: %.*s", n, (int)(n > 0 ? n : 0), buf);
	status_of(b);
	n = read(p[0], buf, sizeof buf);
	printf("last writer gone: read returns %zd\n", n);
	close(p[0]);

	/* One write larger than the pipe's capacity (64 KiB). */
	enum { BIG = 200000 };
	static unsigned char big[BIG], got[BIG];
	for (int i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i % 251);
	if (pipe(p))
		fail("pipe");
	pid_t w = fork();
	if (w == 0) {
		close(p[0]);
		ssize_t r = write(p[1], big, BIG);
		_exit(r == BIG ? 0 : r < 0 ? 2 : 1);
	}
	close(p[1]);
	size_t total = 0;
	while (total < BIG) {
		n = read(p[0], got + total, BIG - total);
		if (n <= 0)
			break;
		total += n;
	}
	close(p[0]); /* a writer still going gets EPIPE: the test cannot hang */
	printf("big write: read %zu bytes, %s; writer status %d\n", total,
	       memcmp(big, got, BIG) == 0 ? "intact" : "CORRUPT", status_of(w));

	/* No reader: EPIPE with SIGPIPE ignored, else death by SIGPIPE. */
	for (int ignore = 1; ignore >= 0; ignore--) {
		if (pipe(p))
			fail("pipe");
		close(p[0]);
		pid_t c = fork();
		if (c == 0) {
			if (ignore)
				signal(SIGPIPE, SIG_IGN);
			ssize_t r = write(p[1], "x", 1);
			_exit(r < 0 && errno == EPIPE ? 32 : 0);
		}
		close(p[1]);
		printf("write without reader, SIGPIPE %s: status %d\n", ignore ? "ignored" : "default",
		       status_of(c));
	}
}

static void cloexec(const char *self)
{
	/* The self-pipe trick: the write end is closed by a successful exec. */
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		fail("pipe2");
	int keep = open(foobar, O_RDONLY);
	lseek(keep, 3, SEEK_SET);
	int k2 = dup(keep);               /* plain */
	int c1 = open(foobar, O_RDONLY | O_CLOEXEC);
	int d1 = dup(c1);                 /* dup clears FD_CLOEXEC */
	int d3 = dup3(keep, 20, O_CLOEXEC);
	int dc = fcntl(keep, F_DUPFD_CLOEXEC, 30);
	printf("before exec: keep %s, dup %s, O_CLOEXEC %s, dup of it %s, dup3 %s, F_DUPFD_CLOEXEC %s\n",
	       fdstate(keep), fdstate(k2), fdstate(c1), fdstate(d1), fdstate(d3), fdstate(dc));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char fds[6][12];
		int list[6] = { keep, k2, c1, d1, d3, dc };
		for (int i = 0; i < 6; i++)
			snprintf(fds[i], sizeof fds[i], "%d", list[i]);
		char *argv[] = { "/bin/fileshare", "exec", fds[0], fds[1], fds[2], fds[3], fds[4], fds[5], NULL };
		char *envp[] = { "PATH=/bin", "HOME=/", "TERM=linux", NULL };
		execve(self, argv, envp);
		_exit(127);
	}
	close(p[1]);
	char x;
	ssize_t n = read(p[0], &x, 1);
	int st = status_of(pid); /* print after the child's output */
	printf("parent: pipe2(O_CLOEXEC) write end closed by the exec: read %zd\n", n);
	printf("exec'd child: status %d\n", st);
	close(p[0]);
}

static void exec_image(char **argv)
{
	const char *names[6] = { "keep", "dup", "O_CLOEXEC", "dup of O_CLOEXEC", "dup3", "F_DUPFD_CLOEXEC" };
	for (int i = 0; i < 6; i++)
		printf("after exec: %s %s\n", names[i], fdstate(atoi(argv[2 + i])));
	char b[4] = { 0 };
	read(atoi(argv[2]), b, 3);
	printf("after exec: keep reads \"%s\" at the inherited offset\n", b);
	exit(0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 7 && strcmp(argv[1], "exec") == 0)
		exec_image(argv);

	char self[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		fail("readlink /proc/self/exe");
	self[n] = 0;

	snprintf(dir, sizeof dir, "/tmp/fileshare.%d", (int)getpid());
	if (mkdir(dir, 0755))
		fail("mkdir");
	snprintf(foobar, sizeof foobar, "%s/foobar.txt", dir);
	int fd = open(foobar, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, "foobar\n", 7);
	close(fd);

	printf("== seed fileshare2\n");
	seed_fileshare2();

	fd = open(foobar, O_WRONLY | O_TRUNC);
	write(fd, "0123456789\n", 11);
	close(fd);
	printf("== shared offsets\n");
	shared_offsets();

	printf("== pipes\n");
	pipes();

	fd = open(foobar, O_WRONLY | O_TRUNC);
	write(fd, "abcdefghij\n", 11);
	close(fd);
	printf("== close-on-exec\n");
	cloexec(self);

	char other[128];
	snprintf(other, sizeof other, "%s/other", dir);
	unlink(other);
	unlink(foobar);
	rmdir(dir);
	return 0;
}
