// cc: musl-gcc -static -O2
/*
 * user_ns_caps: what the capabilities of a user namespace's root reach
 * (capabilities(7) "Interaction with user namespaces", user_namespaces(7),
 * ptrace(2) "Ptrace access mode checking").
 * As root, makes a directory of files with chosen owners, then a child
 * drops to uid 1000 and makes a user namespace, whose uid_map and gid_map
 * root writes as "0 1000 2" (ns ids 0 and 1 are kernel ids 1000, 1001).
 * Inside, as the namespace's root:
 *   files: DAC override over files whose owner and group are both mapped
 *     (1000:1000 and 1001:1001 mode 000 open for reading and writing);
 *     none over 0:0 0600, nor over 1001:0 (group unmapped); a 0700
 *     directory of real root's cannot be searched, one of 1001's can;
 *     access(2) with the real uid agrees; chmod (CAP_FOWNER) and chown
 *     (CAP_CHOWN) of a mapped file succeed, of real root's are EPERM;
 *     chown to an id the namespace does not map is EINVAL;
 *   ptrace: PTRACE_ATTACH to a process outside running as uid 1000 (its
 *     own kernel uid) and to real root are EPERM, its /proc/PID/mem
 *     EACCES, process_vm_readv and kcmp EPERM; a child made inside that
 *     became ns uid 1 can be attached (stops with SIGSTOP), read with
 *     process_vm_readv, its mem opened and kcmp'd.
 * Run as root (natively too); the files are removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

static char dir[64];
static char path_buf[160];

static const char *at(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static void make(const char *name, uid_t uid, gid_t gid, mode_t mode, int is_dir)
{
    if (is_dir)
        CHECK(mkdir(at(name), 0700) == 0);
    else {
        int fd = open(at(name), O_CREAT | O_WRONLY | O_EXCL, 0600);
        CHECK(fd >= 0 && write(fd, "x\n", 2) == 2 && close(fd) == 0);
    }
    CHECK(chown(at(name), uid, gid) == 0);
    CHECK(chmod(at(name), mode) == 0);
}

static void become(uid_t uid, gid_t gid)
{
    CHECK(setresgid(gid, gid, gid) == 0);
    CHECK(setresuid(uid, uid, uid) == 0);
    /* Changing ids made the process non-dumpable. */
    CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
}

static int open_close(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd >= 0)
        close(fd);
    return fd;
}

static void files(void)
{
    SAY("open 1000:1000 000 rdwr (own)", open_close(at("mine000"), O_RDWR));
    SAY("open 1001:1001 000 rdwr (mapped)", open_close(at("other000"), O_RDWR));
    SAY("open 0:0 0600 rdonly (unmapped)", open_close(at("root600"), O_RDONLY));
    SAY("open 1001:0 000 rdonly (gid unmapped)", open_close(at("gid0"), O_RDONLY));
    struct stat st;
    SAY("stat in 0:0 0700 dir", stat(at("rootdir/f"), &st));
    SAY("stat in 1001:1001 0700 dir", stat(at("otherdir/f"), &st));
    SAY("access 1001:1001 000 R_OK|W_OK", access(at("other000"), R_OK | W_OK));
    SAY("access 0:0 0600 R_OK", access(at("root600"), R_OK));
    SAY("chmod 1001:1001 (CAP_FOWNER)", chmod(at("other000"), 0040));
    SAY("chmod 0:0", chmod(at("root600"), 0644));
    SAY("chown 1001:1001 to 0:0 (CAP_CHOWN)", chown(at("other000"), 0, 0));
    CHECK(stat(at("other000"), &st) == 0);
    printf("  now owned by %d:%d inside, mode %o\n", (int)st.st_uid, (int)st.st_gid, st.st_mode & 07777);
    SAY("chown it back to 1:1", chown(at("other000"), 1, 1));
    SAY("chown 0:0 0600", chown(at("root600"), 0, 0));
}

