// cc: musl-gcc -static -O2 -pthread
/*
 * user_ns: user namespaces (user_namespaces(7), capabilities(7),
 * unshare(2), clone(2), setns(2)).
 * Checks, as uid 1000 (after dropping root with setresuid, in a child):
 *   unshare(CLONE_NEWUSER) succeeds unprivileged; before the maps are
 *     written getuid() reads as 65534 and capabilities are full (CapEff);
 *   uid_map "0 1000 1": getuid() == 0 inside; a second write is EPERM,
 *     another uid is EPERM, a second write() on one descriptor EINVAL;
 *     gid_map before "deny" in setgroups is EPERM, after it succeeds;
 *     setgroups(2) then EPERM; uid_map reads back as written, from inside;
 *   a file owned by real root stats as 65534 inside; /proc/self/status
 *     shows Uid 0 inside;
 *   overlapping ranges EINVAL (in a fresh namespace);
 *   unshare(CLONE_NEWUTS) + sethostname succeed inside, invisible to the
 *     parent outside; sethostname in the original UTS namespace is EPERM;
 *   a tmpfs mount is EPERM in the original mount namespace, allowed in a
 *     new one (invisible outside); a file made there is owned by uid 0;
 *   clone(CLONE_NEWUSER|CLONE_NEWPID) as uid 1000: the child is pid 1 with
 *     full capabilities; without CLONE_NEWUSER, CLONE_NEWPID is EPERM;
 *   CLONE_NEWUSER|CLONE_FS is EINVAL; unshare(CLONE_NEWUSER) from a
 *     process with two threads is EINVAL;
 *   setns into the caller's own user namespace is EINVAL, into the parent
 *     (no capability there) EPERM;
 *   System V shared memory in a new IPC namespace shows its owner as 0,
 *     IPC_SET to an unmapped uid is EINVAL;
 *   a nested namespace maps uid 5 to the outer root: getuid() == 5 there;
 *   nsfs ioctls NS_GET_NSTYPE, NS_GET_USERNS, NS_GET_OWNER_UID (EINVAL on
 *     a UTS namespace), NS_GET_PARENT (EPERM out of reach, EINVAL for UTS).
 * Run as root (natively too); every change happens in new namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

/* The result of a call and its errno, in that order. */
#define RES(expr) ({ errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%ld errno %d\n", r_, r_ < 0 ? e_ : 0); })

/* write_file's result, or -errno. */
static int write_result(const char *path, const char *text)
{
    int r = write_file(path, text);
    return r < 0 ? -errno : r;
}

static void read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t r = read(fd, buf, n - 1);
    CHECK(r >= 0);
    buf[r] = 0;
    close(fd);
}

