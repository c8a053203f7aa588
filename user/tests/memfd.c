/*
 * memfd: memfd_create(2) and file seals.
 * Checks: unknown flags and a name past 249 bytes are EINVAL, a bad name
 *   pointer EFAULT; the file is open for reading and writing, regular,
 *   mode 0777, with no link, empty; MFD_CLOEXEC; /proc/self/fd/N reads
 *   "/memfd:NAME (deleted)"; write, lseek, read and ftruncate; a
 *   MAP_SHARED mapping is shared with a forked child (the child's store
 *   seen by the parent, in the mapping and through read); F_GET_SEALS is
 *   F_SEAL_SEAL without MFD_ALLOW_SEALING, and F_ADD_SEALS then EPERM;
 *   with it: 0, F_SEAL_SHRINK and F_SEAL_GROW make shrinking and growing
 *   (ftruncate, a write past the end) EPERM while a write inside works,
 *   F_SEAL_WRITE is EBUSY while a shared writable mapping exists and then
 *   makes writes EPERM, F_SEAL_SEAL stops further seals (EPERM); unknown
 *   seal bits are EINVAL; F_ADD_SEALS on a pipe is EINVAL and on a
 *   read-only reopen EPERM.
 * Mirrors: memfd_create(2), fcntl(2) file sealing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

static int mfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	show("bad flags", mfd("x", 0x100));
	char longname[300];
	memset(longname, 'a', sizeof longname);
	longname[250] = 0;
	show("name 250", mfd(longname, 0));
	longname[249] = 0;
	int l = mfd(longname, 0);
	printf("name 249: %d\n", l >= 0);
	close(l);
	show("bad pointer", mfd((char *)8, 0));

	int fd = mfd("test", MFD_CLOEXEC);
	struct stat st;
	fstat(fd, &st);
	printf("mode %o nlink %lu size %ld flags %o cloexec %d\n", st.st_mode, (unsigned long)st.st_nlink,
	       (long)st.st_size, fcntl(fd, F_GETFL) & O_ACCMODE, !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	char path[64], link[128];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("link: %s\n", link);
	show("write", write(fd, "hello memfd", 11));
	lseek(fd, 6, SEEK_SET);
	char buf[32] = {0};
	show("read", read(fd, buf, sizeof buf - 1));
	printf("read back: %s\n", buf);
	show("ftruncate 8192", ftruncate(fd, 8192));
	fstat(fd, &st);
	printf("size %ld\n", (long)st.st_size);

	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t c = fork();
	if (c == 0) {
		strcpy(m + 4096, "from the child");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("parent sees: %s\n", m + 4096);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 14, 4096);
	printf("pread sees: %s\n", buf);

	printf("seals (no sealing): %d\n", fcntl(fd, F_GET_SEALS));
	show("add (no sealing)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));

	int s = mfd("sealed", MFD_ALLOW_SEALING);
	write(s, "0123456789", 10);
	printf("seals: %d\n", fcntl(s, F_GET_SEALS));
	show("add unknown", fcntl(s, F_ADD_SEALS, 0x100));
	show("add shrink|grow", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	printf("seals: %d\n", fcntl(s, F_GET_SEALS));
	show("shrink", ftruncate(s, 5));
	show("grow", ftruncate(s, 20));
	show("same size", ftruncate(s, 10));
	show("write inside", pwrite(s, "ab", 2, 3));
	show("write past end", pwrite(s, "abc", 3, 9));
	char *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
	show("add write, mapped", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(sm, 4096);
	show("add write", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	show("write sealed", pwrite(s, "x", 1, 0));
	memset(buf, 0, sizeof buf);
	pread(s, buf, 10, 0);
	printf("contents: %s\n", buf);
	snprintf(path, sizeof path, "/proc/self/fd/%d", s);
	int ro = open(path, O_RDONLY);
	show("add via read-only", fcntl(ro, F_ADD_SEALS, F_SEAL_SEAL));
	show("add seal", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
	show("add after seal", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
	printf("seals: %d\n", fcntl(s, F_GET_SEALS));
	int p[2];
	pipe(p);
	show("seals of a pipe", fcntl(p[0], F_GET_SEALS));
	return 0;
}
