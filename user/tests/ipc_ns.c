/*
 * ipc_ns: IPC namespaces (ipc_namespaces(7), unshare(2), clone(2),
 * setns(2), shmget(2), semop(2), msgget(2)).
 * Checks:
 *   after unshare(CLONE_NEWIPC) the parent's segment, semaphore set and
 *     queue are not found by key (ENOENT), and a segment made with the
 *     same key is another one, which the parent does not see;
 *   clone(CLONE_NEWIPC): the child starts with an empty namespace;
 *   setns with /proc/PID/ns/ipc joins the other namespace: its segment
 *     is found there;
 *   a SEM_UNDO adjustment is undone when its task unshares CLONE_NEWIPC;
 *   the namespace and its objects go with its last process.
 * Run as root (natively too); the parent's objects are removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY 0x7e57ab1e

static int result(long r)
{
	return r < 0 ? -errno : (int)r;
}

static long seg_size(int id)
{
	struct shmid_ds ds;
	return shmctl(id, IPC_STAT, &ds) < 0 ? -errno : (long)ds.shm_segsz;
}

static void lookups(const char *who)
{
	int s = shmget(KEY, 0, 0);
	printf("%s: shmget %s", who, s < 0 ? strerror(errno) : "found");
	if (s >= 0)
		printf(" (%ld bytes)", seg_size(s));
	printf(", semget %s", semget(KEY, 0, 0) < 0 ? strerror(errno) : "found");
	printf(", msgget %s\n", msgget(KEY, 0) < 0 ? strerror(errno) : "found");
}

static char stack[64 * 1024];

static int clone_child(void *arg)
{
	(void)arg;
	lookups("clone(CLONE_NEWIPC) child");
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int shm = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
	int sem = semget(KEY, 1, IPC_CREAT | IPC_EXCL | 0600);
	int msg = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
	if (shm < 0 || sem < 0 || msg < 0) {
		printf("creating the parent's objects: %s\n", strerror(errno));
		return 1;
	}
	lookups("parent");

	int ready[2], done[2];
	pipe(ready);
	pipe(done);
	pid_t c = fork();
	if (c == 0) {
		struct sembuf up = { 0, 1, SEM_UNDO };
		printf("child semop +1 with SEM_UNDO: %d\n", result(semop(sem, &up, 1)));
		printf("child unshare(CLONE_NEWIPC): %d\n", result(unshare(CLONE_NEWIPC)));
		lookups("child after unshare");
		int mine = shmget(KEY, 8192, IPC_CREAT | IPC_EXCL | 0600);
		printf("child's own segment with the same key: %s, %ld bytes\n", mine >= 0 ? "made" : strerror(errno),
		       seg_size(mine));
		write(ready[1], "x", 1);
		char b;
		read(done[0], &b, 1);
		_exit(0);
	}
	char b;
	read(ready[0], &b, 1);
	printf("parent's semaphore after the child's unshare: %d\n", semctl(sem, 0, GETVAL));
	lookups("parent after the child's unshare");

	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", c);
	int fd = open(path, O_RDONLY);
	pid_t j = fork();
	if (j == 0) {
		printf("setns(child's ipc ns): %d\n", result(setns(fd, CLONE_NEWIPC)));
		lookups("after setns");
		_exit(0);
	}
	waitpid(j, NULL, 0);
	close(fd);

	pid_t cl = clone(clone_child, stack + sizeof(stack), CLONE_NEWIPC | SIGCHLD, NULL);
	waitpid(cl, NULL, 0);

	write(done[1], "x", 1);
	waitpid(c, NULL, 0);
	lookups("parent at the end");
	printf("IPC_RMID: %d %d %d\n", result(shmctl(shm, IPC_RMID, NULL)), result(semctl(sem, 0, IPC_RMID)),
	       result(msgctl(msg, IPC_RMID, NULL)));
	return 0;
}
