// busybox
/*
 * ns_mount_proc: busybox's `unshare -p -f --mount-proc` runs its command
 * as PID 1 of a new PID namespace, in a new mount namespace with a proc
 * mounted there: `ps` lists only the namespace's processes, by their
 * numbers in it (a proc instance shows its mounter's PID namespace);
 * `nsenter -t PID -p -m` joins the PID and mount namespaces of a running
 * namespace init (found from outside through the outer /proc, which
 * keeps global numbers) and sees the same; SIGKILL from outside ends it.
 * Run as root (natively too): the mounts are made in new namespaces only.
 * Mirrors: unshare(1), nsenter(1) (busybox), pid_namespaces(7),
 * mount_namespaces(7).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] =
	"unshare -p -f --mount-proc sh -c 'echo $$; ps'\n"
	"unshare -p -f --mount-proc sleep 30 &\n"
	"U=$!\n"
	"I=\n"
	"while [ -z \"$I\" ]; do\n"
	"  for s in /proc/[0-9]*/stat; do\n"
	"    read p c st pp rest < $s 2>/dev/null || continue\n"
	"    [ \"$pp\" = \"$U\" ] && [ \"$c\" = \"(sleep)\" ] && I=$p\n"
	"  done\n"
	"done\n"
	"nsenter -t $I -p -m sh -c 'echo entered pid $$; ps; true'\n"
	"exec 2>/dev/null; kill -9 $I\n"
	"wait $U; echo unshare status $?\n";

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "sh", "-c", script, "sh", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("sh: %s %d\n", WIFEXITED(st) ? "exited" : "killed", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}