static long vm_read(pid_t pid, void *addr, void *buf, size_t n)
{
    struct iovec local = { buf, n }, remote = { addr, n };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

static int kcmp_vm(pid_t a, pid_t b)
{
    return syscall(SYS_kcmp, a, b, 1 /* KCMP_VM */, 0, 0);
}

static volatile int marker = 0x5eed;

static void tracing(pid_t outsider)
{
    char buf[64];
    int word;
    SAY("attach to uid 1000 outside", ptrace(PTRACE_ATTACH, outsider, 0, 0));
    SAY("attach to real root (parent)", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
    snprintf(buf, sizeof buf, "/proc/%d/mem", (int)outsider);
    SAY("open mem outside", open_close(buf, O_RDONLY));
    SAY("process_vm_readv outside", vm_read(outsider, (void *)&marker, &word, sizeof word));
    SAY("kcmp outside", kcmp_vm(getpid(), outsider));

    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t inner = fork();
    CHECK(inner >= 0);
    if (inner == 0) {
        become(1, 1);
        marker = 0x1234;
        CHECK(write(ready[1], "r", 1) == 1);
        for (;;)
            pause();
    }
    CHECK(read(ready[0], buf, 1) == 1);
    SAY("attach to ns uid 1 inside", ptrace(PTRACE_ATTACH, inner, 0, 0));
    int st;
    CHECK(waitpid(inner, &st, 0) == inner);
    printf("  stopped %d by %s\n", WIFSTOPPED(st), WSTOPSIG(st) == SIGSTOP ? "SIGSTOP" : "?");
    word = 0;
    SAY("process_vm_readv inside", vm_read(inner, (void *)&marker, &word, sizeof word));
    printf("  read %#x\n", word);
    snprintf(buf, sizeof buf, "/proc/%d/mem", (int)inner);
    SAY("open mem inside", open_close(buf, O_RDONLY));
    SAY("chown to an unmapped uid", chown(dir, 2, -1));
    int k = kcmp_vm(getpid(), inner);
    printf("%-40s %s\n", "kcmp inside", k == 1 || k == 2 ? "different mm" : en(errno));
    SAY("detach", ptrace(PTRACE_DETACH, inner, 0, 0));
    CHECK(kill(inner, SIGKILL) == 0);
    CHECK(waitpid(inner, &st, 0) == inner);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    snprintf(dir, sizeof dir, "/tmp/user_ns_caps.XXXXXX");
    CHECK(mkdtemp(dir));
    CHECK(chmod(dir, 0755) == 0);
    make("mine000", 1000, 1000, 0, 0);
    make("other000", 1001, 1001, 0, 0);
    make("root600", 0, 0, 0600, 0);
    make("gid0", 1001, 0, 0, 0);
    make("rootdir", 0, 0, 0700, 1);
    make("rootdir/f", 0, 0, 0644, 0);
    make("otherdir", 1001, 1001, 0700, 1);
    make("otherdir/f", 1001, 1001, 0644, 0);

    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    char c;
    /* A process outside the namespace with the same kernel uid. */
    pid_t outsider = fork();
    CHECK(outsider >= 0);
    if (outsider == 0) {
        become(1000, 1000);
        CHECK(write(ready[1], "r", 1) == 1);
        for (;;)
            pause();
    }
    CHECK(read(ready[0], &c, 1) == 1);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK(setgroups(0, NULL) == 0);
        become(1000, 1000);
        CHECK(unshare(CLONE_NEWUSER) == 0);
        CHECK(write(ready[1], "r", 1) == 1);
        CHECK(read(go[0], &c, 1) == 1);
        printf("inside: uid %d gid %d\n", (int)getuid(), (int)getgid());
        files();
        tracing(outsider);
        exit(0);
    }
    CHECK(read(ready[0], &c, 1) == 1);
    char map[64];
    snprintf(map, sizeof map, "/proc/%d/uid_map", (int)child);
    int fd = open(map, O_WRONLY);
    CHECK(fd >= 0 && write(fd, "0 1000 2\n", 9) == 9 && close(fd) == 0);
    snprintf(map, sizeof map, "/proc/%d/gid_map", (int)child);
    fd = open(map, O_WRONLY);
    CHECK(fd >= 0 && write(fd, "0 1000 2\n", 9) == 9 && close(fd) == 0);
    CHECK(write(go[1], "g", 1) == 1);
    int st;
    CHECK(waitpid(child, &st, 0) == child);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    CHECK(kill(outsider, SIGKILL) == 0);
    CHECK(waitpid(outsider, &st, 0) == outsider);

    const char *names[] = { "mine000", "other000", "root600", "gid0", "rootdir/f", "rootdir", "otherdir/f", "otherdir" };
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        CHECK(remove(at(names[i])) == 0);
    CHECK(rmdir(dir) == 0);
    return 0;
}
