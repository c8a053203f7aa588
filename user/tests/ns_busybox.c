// busybox
/*
 * ns_busybox: busybox's unshare(1) and nsenter(1) over clone(2),
 * unshare(2) and setns(2): `unshare -p -f` runs its command as PID 1 of
 * a new PID namespace with parent 0; `unshare -u` keeps a host name set
 * inside to itself; `nsenter -t PID -p -u` joins the PID and UTS
 * namespaces of a running namespace init (the command is PID 2 there and
 * sees its host name); SIGKILL from outside ends that init.
 * Run as root (natively too): names are set only in new namespaces.
 * Mirrors: unshare(1), nsenter(1) (busybox), pid_namespaces(7).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] =
	"D=$1\n"
	"unshare -p -f sh -c 'echo inner pid $$ ppid $PPID'\n"
	"unshare -u sh -c 'hostname inner-host; hostname'\n"
	"hostname | grep -q inner-host && echo name leaked || echo name unchanged outside\n"
	"unshare -p -u -f sh -c 'hostname ns-x;"
	" while read k a b; do [ \"$k\" = NSpid: ] && echo $a > '$D'/outer; done < /proc/self/status;"
	" exec sleep 30' &\n"
	"U=$!\n"
	"while [ ! -s $D/outer ]; do sleep 1; done\n"
	"I=$(cat $D/outer)\n"
	"nsenter -t $I -p -u sh -c 'echo entered pid $$; hostname'\n"
	"exec 2>/dev/null; kill -9 $I\n"
	"wait $U; echo unshare status $?\n"
	"rm $D/outer\n";

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[64] = "/tmp/ns_busybox.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "sh", "-c", script, "sh", dir, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("sh: %s %d\n", WIFEXITED(st) ? "exited" : "killed", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	rmdir(dir);
	return 0;
}
