// cc: musl-gcc -static -O2
/*
 * user_ns_mount: mounting in a mount namespace owned by a user namespace
 * (mount_namespaces(7) "Restrictions on mount namespaces", mount(2),
 * umount(2)).
 * As root, in a private mount namespace: a read-only nosuid tmpfs ("ro"),
 * a read-write one ("rw") with another tmpfs on its subdirectory. Then a
 * child drops to uid 1000 and makes a user and a mount namespace
 * (unshare(CLONE_NEWUSER|CLONE_NEWNS)), mapping only itself. There:
 *   a new tmpfs mounts, takes a file, unmounts; a proc without a PID
 *     namespace of its own is EPERM;
 *   the copied mounts are locked: umount of one is EINVAL (with
 *     MNT_DETACH too), of "/" EINVAL;
 *   a bind remount of "ro" that clears MS_RDONLY or MS_NOSUID is EPERM,
 *     one that keeps them succeeds; a remount of the instance itself is
 *     EPERM (it belongs to the initial user namespace);
 *   "rw" can be made read-only (mountinfo says "ro") and read-write
 *     again by a bind remount: only the flags it was copied with are
 *     locked;
 *   a bind of "ro" succeeds, keeps its locks (clearing MS_RDONLY there is
 *     EPERM) and unmounts; a bind of "rw" without its locked submount
 *     is EINVAL.
 * Run as root (natively too); every mount lives in new namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

static char base[64];
static char pbuf[4][128];
static int pnext;

static const char *at(const char *name)
{
    char *p = pbuf[pnext++ % 4];
    snprintf(p, sizeof pbuf[0], "%s/%s", base, name);
    return p;
}

static int touch(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
    return fd;
}

/* "ro" or "rw": the per-mount flag of the top mount at `path`, from
   /proc/self/mountinfo (Tine keeps writes to a read-only bind mount
   refused only where the instance is read-only, so the flag is read back
   rather than tried). */
static const char *mnt_rw(const char *path)
{
    static char buf[16384], opt[3];
    int fd = open("/proc/self/mountinfo", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    strcpy(opt, "--");
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char mp[256], opts[256];
        if (sscanf(line, "%*s %*s %*s %*s %255s %255s", mp, opts) == 2 && strcmp(mp, path) == 0)
            memcpy(opt, opts, 2);
    }
    return opt;
}

static void inside(void)
{
    SAY("mount tmpfs", mount("none", at("new"), "tmpfs", 0, NULL));
    SAY("  a file in it", touch(at("new/f")));
    SAY("  umount it", umount(at("new")));
    SAY("mount proc (PID namespace not ours)", mount("proc", at("new"), "proc", 0, NULL));

    SAY("umount copied ro", umount(at("ro")));
    SAY("umount2 copied ro MNT_DETACH", umount2(at("ro"), MNT_DETACH));
    SAY("umount /", umount("/"));

    SAY("remount,bind ro clearing rdonly", mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL));
    SAY("remount,bind ro clearing nosuid", mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    SAY("remount,bind ro keeping both",
        mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL));
    SAY("remount ro's instance", mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL));

    SAY("remount,bind rw read-only", mount(NULL, at("rw"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    printf("  now %s\n", mnt_rw(at("rw")));
    SAY("remount,bind rw read-write", mount(NULL, at("rw"), NULL, MS_REMOUNT | MS_BIND, NULL));
    printf("  now %s\n", mnt_rw(at("rw")));
    SAY("  a file in it", touch(at("rw/f")));

    SAY("bind ro", mount(at("ro"), at("bind"), NULL, MS_BIND, NULL));
    SAY("  remount,bind it clearing rdonly", mount(NULL, at("bind"), NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL));
    SAY("  umount it", umount(at("bind")));
    SAY("bind rw without its locked submount", mount(at("rw"), at("bind"), NULL, MS_BIND, NULL));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK(unshare(CLONE_NEWNS) == 0);
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    snprintf(base, sizeof base, "/tmp/user_ns_mount.XXXXXX");
    CHECK(mkdtemp(base));
    CHECK(chmod(base, 0755) == 0);
    const char *dirs[] = { "ro", "rw", "new", "bind" };
    for (int i = 0; i < 4; i++) {
        CHECK(mkdir(at(dirs[i]), 0777) == 0);
        CHECK(chmod(at(dirs[i]), 0777) == 0);
    }
    CHECK(mount("none", at("ro"), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0777") == 0);
    CHECK(mount("none", at("rw"), "tmpfs", 0, "mode=0777") == 0);
    CHECK(mkdir(at("rw/sub"), 0777) == 0);
    CHECK(mount("none", at("rw/sub"), "tmpfs", 0, NULL) == 0);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK(setgroups(0, NULL) == 0);
        CHECK(setresgid(1000, 1000, 1000) == 0);
        CHECK(setresuid(1000, 1000, 1000) == 0);
        CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
        SAY("mount tmpfs before unshare", mount("none", at("new"), "tmpfs", 0, NULL));
        CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0);
        CHECK(write_file("/proc/self/uid_map", "0 1000 1") > 0);
        CHECK(write_file("/proc/self/setgroups", "deny") > 0);
        CHECK(write_file("/proc/self/gid_map", "0 1000 1") > 0);
        inside();
        exit(0);
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    /* The child's namespace is gone with it: ours are unchanged. */
    SAY("a file in rw/f outside", access(at("rw/f"), F_OK));
    SAY("ro still read-only outside", touch(at("ro/g")));
    CHECK(umount(at("rw/sub")) == 0);
    CHECK(umount(at("rw")) == 0);
    CHECK(umount(at("ro")) == 0);
    CHECK(rmdir(at("rw")) == 0 && rmdir(at("ro")) == 0 && rmdir(at("new")) == 0 && rmdir(at("bind")) == 0);
    CHECK(rmdir(base) == 0);
    return 0;
}
