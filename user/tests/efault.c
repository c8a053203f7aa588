/*
 * efault: syscalls handed bad user pointers must fail with EFAULT
 * instead of crashing the process or the kernel; then a real NULL store
 * kills the process with SIGSEGV (exit status 139 = 128 + 11).
 * Checks (raw syscalls, so no libc/vDSO touches the pointer first):
 *   write(pipe, 0x10, 10), write(pipe, kernel addr, 10) -> EFAULT
 *   write(pipe, 0x10, 0) -> 0 (zero-length is not checked)
 *   read(tmp file, 0x10 / kernel addr, 10) -> EFAULT
 *   clock_gettime, gettimeofday, uname, fstat, pipe with bad pointers,
 *   open/stat with a bad path pointer -> EFAULT
 * Mirrors: errors "EFAULT" in write(2), read(2), clock_gettime(2),
 *   gettimeofday(2), uname(2), stat(2), pipe(2), open(2); signal(7).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define BAD  ((long)0x10)
#define KERN ((long)0xffffffff81000000UL)

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? en(errno) : "");
}

#define T(what, call) do { errno = 0; long r_ = (call); show(what, r_); } while (0)

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core file in the host cwd */

	int p[2];
	if (pipe(p) != 0)
		return 1;
	T("write(pipe, 0x10, 10)", syscall(SYS_write, p[1], BAD, 10));
	T("write(pipe, 0xffffffff81000000, 10)", syscall(SYS_write, p[1], KERN, 10));
	T("write(pipe, 0x10, 0)", syscall(SYS_write, p[1], BAD, 0));
	T("write(1, 0x10, 10)", syscall(SYS_write, 1, BAD, 10));

	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_efault_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	printf("open tmp file: %s\n", fd >= 0 ? "ok" : en(errno));
	if (fd < 0)
		return 1;
	unlink(path);
	T("write(fd, \"0123456789abcdef\", 16)", syscall(SYS_write, fd, "0123456789abcdef", 16));
	lseek(fd, 0, SEEK_SET);
	T("read(fd, 0x10, 10)", syscall(SYS_read, fd, BAD, 10));
	T("read(fd, 0xffffffff81000000, 10)", syscall(SYS_read, fd, KERN, 10));
	char buf[32] = {0};
	T("read(fd, buf, 10) after faults (offset unchanged)", syscall(SYS_read, fd, buf, 10));
	printf("buf=\"%s\"\n", buf);
	close(fd);

	T("clock_gettime(CLOCK_MONOTONIC, 0x10)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD));
	T("clock_gettime(CLOCK_REALTIME, kernel addr)", syscall(SYS_clock_gettime, CLOCK_REALTIME, KERN));
	T("gettimeofday(0x10, NULL)", syscall(SYS_gettimeofday, BAD, 0));
	T("uname(NULL)", syscall(SYS_uname, 0));
	T("uname(kernel addr)", syscall(SYS_uname, KERN));
	T("fstat(1, 0x10)", syscall(SYS_fstat, 1, BAD));
	T("pipe(0x10)", syscall(SYS_pipe, BAD));
	T("open(0x10, O_RDONLY)", syscall(SYS_open, BAD, O_RDONLY));
	T("open(kernel addr, O_RDONLY)", syscall(SYS_open, KERN, O_RDONLY));
	T("stat(\"/tmp\", 0x10)", syscall(SYS_stat, "/tmp", BAD));
	close(p[0]);
	close(p[1]);

	printf("now storing through NULL: expect SIGSEGV (status 139)\n");
	fflush(stdout);
	/* asm, so the compiler cannot treat the NULL store as UB and drop it */
	__asm__ volatile("movl $42, (%0)" : : "r"((void *)0) : "memory");
	printf("still alive?!\n");
	return 0;
}
