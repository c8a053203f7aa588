// busybox
/*
 * mount_busybox: busybox's mount(8) and umount(8) over mount(2): `mount
 * -t tmpfs none DIR`, a file made in it, `mount` listing it (from
 * /proc/mounts), `mount -o remount,ro`, `umount DIR` and the directory
 * empty again, `mount -t proc`, `mount --bind`, and umount of what is not
 * mounted failing. The test first enters a private mount namespace
 * (natively it stops if it cannot, so that it never changes the host's
 * mounts). The directory is a fresh one in /tmp, shown as BASE.
 * Mirrors: mount(8), umount(8) (busybox), mount(2), umount2(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int under_tine(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "tine") != NULL;
}

static const char script[] =
	"B=$1\n"
	"show() { mount | grep \"$B\" | sed \"s|$B|BASE|g\"; }\n"
	"mkdir $B/mnt $B/p $B/b && echo under > $B/mnt/under\n"
	"mount -t tmpfs none $B/mnt && echo mounted\n"
	"ls $B/mnt\n"
	"echo hello > $B/mnt/f && cat $B/mnt/f\n"
	"show\n"
	"mount -o remount,ro $B/mnt && echo remounted\n"
	"echo no 2>/dev/null > $B/mnt/g || echo read-only\n"
	"show\n"
	"mount -t proc proc $B/p && test -e $B/p/self/status && echo proc there\n"
	"mount --bind $B/mnt $B/b && cat $B/b/f\n"
	"show\n"
	"umount $B/b && umount $B/p && umount $B/mnt && echo unmounted\n"
	"ls $B/mnt\n"
	"umount $B/mnt 2>/dev/null || echo umount again fails\n"
	"show\n"
	"rm $B/mnt/under && rmdir $B/mnt $B/p $B/b\n";

int main(void)
{
	if (unshare(CLONE_NEWNS) != 0 && !under_tine()) {
		printf("unshare(CLONE_NEWNS): %s: not mounting anything\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	char base[64] = "/tmp/mount_busybox.XXXXXX";
	if (!mkdtemp(base)) {
		printf("mkdtemp: %s\n", en(errno));
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "sh", "-c", script, "sh", base, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("sh: %s\n", st_str(st));
	printf("rmdir BASE: %s\n", en(rmdir(base) == 0 ? 0 : errno));
	return 0;
}
