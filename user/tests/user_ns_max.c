// cc: musl-gcc -static -O2
// linux-ref
/*
 * user_ns_max: how many user namespaces a user may make (namespaces(7)
 * "The /proc/sys/user directory"). The reference is Debian's Linux: the
 * host runs tests as a root without CAP_SYS_RESOURCE, which cannot set
 * the limits (user_ns_max.linux holds Linux's output).
 * As root:
 *   /proc/sys/user/max_user_namespaces: not writable by uid 1000 (EACCES),
 *     -1 is EINVAL; set to 2 by root, uid 1000 makes a namespace A and
 *     in it B (both count for uid 1000 in the initial namespace), a third
 *     is ENOSPC; inside A the file reads 2147483647 (A's own limit) and
 *     A's root may set it;
 *   max_user_namespaces back to its old value (Linux uncharges A and B
 *     only later, from a work queue), then max_uts_namespaces = 1: uid 1000 makes a user and a UTS namespace
 *     together (the UTS one is A's, counted for A's maker up in the
 *     initial namespace too), a second UTS namespace is ENOSPC, an IPC
 *     namespace still works. The old values are restored at exit.
 * Run as root.
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

#define MAX_USER_NS "/proc/sys/user/max_user_namespaces"

static long read_num(const char *path)
{
    char buf[32] = { 0 };
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0);
    close(fd);
    return atol(buf);
}

#define MAX_UTS_NS "/proc/sys/user/max_uts_namespaces"

static long saved_max = -1, saved_uts = -1;

static void restore_max(void)
{
    char buf[32];
    if (saved_max >= 0 && getuid() == 0 && geteuid() == 0) {
        snprintf(buf, sizeof buf, "%ld", saved_max);
        write_file(MAX_USER_NS, buf);
        snprintf(buf, sizeof buf, "%ld", saved_uts);
        write_file(MAX_UTS_NS, buf);
    }
}

static void limits(void)
{
    saved_max = read_num(MAX_USER_NS);
    saved_uts = read_num(MAX_UTS_NS);
    CHECK(saved_max > 2);
    atexit(restore_max);
    SAY("max_user_namespaces = -1", write_file(MAX_USER_NS, "-1\n"));
    SAY("max_user_namespaces = 2", write_file(MAX_USER_NS, "2\n"));
    printf("  reads %ld\n", read_num(MAX_USER_NS));
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        become_user();
        SAY("uid 1000 opens it for writing", open(MAX_USER_NS, O_WRONLY));
        SAY("unshare A", unshare(CLONE_NEWUSER));
        CHECK(write_file("/proc/self/uid_map", "0 1000 1") > 0);
        CHECK(write_file("/proc/self/setgroups", "deny") > 0);
        CHECK(write_file("/proc/self/gid_map", "0 1000 1") > 0);
        printf("  inside A it reads %ld\n", read_num(MAX_USER_NS));
        SAY("  A's root sets it to 7", write_file(MAX_USER_NS, "7"));
        printf("  inside A it reads %ld\n", read_num(MAX_USER_NS));
        SAY("unshare B inside A", unshare(CLONE_NEWUSER));
        printf("  inside B it reads %ld\n", read_num(MAX_USER_NS));
        SAY("unshare a third (two for uid 1000 already)", unshare(CLONE_NEWUSER));
        exit(0);
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    printf("  still reads %ld outside\n", read_num(MAX_USER_NS));

    /* The child's namespaces A and B may still count for uid 1000 here:
     * Linux frees a user namespace, and uncharges it, from a work queue
     * after its last process has gone. */
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", saved_max);
    SAY("max_user_namespaces back to its old value", write_file(MAX_USER_NS, buf));
    SAY("max_uts_namespaces = 1", write_file(MAX_UTS_NS, "1"));
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        become_user();
        SAY("unshare user+UTS", unshare(CLONE_NEWUSER | CLONE_NEWUTS));
        SAY("unshare another UTS (one for uid 1000 already)", unshare(CLONE_NEWUTS));
        SAY("unshare an IPC namespace (another kind)", unshare(CLONE_NEWIPC));
        exit(0);
    }
    CHECK(waitpid(child, &st, 0) == child);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    limits();
    return 0;
}
