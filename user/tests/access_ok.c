/*
 * access_ok: a system call checks the whole user buffer's range before it
 * does any work, and takes from a pipe only what it could hand over.
 *   - read into a kernel address from /dev/null, an empty non-blocking
 *     pipe, a regular file: EFAULT (not 0, EAGAIN or data);
 *   - read/write with a zero length at a kernel address: EFAULT;
 *   - write from a kernel address to /dev/null: EFAULT (not a count);
 *   - readv/writev with one kernel-address segment: EFAULT, nothing moved;
 *   - read from a pipe into an unmapped buffer: EFAULT, and the data is
 *     still in the pipe for the next read; into a buffer whose second
 *     page is unmapped: the first page's worth, the rest stays;
 *   - EBADF comes before EFAULT (write-only descriptor, kernel buffer).
 * Mirrors: read(2), write(2), readv(2), pipe(7); Linux fs/read_write.c
 *   (vfs_read/vfs_write access_ok), fs/pipe.c (pipe_read).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "testlib.h"

#define KERN ((long)0xffffffff81000000UL)
#define HIGH ((long)0xffff800000000000UL)

static void show(const char *what, long r)
{
	printf("%s: %s\n", what, rc_str(r));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int null = open("/dev/null", O_RDWR);
	show("read(/dev/null, kernel, 10)", syscall(SYS_read, null, KERN, 10));
	show("read(/dev/null, high, 10)", syscall(SYS_read, null, HIGH, 10));
	show("read(/dev/null, kernel, 0)", syscall(SYS_read, null, KERN, 0));
	show("write(/dev/null, kernel, 10)", syscall(SYS_write, null, KERN, 10));
	show("write(/dev/null, kernel, 0)", syscall(SYS_write, null, KERN, 0));
	show("read(/dev/null, user, 0)", syscall(SYS_read, null, 0x10, 0));

	int p[2];
	pipe2(p, O_NONBLOCK);
	show("read(empty nonblocking pipe, kernel, 10)", syscall(SYS_read, p[0], KERN, 10));
	show("read(empty nonblocking pipe, user, 10)", syscall(SYS_read, p[0], 0x10, 10));
	show("read(write end, kernel, 10)", syscall(SYS_read, p[1], KERN, 10));
	show("write(read end, kernel, 10)", syscall(SYS_write, p[0], KERN, 10));

	/* A bad buffer leaves the pipe's data where it was. */
	write(p[1], "hello", 5);
	char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(pages + 4096, 4096);
	show("read(pipe, unmapped, 5)", syscall(SYS_read, p[0], pages + 4096, 5));
	show("read(pipe, kernel, 5)", syscall(SYS_read, p[0], KERN, 5));
	char got[16] = {0};
	show("read(pipe, good, 16)", read(p[0], got, sizeof got));
	printf("  got \"%s\"\n", got);

	/* Eight KiB in the pipe, a buffer whose second page is unmapped. */
	static char big[8192];
	memset(big, 'x', sizeof big);
	show("write(pipe, 8192)", write(p[1], big, sizeof big));
	show("read(pipe, half-mapped, 8192)", syscall(SYS_read, p[0], pages, 8192));
	show("read(pipe, rest)", read(p[0], big, sizeof big));

	/* Vectored: one bad segment fails the call before anything moves. */
	write(p[1], "abc", 3);
	char a[2], b[2];
	struct iovec iov[3] = {{a, 1}, {(void *)KERN, 1}, {b, 1}};
	show("readv(pipe, [ok, kernel, ok])", readv(p[0], iov, 3));
	show("read(pipe) after", read(p[0], got, sizeof got));
	struct iovec wv[2] = {{"zz", 2}, {(void *)KERN, 2}};
	show("writev(pipe, [ok, kernel])", writev(p[1], wv, 2));
	show("read(pipe) after writev", read(p[0], got, sizeof got));

	/* A regular file. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_access_ok_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	write(fd, "0123456789", 10);
	lseek(fd, 0, SEEK_SET);
	show("read(file, kernel, 10)", syscall(SYS_read, fd, KERN, 10));
	show("lseek(file, 0, SEEK_CUR) after", lseek(fd, 0, SEEK_CUR));
	show("pread(file, kernel, 4, 2)", syscall(SYS_pread64, fd, KERN, 4, 2));
	show("pwrite(file, kernel, 4, 2)", syscall(SYS_pwrite64, fd, KERN, 4, 2));
	int wo = open("/dev/null", O_WRONLY);
	show("read(write-only fd, kernel, 10)", syscall(SYS_read, wo, KERN, 10));
	printf("done\n");
	return 0;
}
