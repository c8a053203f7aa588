// cc: musl-gcc -static -O2
/*
 * user_ns_map_opener: who may write a user namespace's maps
 * (user_namespaces(7) "Defining user and group ID mappings": the opener's
 * credentials count as well as the writer's).
 * As root, with a child at uid 1000 that made a user namespace:
 *   opener's credentials: /proc/CHILD/uid_map opened while the effective
 *     uid is 1000 and written after seteuid(0): "0 0 1" is EPERM (the
 *     opener lacks CAP_SETUID), "0 1000 1" (the opener's own uid) works;
 *     gid_map opened as root but written with euid 1000: "0 0 1" is EPERM
 *     (the writer lacks CAP_SETGID), then after seteuid(0) it works;
 * Run as root (natively too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

static void openers(void)
{
    int ready[2], go[2];
    char c;
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        become_user();
        CHECK(unshare(CLONE_NEWUSER) == 0);
        CHECK(write(ready[1], "r", 1) == 1);
        CHECK(read(go[0], &c, 1) == 1);
        printf("child: uid %d gid %d\n", (int)getuid(), (int)getgid());
        exit(0);
    }
    CHECK(read(ready[0], &c, 1) == 1);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
    CHECK(seteuid(1000) == 0);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(seteuid(0) == 0);
    SAY("uid_map opened as 1000, root writes 0 0 1", write(fd, "0 0 1", 5));
    SAY("  the same fd, 0 1000 1", write(fd, "0 1000 1", 8));
    close(fd);
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(seteuid(1000) == 0);
    SAY("gid_map opened as root, euid 1000 writes 0 0 1", write(fd, "0 0 1", 5));
    CHECK(seteuid(0) == 0);
    SAY("  the same fd, written as root", write(fd, "0 0 1", 5));
    close(fd);
    CHECK(write(go[1], "g", 1) == 1);
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    openers();
    return 0;
}
