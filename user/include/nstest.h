/*
 * nstest.h: what the user-namespace tests share: a setup step that must
 * work (CHECK), a call's outcome as one line (SAY), a /proc file written
 * whole, and the drop to the unprivileged uid/gid 1000 they test as.
 */
#ifndef NSTEST_H
#define NSTEST_H

#include <grp.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "testlib.h"

/* Stop with the line and errno when a step the test relies on fails. */
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* `what`, then "ok" or the errno's name for a call returning -1. */
#define SAY(what, expr)                                                                            \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(expr);                                                                    \
        printf("%-48s %s\n", what, r_ < 0 ? en(errno) : "ok");                                     \
    } while (0)

/* write(2) of `text` to the file at `path` in one call: its result, -1
 * with errno set when the open or the write failed. */
__attribute__((unused)) static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    int r = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* Become uid and gid 1000 with no supplementary groups, dumpable again
 * (changing ids made the process non-dumpable: its /proc files would
 * belong to root). */
__attribute__((unused)) static void become_user(void)
{
    CHECK(setgroups(0, NULL) == 0);
    CHECK(setresgid(1000, 1000, 1000) == 0);
    CHECK(setresuid(1000, 1000, 1000) == 0);
    CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
}

#endif
