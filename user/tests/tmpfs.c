/*
 * tmpfs: basic file and directory syscalls on the writable /tmp.
 * Checks: open O_CREAT|O_EXCL (again -> EEXIST), write, lseek SEEK_SET/
 * CUR/END (negative result or bad whence -> EINVAL), read, pread, fstat
 * size/type/mode, holes after seeking past EOF, ftruncate grow (zeros)
 * and shrink, lowest-fd reuse, O_WRONLY read / O_RDONLY write -> EBADF,
 * close of a bad fd -> EBADF, O_DIRECTORY on a file and a path through a
 * file -> ENOTDIR, missing parent -> ENOENT, opening a directory for
 * writing -> EISDIR, stat/newfstatat/statx agreement, mkdir (again ->
 * EEXIST), rmdir of non-empty dir -> ENOTEMPTY, rmdir of a file ->
 * ENOTDIR, unlink of a dir -> EISDIR, unlink then open -> ENOENT.
 * Mirrors: open(2), read(2), write(2), lseek(2), stat(2), statx(2),
 *   truncate(2), close(2), mkdir(2), rmdir(2), unlink(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

struct kstatx_ts { int64_t sec; uint32_t nsec; int32_t pad; };
struct kstatx {
	uint32_t mask, blksize; uint64_t attributes;
	uint32_t nlink, uid, gid; uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct kstatx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

static long show(const char *what, long r)
{
	if (r < 0) printf("%s: -1 %s\n", what, en(errno));
	else printf("%s: %ld\n", what, r);
	return r;
}
static int ok(const char *what, long r) /* for fds: print ok instead of the number */
{
	if (r < 0) printf("%s: -1 %s\n", what, en(errno));
	else printf("%s: ok\n", what);
	return (int)r;
}
static const char *type(unsigned m)
{
	return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : "other";
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	char F[64], D[64], p[128];
	snprintf(F, sizeof F, "/tmp/tine_tmpfs_%d.f", getpid());
	snprintf(D, sizeof D, "/tmp/tine_tmpfs_%d.d", getpid());

	int fd = ok("open(F, O_CREAT|O_EXCL|O_RDWR, 0644)", open(F, O_CREAT | O_EXCL | O_RDWR, 0644));
	ok("open(F, O_CREAT|O_EXCL) again", open(F, O_CREAT | O_EXCL | O_RDWR, 0644));
	show("write(fd, \"hello world\\n\", 12)", write(fd, "hello world\n", 12));
	show("lseek(fd, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
	show("lseek(fd, 6, SEEK_SET)", lseek(fd, 6, SEEK_SET));
	char b[64] = {0};
	show("read(fd, 5)", read(fd, b, 5));
	printf("  data=\"%s\"\n", b);
	show("lseek(fd, -5, SEEK_CUR)", lseek(fd, -5, SEEK_CUR));
	show("lseek(fd, 0, SEEK_END)", lseek(fd, 0, SEEK_END));
	show("read at EOF", read(fd, b, 5));
	show("lseek(fd, -12, SEEK_END)", lseek(fd, -12, SEEK_END));
	show("lseek(fd, -1, SEEK_SET)", lseek(fd, -1, SEEK_SET));
	show("lseek(fd, -100, SEEK_CUR)", lseek(fd, -100, SEEK_CUR));
	show("lseek(fd, -13, SEEK_END)", lseek(fd, -13, SEEK_END));
	show("lseek(fd, 0, 99)", lseek(fd, 0, 99));
	show("offset unchanged by failed lseeks", lseek(fd, 0, SEEK_CUR));
	memset(b, 0, sizeof b);
	show("pread(fd, 4, off 2)", pread(fd, b, 4, 2));
	printf("  data=\"%s\"\n", b);

	struct stat st;
	show("fstat(fd)", fstat(fd, &st));
	printf("  size=%lld type=%s mode=%03o nlink=%lu uid=%u gid=%u\n", (long long)st.st_size,
	       type(st.st_mode), (unsigned)st.st_mode & 07777, (unsigned long)st.st_nlink,
	       (unsigned)st.st_uid, (unsigned)st.st_gid);

	show("ftruncate(fd, 20)", ftruncate(fd, 20));
	memset(b, 'x', sizeof b);
	show("pread(fd, 64, off 10)", pread(fd, b, 64, 10));
	printf("  bytes 10..11 are 'd','\\n': %s, 12..19 zero: %s\n",
	       b[0] == 'd' && b[1] == '\n' ? "yes" : "no",
	       memcmp(b + 2, "\0\0\0\0\0\0\0\0", 8) == 0 ? "yes" : "no");
	show("ftruncate(fd, 5)", ftruncate(fd, 5));
	fstat(fd, &st);
	printf("  size=%lld\n", (long long)st.st_size);
	show("ftruncate(fd, -1)", ftruncate(fd, -1));
	show("lseek(fd, 8, SEEK_SET)", lseek(fd, 8, SEEK_SET));
	show("write(fd, \"!\", 1) past EOF", write(fd, "!", 1));
	memset(b, 'x', sizeof b);
	show("pread(fd, 64, off 0)", pread(fd, b, 64, 0));
	printf("  \"%.5s\" hole zero: %s last='%c'\n", b, memcmp(b + 5, "\0\0\0", 3) == 0 ? "yes" : "no", b[8]);

	int fd2 = open(F, O_RDONLY);
	close(fd2);
	int fd3 = open(F, O_WRONLY);
	printf("closed fd number reused: %s\n", fd3 == fd2 ? "yes" : "no");
	show("read(O_WRONLY fd)", read(fd3, b, 1));
	close(fd3);
	fd3 = open(F, O_RDONLY);
	show("write(O_RDONLY fd)", write(fd3, "a", 1));
	close(fd3);
	show("close(fd3) again", close(fd3));
	show("close(12345)", close(12345));
	show("close(-1)", close(-1));

	snprintf(p, sizeof p, "%s/x", F);
	ok("open(F/x) through a file", open(p, O_RDONLY));
	ok("open(F, O_DIRECTORY)", open(F, O_RDONLY | O_DIRECTORY));
	snprintf(p, sizeof p, "%s/missing/x", D);
	ok("open(D/missing/x, O_CREAT) before mkdir", open(p, O_CREAT | O_RDWR, 0644));

	show("mkdir(D, 0755)", mkdir(D, 0755));
	show("mkdir(D) again", mkdir(D, 0755));
	ok("open(D/missing/x, O_CREAT)", open(p, O_CREAT | O_RDWR, 0644));
	ok("open(D, O_WRONLY)", open(D, O_WRONLY));
	int dfd = ok("open(D, O_RDONLY|O_DIRECTORY)", open(D, O_RDONLY | O_DIRECTORY));
	close(dfd);

	struct stat s1, s2;
	struct kstatx sx;
	const char *names[2] = {F, D};
	for (int i = 0; i < 2; i++) {
		memset(&s1, 0, sizeof s1); memset(&s2, 0, sizeof s2); memset(&sx, 0, sizeof sx);
		long r1 = stat(names[i], &s1);
		long r2 = syscall(SYS_newfstatat, AT_FDCWD, names[i], &s2, 0);
		long r3 = syscall(SYS_statx, AT_FDCWD, names[i], 0, 0x7ffU /* STATX_BASIC_STATS */, &sx);
		printf("%s: stat=%ld newfstatat=%ld statx=%ld%s%s\n", i ? "D" : "F", r1, r2, r3,
		       r3 < 0 ? " " : "", r3 < 0 ? en(errno) : "");
		printf("  stat: type=%s mode=%03o%s\n", type(s1.st_mode), (unsigned)s1.st_mode & 07777,
		       i ? "" : (s1.st_size == 9 ? " size=9" : " size!=9"));
		printf("  newfstatat agrees (mode,size,ino): %s\n", s2.st_mode == s1.st_mode &&
		       s2.st_size == s1.st_size && s2.st_ino == s1.st_ino ? "yes" : "no");
		printf("  statx mask has TYPE|MODE|SIZE|INO: %s, agrees (mode,size,ino): %s\n",
		       (sx.mask & 0x303) == 0x303 ? "yes" : "no",
		       sx.mode == s1.st_mode && sx.size == (uint64_t)s1.st_size &&
		       sx.ino == s1.st_ino ? "yes" : "no");
	}

	snprintf(p, sizeof p, "%s/inner", D);
	int ifd = ok("open(D/inner, O_CREAT)", open(p, O_CREAT | O_WRONLY, 0600));
	close(ifd);
	show("rmdir(D) non-empty", rmdir(D));
	show("rmdir(F)", rmdir(F));
	show("unlink(D)", unlink(D));
	show("unlink(D/inner)", unlink(p));
	show("rmdir(D)", rmdir(D));
	show("rmdir(D) again", rmdir(D));

	close(fd);
	show("unlink(F)", unlink(F));
	ok("open(F, O_RDONLY) after unlink", open(F, O_RDONLY));
	show("unlink(F) again", unlink(F));
	show("stat(F) after unlink", stat(F, &st));
	return 0;
}
