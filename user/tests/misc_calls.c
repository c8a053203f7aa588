/*
 * misc_calls: system calls that glibc-built programs and Linux's own
 * tests call and that once answered ENOSYS: creat, close_range,
 * personality, kcmp, fallocate, msync. Each with its errors.
 * Mirrors: creat(2) (open(2)), close_range(2), personality(2), kcmp(2),
 *   fallocate(2), msync(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void show(const char *what, long r)
{
	printf("%s: %s\n", what, rc_str(r));
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_creat(const char *dir)
{
	char path[128];
	snprintf(path, sizeof path, "%s/creat", dir);
	int fd = syscall(SYS_creat, path, 0640);
	show("creat", fd >= 0 ? 0 : -1);
	show("write to creat fd", write(fd, "abcdef", 6));
	char b[4];
	show("read from creat fd (write-only)", read(fd, b, 4));
	struct stat st;
	fstat(fd, &st);
	printf("  mode %o size %ld\n", st.st_mode & 07777, (long)st.st_size);
	close(fd);
	fd = syscall(SYS_creat, path, 0600);
	fstat(fd, &st);
	printf("  creat again truncates: size %ld, mode kept %o\n", (long)st.st_size, st.st_mode & 07777);
	close(fd);
	show("creat in a missing dir", syscall(SYS_creat, "/nonexistent/x", 0600));
}

static void test_close_range(void)
{
	int base = 100;
	for (int i = 0; i < 10; i++)
		dup2(1, base + i);
	show("close_range(105, 103)", syscall(SYS_close_range, 105, 103, 0));
	show("close_range(bad flags)", syscall(SYS_close_range, 100, 101, 1));
	show("close_range(102, 104, 0)", syscall(SYS_close_range, base + 2, base + 4, 0));
	printf("  open 100..109:");
	for (int i = 0; i < 10; i++)
		printf(" %d", is_open(base + i));
	printf("\n");
	show("close_range(105, ~0U, CLOEXEC)", syscall(SYS_close_range, base + 5, ~0U, 4));
	printf("  cloexec 100..109:");
	for (int i = 0; i < 10; i++)
		printf(" %d", is_open(base + i) ? fcntl(base + i, F_GETFD) & FD_CLOEXEC : -1);
	printf("\n");
	show("close_range(100, ~0U, 0)", syscall(SYS_close_range, base, ~0U, 0));
	printf("  open 100..109 after:");
	for (int i = 0; i < 10; i++)
		printf(" %d", is_open(base + i));
	printf("\n");
	show("close_range(1000, 2000) beyond the table", syscall(SYS_close_range, 1000, 2000, 0));
}

static void test_personality(void)
{
	show("personality(query)", syscall(SYS_personality, 0xffffffff));
	show("personality(ADDR_NO_RANDOMIZE)", syscall(SYS_personality, 0x0040000));
	show("personality(query)", syscall(SYS_personality, 0xffffffff));
	pid_t p = fork();
	if (p == 0) {
		printf("  child inherits: %ld\n", syscall(SYS_personality, 0xffffffff));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	show("personality(0)", syscall(SYS_personality, 0));
}

static void test_kcmp(void)
{
	pid_t me = getpid();
	int d = dup(1);
	printf("kcmp FILE 1 vs dup: %s\n", syscall(SYS_kcmp, me, me, 0, 1, d) == 0 ? "same" : "different");
	int p[2];
	pipe(p);
	printf("kcmp FILE pipe ends: %s\n", syscall(SYS_kcmp, me, me, 0, p[0], p[1]) == 0 ? "same" : "different");
	show("kcmp FILE bad fd", syscall(SYS_kcmp, me, me, 0, 1, 999));
	show("kcmp bad type", syscall(SYS_kcmp, me, me, 99, 0, 0));
	show("kcmp no such pid", syscall(SYS_kcmp, me, 999999, 1, 0, 0));
	int go[2];
	pipe(go);
	pid_t c = fork();
	if (c == 0) {
		char x;
		read(go[0], &x, 1);
		_exit(0);
	}
	printf("kcmp VM parent/fork child: %s\n", syscall(SYS_kcmp, me, c, 1, 0, 0) == 0 ? "same" : "different");
	printf("kcmp FILES parent/fork child: %s\n", syscall(SYS_kcmp, me, c, 2, 0, 0) == 0 ? "same" : "different");
	printf("kcmp FILE inherited fd: %s\n", syscall(SYS_kcmp, me, c, 0, p[0], p[0]) == 0 ? "same" : "different");
	printf("kcmp SIGHAND: %s\n", syscall(SYS_kcmp, me, c, 4, 0, 0) == 0 ? "same" : "different");
	write(go[1], "x", 1);
	waitpid(c, NULL, 0);
	close(d);
	close(p[0]);
	close(p[1]);
}

static void test_fallocate(const char *dir)
{
	char path[128];
	snprintf(path, sizeof path, "%s/falloc", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct stat st;
	show("fallocate(0, 0, 10000)", fallocate(fd, 0, 0, 10000));
	fstat(fd, &st);
	printf("  size %ld\n", (long)st.st_size);
	show("fallocate(KEEP_SIZE, 0, 50000)", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 50000));
	fstat(fd, &st);
	printf("  size %ld\n", (long)st.st_size);
	show("fallocate(0, 100, 50)", fallocate(fd, 0, 100, 50));
	fstat(fd, &st);
	printf("  size %ld (not shrunk)\n", (long)st.st_size);
	char buf[32];
	memset(buf, 'q', sizeof buf);
	pwrite(fd, buf, sizeof buf, 0);
	show("fallocate(PUNCH_HOLE|KEEP_SIZE, 8, 8)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 8, 8));
	pread(fd, buf, sizeof buf, 0);
	printf("  data:");
	for (int i = 0; i < 24; i++)
		printf("%c", buf[i] ? buf[i] : '.');
	printf("\n");
	show("fallocate(PUNCH_HOLE) without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 8));
	show("fallocate(0x1000 unknown)", fallocate(fd, 0x1000, 0, 8));
	show("fallocate(len 0)", fallocate(fd, 0, 0, 0));
	show("fallocate(offset -1)", fallocate(fd, 0, -1, 10));
	int ro = open(path, O_RDONLY);
	show("fallocate(read-only fd)", fallocate(ro, 0, 0, 10));
	int p[2];
	pipe(p);
	show("fallocate(pipe)", fallocate(p[1], 0, 0, 10));
	int null = open("/dev/null", O_WRONLY);
	show("fallocate(/dev/null)", fallocate(null, 0, 0, 10));
	show("fallocate(bad fd)", fallocate(999, 0, 0, 10));
	close(fd);
	close(ro);
	close(null);
	close(p[0]);
	close(p[1]);
	unlink(path);
}

static void test_msync(void)
{
	long pg = 4096;
	char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("msync(whole, MS_SYNC)", msync(m, 4 * pg, MS_SYNC));
	show("msync(whole, MS_ASYNC)", msync(m, 4 * pg, MS_ASYNC));
	show("msync(unaligned)", msync(m + 1, pg, MS_SYNC));
	show("msync(ASYNC|SYNC)", msync(m, pg, MS_SYNC | MS_ASYNC));
	show("msync(bad flag)", msync(m, pg, 8));
	show("msync(len 0)", msync(m, 0, MS_SYNC));
	munmap(m + pg, pg);
	show("msync(over a hole)", msync(m, 4 * pg, MS_SYNC));
	show("msync(unmapped)", msync(m + pg, pg, MS_SYNC));
	mlock(m, pg);
	show("msync(locked, INVALIDATE)", msync(m, pg, MS_INVALIDATE));
	show("msync(locked, SYNC)", msync(m, pg, MS_SYNC));
	munmap(m, 4 * pg);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/tine_misc_%d", getpid());
	mkdir(dir, 0755);
	umask(022);
	test_creat(dir);
	test_close_range();
	test_personality();
	test_kcmp();
	test_fallocate(dir);
	test_msync();
	char path[128];
	snprintf(path, sizeof path, "%s/creat", dir);
	unlink(path);
	rmdir(dir);
	printf("done\n");
	return 0;
}
