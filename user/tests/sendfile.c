/*
 * sendfile: copying between descriptors with sendfile(2).
 * Checks: file to file with an offset pointer (the offset advances, the
 *   source's own offset does not) and without one (the source's offset
 *   moves); a short count at the end of the file, 0 past it; into a pipe
 *   and to stdout; count 0; errors: EBADF for a source not open for
 *   reading and a destination not open for writing, ESPIPE for an offset
 *   on a pipe, EINVAL for a pipe as the source, a negative offset, an
 *   O_APPEND destination; EFAULT for a bad offset pointer.
 * Mirrors: sendfile(2) (EBADF, EINVAL, ESPIPE, EFAULT; "If offset is not
 *   NULL ... sendfile() does not modify the file offset of in_fd").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

static void show(const char *what, ssize_t r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %zd\n", what, r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char src[] = "/tmp/sfsrcXXXXXX", dst[] = "/tmp/sfdstXXXXXX";
	int in = mkstemp(src), out = mkstemp(dst);
	char data[10000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = 'a' + i % 26;
	write(in, data, sizeof data);
	lseek(in, 0, SEEK_SET);

	off_t off = 100;
	show("with offset", sendfile(out, in, &off, 5000));
	printf("offset now %lld, source offset %lld, destination offset %lld\n", (long long)off,
	       (long long)lseek(in, 0, SEEK_CUR), (long long)lseek(out, 0, SEEK_CUR));
	show("without offset", sendfile(out, in, NULL, 3000));
	printf("source offset %lld\n", (long long)lseek(in, 0, SEEK_CUR));
	off = 9990;
	show("short at the end", sendfile(out, in, &off, 100));
	show("past the end", sendfile(out, in, &off, 100));
	show("count 0", sendfile(out, in, NULL, 0));
	char back[8100];
	ssize_t n = pread(out, back, sizeof back, 0);
	printf("destination holds %zd bytes, right ones %d\n", n,
	       n == 8010 && memcmp(back, data + 100, 5000) == 0 && memcmp(back + 5000, data, 3000) == 0 &&
		       memcmp(back + 8000, data + 9990, 10) == 0);

	int p[2];
	pipe(p);
	off = 0;
	show("into a pipe", sendfile(p[1], in, &off, 26));
	char pb[64] = { 0 };
	read(p[0], pb, sizeof pb);
	printf("pipe got %s\n", pb);
	off = 0;
	printf("to stdout: ");
	sendfile(1, in, &off, 10);
	printf("\n");

	int wo = open(src, O_WRONLY), ro = open(dst, O_RDONLY), ap = open(dst, O_WRONLY | O_APPEND);
	show("source write-only", sendfile(out, wo, NULL, 10));
	show("destination read-only", sendfile(ro, in, NULL, 10));
	off = 0;
	show("offset on a pipe", sendfile(out, p[0], &off, 10));
	write(p[1], "xyz", 3);
	show("pipe as the source", sendfile(out, p[0], NULL, 10));
	off = -1;
	show("negative offset", sendfile(out, in, &off, 10));
	show("append destination", sendfile(ap, in, NULL, 10));
	show("bad offset pointer", sendfile(out, in, (off_t *)8, 10));
	show("bad source", sendfile(out, 99, NULL, 10));
	unlink(src);
	unlink(dst);
	return 0;
}
