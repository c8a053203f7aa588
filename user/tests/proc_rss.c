/*
 * proc_rss: the resident-set counters of /proc/self/status (RssAnon,
 * RssFile, RssShmem, VmRSS) and /proc/self/statm move with the pages this
 * program touches. Only relations are printed (a delta of about N pages),
 * never a raw count: the program's own size differs between machines.
 * Checks:
 *   touching N pages of a read-only MAP_PRIVATE mapping of a file (this
 *     program) grows RssFile by N; writing them moves the N pages from
 *     RssFile to RssAnon (copy on write);
 *   writing N pages of a private anonymous mapping grows RssAnon by N,
 *     reading N other ones (the zero page) grows nothing;
 *   writing N pages of a MAP_SHARED|MAP_ANONYMOUS mapping, and of a
 *     MAP_SHARED mapping of a memfd, grows RssShmem by N each;
 *   VmRSS is the sum of the three; statm's resident is VmRSS and its
 *     shared RssFile + RssShmem (in pages);
 *   munmap brings every counter back;
 *   a child right after fork has the parent's RssAnon (Linux copies
 *     every anonymous page's entry) and no more file or shmem pages than
 *     the parent (Linux leaves shared mappings to fault again; Tine
 *     shares the tables).
 * Mirrors: proc(5) /proc/pid/status and statm; Linux's task_mem(),
 *   task_statm().
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L
#define N 8
/* Pages the program's own stack or stdio may add between two readings. */
#define SLACK 2

struct rss {
    long anon, file, shmem, vmrss; /* kB */
    long resident, shared;         /* pages, from statm */
};

static char buf[8192];

static long field(const char *name) {
    char *p = strstr(buf, name);
    return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static void slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    long n = 0, r;
    while (fd >= 0 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    buf[n] = 0;
    if (fd >= 0)
        close(fd);
}

static struct rss get(void) {
    struct rss r;
    slurp("/proc/self/status");
    r.anon = field("RssAnon:");
    r.file = field("RssFile:");
    r.shmem = field("RssShmem:");
    r.vmrss = field("VmRSS:");
    slurp("/proc/self/statm");
    long size;
    if (sscanf(buf, "%ld %ld %ld", &size, &r.resident, &r.shared) != 3)
        r.resident = r.shared = -1;
    return r;
}

/* Whether a change of `d` kB is about `pages` pages. */
static int about(long d, long pages) {
    return d >= (pages - SLACK) * 4 && d <= (pages + SLACK) * 4;
}

static int back(long now, long before) {
    return now >= before - SLACK * 4 && now <= before + SLACK * 4;
}

static void consistent(const char *when, struct rss r) {
    printf("%s: VmRSS is the sum: %d, statm resident: %d, statm shared: %d\n", when,
           r.vmrss == r.anon + r.file + r.shmem, r.resident * 4 == r.vmrss,
           r.shared * 4 == r.file + r.shmem);
}

static void touch_read(volatile char *p, long pages) {
    for (long i = 0; i < pages; i++)
        (void)p[i * PG];
}

static void touch_write(volatile char *p, long pages) {
    for (long i = 0; i < pages; i++)
        p[i * PG] = 1;
}

int main(void) {
    struct rss base, r;
    printf("proc_rss\n");
    get();
    base = get();
    printf("counters present: %d\n", base.anon >= 0 && base.file > 0 && base.shmem >= 0 && base.vmrss > 0);
    consistent("start", base);

    /* A private, read-only-touched mapping of a file: this program. */
    int fd = open("/proc/self/exe", O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    long fpages = st.st_size / PG < N ? st.st_size / PG : N;
    printf("program has pages to map: %d\n", fpages >= 6);
    char *f = mmap(NULL, fpages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    base = get();
    touch_read(f, fpages);
    r = get();
    printf("file read: RssFile +N: %d, RssAnon same: %d, RssShmem same: %d\n", about(r.file - base.file, fpages),
           back(r.anon, base.anon), back(r.shmem, base.shmem));
    consistent("file read", r);
    base = r;
    touch_write(f, fpages);
    r = get();
    printf("file written: RssFile -N: %d, RssAnon +N: %d\n", about(base.file - r.file, fpages),
           about(r.anon - base.anon, fpages));
    base = r;
    munmap(f, fpages * PG);
    r = get();
    printf("file unmapped: RssAnon -N: %d, RssFile same: %d\n", about(base.anon - r.anon, fpages),
           back(r.file, base.file));

    /* Private anonymous memory: written pages count, read ones map the zero page. */
    base = get();
    char *a = mmap(NULL, 2 * N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch_read(a + N * PG, N);
    r = get();
    printf("anon read: RssAnon same: %d\n", back(r.anon, base.anon));
    touch_write(a, N);
    r = get();
    printf("anon written: RssAnon +N: %d, RssFile same: %d, RssShmem same: %d\n", about(r.anon - base.anon, N),
           back(r.file, base.file), back(r.shmem, base.shmem));
    consistent("anon", r);

    /* Shared anonymous memory and a memfd are shared memory. */
    char *s = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    base = get();
    touch_write(s, N);
    r = get();
    printf("shared anon written: RssShmem +N: %d, RssAnon same: %d\n", about(r.shmem - base.shmem, N),
           back(r.anon, base.anon));
    int mfd = memfd_create("proc_rss", 0);
    ftruncate(mfd, N * PG);
    char *m = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    base = get();
    touch_write(m, N);
    r = get();
    printf("memfd written: RssShmem +N: %d, RssFile same: %d\n", about(r.shmem - base.shmem, N),
           back(r.file, base.file));
    consistent("shmem", r);

    /* A child right after fork. */
    struct rss parent = get();
    int pipefd[2];
    pipe(pipefd);
    pid_t pid = fork();
    if (pid == 0) {
        struct rss c = get();
        char ok[3] = {back(c.anon, parent.anon), c.file <= parent.file, c.shmem <= parent.shmem};
        write(pipefd[1], ok, 3);
        _exit(0);
    }
    char ok[3] = {0};
    read(pipefd[0], ok, 3);
    waitpid(pid, NULL, 0);
    printf("child: RssAnon same: %d, RssFile no more: %d, RssShmem no more: %d\n", ok[0], ok[1], ok[2]);

    /* Everything goes back once unmapped. */
    base = get();
    munmap(a, 2 * N * PG);
    munmap(s, N * PG);
    munmap(m, N * PG);
    close(mfd);
    r = get();
    printf("unmapped: RssAnon -N: %d, RssShmem -2N: %d\n", about(base.anon - r.anon, N),
           about(base.shmem - r.shmem, 2 * N));
    consistent("end", r);
    return 0;
}
