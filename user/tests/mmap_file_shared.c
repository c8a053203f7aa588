/*
 * mmap_file_shared: file-backed mmap against the page cache (written while building
 * it): MAP_SHARED file pages shared across fork both ways and with
 * read()/write(), ftruncate grow/shrink and SIGBUS past EOF, MAP_PRIVATE
 * copy-on-write of file pages, madvise cases, /dev/zero mappings.
 * Mirrors: mmap(2), madvise(2), ftruncate(2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/stat.h>

#define P 4096
static void check(int ok, const char *what) { printf("%s: %s\n", what, ok ? "ok" : "FAIL"); }

int main(void) {
    int fd = open("/tmp/mmt.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[100];
    memset(buf, 'a', sizeof buf);
    write(fd, buf, 100);
    char *m = mmap(0, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(m != MAP_FAILED, "mmap shared");
    check(m[5] == 'a' && m[100] == 0, "file data visible, tail zero");
    pid_t c = fork();
    if (c == 0) { m[1] = 'C'; _exit(0); }
    waitpid(c, 0, 0);
    check(m[1] == 'C', "child write seen by parent");
    c = fork();
    if (c == 0) { usleep(1000); _exit(m[2] == 'P' ? 0 : 1); }
    m[2] = 'P';
    int st; waitpid(c, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "parent write seen by child");
    pread(fd, buf, 3, 0);
    check(buf[0] == 'a' && buf[1] == 'C' && buf[2] == 'P', "read() sees mapping writes");
    pwrite(fd, "W", 1, 3);
    check(m[3] == 'W', "write() seen through mapping");
    c = fork();
    if (c == 0) { volatile char x = m[P + 5]; (void)x; _exit(0); }
    waitpid(c, &st, 0);
    printf("touch past EOF: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    check(ftruncate(fd, 2 * P + 10) == 0, "ftruncate grow");
    m[P + 5] = 'G';
    struct stat sb; fstat(fd, &sb);
    check(sb.st_size == 2 * P + 10, "size after grow");
    pread(fd, buf, 1, P + 5);
    check(buf[0] == 'G', "grown page shared");

    char *pm = mmap(0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check(pm[1] == 'C', "private sees file");
    pm[1] = 'X';
    check(m[1] == 'C', "private write not in file");
    pwrite(fd, "Y", 1, 0);
    check(pm[0] == 'a', "private copy does not see later file writes");
    madvise(pm, P, MADV_DONTNEED);
    check(pm[0] == 'Y' && pm[1] == 'C', "DONTNEED on private file mapping re-reads file");

    char *a = mmap(0, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 1; a[P] = 2;
    check(madvise(a, P, MADV_WIPEONFORK) == 0, "wipeonfork");
    check(madvise(m, P, MADV_WIPEONFORK) == -1 && errno == EINVAL, "wipeonfork on shared: EINVAL");
    c = fork();
    if (c == 0) _exit(a[0] == 0 && a[P] == 2 ? 0 : 1);
    waitpid(c, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child sees wiped page");
    madvise(a, 2 * P, MADV_DONTNEED);
    check(a[0] == 0 && a[P] == 0, "DONTNEED zeroes private anon");
    munmap(a + P, P);
    check(madvise(a, 2 * P, MADV_DONTNEED) == -1 && errno == ENOMEM, "DONTNEED over hole: ENOMEM");
    check(madvise((char *)a + 1, P, MADV_DONTNEED) == -1 && errno == EINVAL, "unaligned: EINVAL");

    char *sh = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    c = fork();
    if (c == 0) { sh[0] = 42; _exit(0); }
    waitpid(c, 0, 0);
    check(sh[0] == 42, "shared anon untouched at fork is shared");
    madvise(sh, P, MADV_DONTNEED);
    check(sh[0] == 42, "DONTNEED keeps shared anon contents");

    int z = open("/dev/zero", O_RDWR);
    char *zm = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    c = fork();
    if (c == 0) { zm[0] = 7; _exit(0); }
    waitpid(c, 0, 0);
    check(zm[0] == 7, "/dev/zero shared mapping");

    int ro = open("/tmp/mmt.dat", O_RDONLY);
    check(mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED && errno == EACCES, "shared write of O_RDONLY: EACCES");
    char *rom = mmap(0, P, PROT_READ, MAP_SHARED, ro, 0);
    check(mprotect(rom, P, PROT_READ | PROT_WRITE) == -1 && errno == EACCES, "mprotect write on ro shared: EACCES");
    int pfd[2]; pipe(pfd);
    check(mmap(0, P, PROT_READ, MAP_PRIVATE, pfd[0], 0) == MAP_FAILED && errno == ENODEV, "pipe: ENODEV");
    check(mmap(0, P, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF, "bad fd: EBADF");
    check(mmap(0, P, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED && errno == EINVAL, "unaligned offset: EINVAL");

    check(ftruncate(fd, 10) == 0, "ftruncate shrink");
    check(m[5] == 'a' && m[10] == 0, "partial page tail zeroed");
    c = fork();
    if (c == 0) { volatile char x = m[P]; (void)x; _exit(0); }
    waitpid(c, &st, 0);
    printf("after shrink touch page 1: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    munmap(m, 3 * P);
    close(fd);
    unlink("/tmp/mmt.dat");
    printf("done\n");
    return 0;
}