/* The value of a /proc/self/status line. */
static void status_line(const char *key, char *out, size_t n)
{
    static char buf[4096];
    read_file("/proc/self/status", buf, sizeof buf);
    char *p = strstr(buf, key);
    CHECK(p);
    p += strlen(key);
    while (*p == '\t' || *p == ' ')
        p++;
    size_t i = 0;
    while (p[i] && p[i] != '\n' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = 0;
}

static void *idle_thread(void *arg)
{
    pause();
    return arg;
}

static int pidns_child(void *arg)
{
    (void)arg;
    char eff[64];
    status_line("CapEff:", eff, sizeof eff);
    printf("clone child: pid %d, CapEff full %s\n", (int)getpid(), strcmp(eff, "000001ffffffffff") == 0 ? "yes" : eff);
    return 0;
}

/* linux/nsfs.h, which musl's headers lack. */
#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704

/* A directory root made for the mount test. */
static char base[64];
static char secret[80];

static void maps(void)
{
    char eff[64], line[128], buf[256];
    int parent_ns = open("/proc/self/ns/user", O_RDONLY);
    CHECK(parent_ns >= 0);
    CHECK(unshare(CLONE_NEWUSER) == 0);
    printf("before map: uid %d euid %d gid %d\n", (int)getuid(), (int)geteuid(), (int)getgid());
    status_line("CapEff:", eff, sizeof eff);
    printf("CapEff inside: %s\n", eff);
    read_file("/proc/self/uid_map", buf, sizeof buf);
    printf("uid_map before: [%s]\n", buf);
    read_file("/proc/self/setgroups", buf, sizeof buf);
    printf("setgroups: %s", buf);

    printf("map other uid: %d\n", write_result("/proc/self/uid_map", "0 1001 1\n"));
    printf("gid_map before deny: %d\n", write_result("/proc/self/gid_map", "0 1000 1\n"));
    /* Two write() calls on one descriptor: the second is not at offset 0. */
    int fd = open("/proc/self/uid_map", O_WRONLY);
    CHECK(fd >= 0);
    printf("uid_map write: %d\n", (int)write(fd, "0 1000 1\n", 9));
    printf("second write same fd: ");
    RES((int)write(fd, "1 1000 1\n", 9));
    close(fd);
    printf("second open+write: %d\n", write_result("/proc/self/uid_map", "0 1000 1\n"));
    printf("setgroups deny: %d\n", write_result("/proc/self/setgroups", "deny"));
    printf("setgroups allow again: %d\n", write_result("/proc/self/setgroups", "allow"));
    printf("gid_map after deny: %d\n", write_result("/proc/self/gid_map", "0 1000 1\n"));
    printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    /* Full capabilities here, but over this namespace only: the real
       root's 0600 file stays closed (its owner is not mapped). */
    int sfd = open(secret, O_RDONLY);
    printf("open the real root's 0600 file: %s\n", sfd >= 0 ? "opened" : strerror(errno));
    if (sfd >= 0)
        close(sfd);
    gid_t g = 0;
    printf("setgroups(2): ");
    RES(setgroups(1, &g));
    read_file("/proc/self/uid_map", buf, sizeof buf);
    printf("uid_map inside: %s", buf);
    read_file("/proc/self/gid_map", buf, sizeof buf);
    printf("gid_map inside: %s", buf);
    status_line("Uid:", line, sizeof line);
    printf("status Uid: %s\n", line);
    struct stat st;
    CHECK(stat("/", &st) == 0);
    printf("stat / owner: %d %d\n", (int)st.st_uid, (int)st.st_gid);
    /* An unmapped id cannot be set: EINVAL. */
    printf("setuid(5): ");
    RES(setuid(5));
    printf("setuid(0): %d\n", setuid(0));

    /* UTS inside the user namespace. */
    printf("sethostname in the old UTS ns: ");
    RES(sethostname("x", 1));
    CHECK(unshare(CLONE_NEWUTS) == 0);
    CHECK(sethostname("userns-host", 11) == 0);
    struct utsname u;
    CHECK(uname(&u) == 0);
    printf("nodename inside: %s\n", u.nodename);

    /* nsfs ioctls: the UTS namespace's owner is this user namespace,
       whose creator is uid 1000 outside, 0 inside; its parent is out of
       reach. */
    struct stat own, got;
    CHECK(stat("/proc/self/ns/user", &own) == 0);
    int uts = open("/proc/self/ns/uts", O_RDONLY);
    CHECK(uts >= 0);
    printf("NS_GET_NSTYPE uts: %#x\n", ioctl(uts, NS_GET_NSTYPE));
    int owner = ioctl(uts, NS_GET_USERNS);
    CHECK(owner >= 0);
    CHECK(fstat(owner, &got) == 0);
    printf("NS_GET_USERNS is mine: %s\n", got.st_ino == own.st_ino ? "yes" : "no");
    uid_t ouid = 12345;
    printf("NS_GET_OWNER_UID: ");
    RES(ioctl(owner, NS_GET_OWNER_UID, &ouid));
    printf("owner uid inside: %d\n", (int)ouid);
    printf("NS_GET_OWNER_UID on uts: ");
    RES(ioctl(uts, NS_GET_OWNER_UID, &ouid));
    printf("NS_GET_PARENT of mine: ");
    RES(ioctl(owner, NS_GET_PARENT));
    printf("NS_GET_PARENT of uts: ");
    RES(ioctl(uts, NS_GET_PARENT));
    close(owner);
    close(uts);

    /* A mount namespace of its own, and a tmpfs in it. */
    printf("mount tmpfs in the old mount ns: ");
    RES(mount("none", base, "tmpfs", 0, NULL));
    CHECK(unshare(CLONE_NEWNS) == 0);
    printf("make / private: ");
    RES(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    printf("mount tmpfs inside: ");
    RES(mount("none", base, "tmpfs", 0, NULL));
    char path[96];
    snprintf(path, sizeof path, "%s/f", base);
    int f = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK(f >= 0);
    close(f);
    CHECK(stat(path, &st) == 0);
    printf("new file owner inside: %d %d\n", (int)st.st_uid, (int)st.st_gid);

    /* System V IPC in an IPC namespace of its own: owners as seen inside,
       an unmapped new owner EINVAL. */
    CHECK(unshare(CLONE_NEWIPC) == 0);
    int shm = shmget(IPC_PRIVATE, 4096, 0600);
    CHECK(shm >= 0);
    struct shmid_ds ds;
    CHECK(shmctl(shm, IPC_STAT, &ds) == 0);
    printf("shm owner inside: uid %d gid %d cuid %d\n", (int)ds.shm_perm.uid, (int)ds.shm_perm.gid,
           (int)ds.shm_perm.cuid);
    ds.shm_perm.uid = 7;
    printf("IPC_SET to an unmapped uid: ");
    RES(shmctl(shm, IPC_SET, &ds));
    CHECK(shmctl(shm, IPC_RMID, NULL) == 0);

    /* setns into its own user namespace, and into the parent. */
    fd = open("/proc/self/ns/user", O_RDONLY);
    CHECK(fd >= 0);
    printf("setns own userns: ");
    RES(setns(fd, CLONE_NEWUSER));
    close(fd);
    printf("setns parent userns: ");
    RES(setns(parent_ns, CLONE_NEWUSER));
    close(parent_ns);

    /* Overlapping ranges in a nested namespace: EINVAL. Its creator may
       look at it from outside (CAP_SYS_PTRACE over the namespace). */
    int sync[2], go[2];
    CHECK(pipe(sync) == 0 && pipe(go) == 0);
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        char c = 0;
        CHECK(unshare(CLONE_NEWUSER) == 0);
        CHECK(write(sync[1], &c, 1) == 1);
        CHECK(read(go[0], &c, 1) == 1);
        printf("overlap upper: %d\n", write_result("/proc/self/uid_map", "0 0 1\n0 0 1\n"));
        printf("nested map: %d\n", write_result("/proc/self/uid_map", "5 0 1\n"));
        printf("nested uid: %d\n", (int)getuid());
        read_file("/proc/self/uid_map", buf, sizeof buf);
        printf("nested uid_map inside: %s", buf);
        exit(0);
    }
    char c;
    CHECK(read(sync[0], &c, 1) == 1);
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)p);
    char mine[64], theirs[64];
    ssize_t a = readlink("/proc/self/ns/user", mine, sizeof mine - 1);
    ssize_t b = readlink(path, theirs, sizeof theirs - 1);
    CHECK(a > 0);
    printf("child's user ns readable by its creator: %s\n", b > 0 ? "yes" : strerror(errno));
    if (b > 0) {
        mine[a] = theirs[b] = 0;
        printf("child's user ns differs: %s\n", strcmp(mine, theirs) != 0 ? "yes" : "no");
    }
    CHECK(write(go[1], &c, 1) == 1);
    int status;
    CHECK(waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void as_user(void)
{
    become_user();
    char eff[64];
    status_line("CapEff:", eff, sizeof eff);
    printf("uid %d CapEff %s\n", (int)getuid(), eff);

    /* Flag rules. */
    printf("clone NEWUSER|FS: ");
    RES(syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
    static char stack[65536];
    printf("clone NEWPID alone: ");
    RES(clone(pidns_child, stack + sizeof stack, CLONE_NEWPID | SIGCHLD, 0));

    pid_t c = clone(pidns_child, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, 0);
    CHECK(c > 0);
    int status;
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Two threads: unshare(CLONE_NEWUSER) is EINVAL. */
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, idle_thread, NULL) == 0);
        printf("unshare with two threads: ");
        RES(unshare(CLONE_NEWUSER));
        fflush(stdout);
        _exit(0);
    }
    CHECK(waitpid(p, &status, 0) == p && WIFEXITED(status));

    p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        maps();
        fflush(stdout);
        _exit(0);
    }
    CHECK(waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct utsname before, after;
    CHECK(uname(&before) == 0);
    snprintf(base, sizeof base, "/tmp/user_ns.XXXXXX");
    CHECK(mkdtemp(base));
    CHECK(chmod(base, 0755) == 0);
    snprintf(secret, sizeof secret, "%s-secret", base);
    int sf = open(secret, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(sf >= 0 && write(sf, "s\n", 2) == 2 && close(sf) == 0);
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        as_user();
        _exit(0);
    }
    int status;
    CHECK(waitpid(p, &status, 0) == p);
    printf("child status %d\n", status);
    CHECK(uname(&after) == 0);
    printf("host name unchanged outside: %s\n", strcmp(before.nodename, after.nodename) == 0 ? "yes" : "no");
    /* The tmpfs was the mount namespace's: nothing shows here. */
    DIR *d = opendir(base);
    CHECK(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    printf("entries outside: %d\n", n);
    CHECK(rmdir(base) == 0);
    CHECK(unlink(secret) == 0);
    return 0;
}
