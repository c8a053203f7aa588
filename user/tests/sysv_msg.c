/*
 * sysv_msg: System V message queues.
 * Checks:
 *   msgsnd/msgrcv: msgtyp 0 takes the oldest, > 0 the oldest of that
 *     type, with MSG_EXCEPT the oldest of another, < 0 the oldest of the
 *     lowest type not above |msgtyp|;
 *   a buffer too small: E2BIG and the message stays; with MSG_NOERROR it
 *     is cut and taken;
 *   IPC_NOWAIT on an empty queue (ENOMSG) and on a full one (EAGAIN);
 *   IPC_STAT: qnum, cbytes, qbytes (msgmnb), lspid/lrpid; IPC_SET's
 *     qbytes; IPC_INFO's limits;
 *   a msgrcv that waits is woken by another process's msgsnd; a msgsnd
 *     on a full queue by a msgrcv; IPC_RMID wakes a waiter with EIDRM;
 *   errors: size past msgmax and mtype < 1 (EINVAL), a bad id (EINVAL),
 *     a negative size (EINVAL), an existing key with IPC_EXCL (EEXIST),
 *     IPC_SET with a bad id and a bad buffer (EFAULT: the copy is first);
 *   /proc/sys/kernel/msgmax, msgmnb, msgmni; /proc/sysvipc/msg's header
 *     and the queue's line.
 * Mirrors: msgget(2), msgop(2), msgctl(2), ipc/msg.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct m {
	long mtype;
	char text[64];
};

static int snd(int id, long type, const char *text, int flags)
{
	struct m b = { type, { 0 } };
	strcpy(b.text, text);
	return msgsnd(id, &b, strlen(text), flags) < 0 ? -errno : 0;
}

static const char *err(long r)
{
	static char b[32];
	switch (-r) {
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMSG: return "ENOMSG";
	case EEXIST: return "EEXIST";
	case EIDRM: return "EIDRM";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	}
	snprintf(b, sizeof b, "%ld", r);
	return b;
}

static void rcv(int id, size_t size, long type, int flags)
{
	struct m b;
	memset(&b, 0, sizeof b);
	long n = msgrcv(id, &b, size, type, flags);
	if (n < 0)
		printf("  msgrcv(size %zu, type %ld): %s\n", size, type, err(-errno));
	else
		printf("  msgrcv(size %zu, type %ld): %ld bytes, type %ld, \"%.*s\"\n", size, type, n, b.mtype, (int)n,
		       b.text);
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	printf("msgget: %s\n", id >= 0 ? "ok" : strerror(errno));
	snd(id, 3, "three", 0);
	snd(id, 1, "one-a", 0);
	snd(id, 2, "two", 0);
	snd(id, 1, "one-b", 0);
	snd(id, 5, "five", 0);
	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	printf("IPC_STAT: qnum %lu cbytes %lu qbytes %lu lspid is us %s\n", (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid() ? "yes" : "no");
	FILE *pf = fopen("/proc/sysvipc/msg", "r");
	char line[256];
	if (pf && fgets(line, sizeof line, pf))
		printf("/proc/sysvipc/msg header: %s", line);
	while (pf && fgets(line, sizeof line, pf)) {
		int key, msqid;
		unsigned perms;
		unsigned long cbytes, qnum;
		if (sscanf(line, "%d %d %o %lu %lu", &key, &msqid, &perms, &cbytes, &qnum) == 5 && msqid == id)
			printf("our line: key %d perms %o cbytes %lu qnum %lu\n", key, perms, cbytes, qnum);
	}
	if (pf)
		fclose(pf);
	printf("selection:\n");
	rcv(id, 64, 1, 0);
	rcv(id, 64, 3, MSG_EXCEPT);
	rcv(id, 64, -2, 0);
	rcv(id, 2, 0, 0);
	rcv(id, 2, 0, MSG_NOERROR);
	rcv(id, 64, 7, IPC_NOWAIT);
	rcv(id, 64, 0, 0);
	rcv(id, 64, 0, IPC_NOWAIT);
	msgctl(id, IPC_STAT, &ds);
	printf("after: qnum %lu cbytes %lu lrpid is us %s\n", (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.__msg_cbytes, ds.msg_lrpid == getpid() ? "yes" : "no");

	/* Limits and errors. */
	struct m big = { 1, { 0 } };
	printf("msgsnd 8193 bytes: %s\n", err(msgsnd(id, &big, 8193, 0) < 0 ? -errno : 0));
	printf("msgsnd type 0: %s\n", err(snd(id, 0, "x", 0)));
	printf("msgsnd to a bad id: %s\n", err(snd(id + 1, 1, "x", 0)));
	/* IPC_SET copies the msqid_ds in before it looks the id up. */
	printf("IPC_SET, bad id and bad buffer: %s\n",
	       err(syscall(SYS_msgctl, id + 1, IPC_SET, (void *)8) < 0 ? -errno : 0));
	printf("msgrcv size -1: %s\n", err(msgrcv(id, &big, -1, 0, 0) < 0 ? -errno : 0));
	ds.msg_qbytes = 10;
	printf("IPC_SET qbytes 10: %s\n", err(msgctl(id, IPC_SET, &ds) < 0 ? -errno : 0));
	int r1 = snd(id, 1, "abcdef", IPC_NOWAIT);
	int r2 = snd(id, 1, "ghijkl", IPC_NOWAIT);
	printf("6 bytes: %s; 6 more: %s\n", err(r1), err(r2));

	/* A sender waits for room. */
	pid_t pid = fork();
	if (pid == 0) {
		pause_ms(200);
		struct m b;
		msgrcv(id, &b, 64, 0, 0);
		_exit(0);
	}
	int r = snd(id, 1, "ghijkl", 0);
	int st;
	waitpid(pid, &st, 0);
	printf("msgsnd that waited for room: %s\n", err(r));
	rcv(id, 64, 0, 0);

	/* A receiver waits for a message. */
	pid = fork();
	if (pid == 0) {
		pause_ms(200);
		snd(id, 9, "late", 0);
		_exit(0);
	}
	printf("msgrcv that waited:\n");
	rcv(id, 64, 9, 0);
	waitpid(pid, &st, 0);

	struct msginfo mi;
	int max = msgctl(id, IPC_INFO, (struct msqid_ds *)&mi);
	printf("IPC_INFO: %s; msgmax %d msgmnb %d msgmni %d\n", max >= 0 ? "ok" : "fail", mi.msgmax, mi.msgmnb,
	       mi.msgmni);

	key_t key = 0x6d000000 | getpid();
	int kid = msgget(key, IPC_CREAT | 0600);
	int again = msgget(key, 0);
	printf("msgget by key: %s\n", kid >= 0 && again == kid ? "same id" : "other");
	printf("IPC_CREAT|IPC_EXCL on it: %s\n", err(msgget(key, IPC_CREAT | IPC_EXCL) < 0 ? -errno : 0));
	msgctl(kid, IPC_RMID, NULL);

	/* IPC_RMID wakes a waiting receiver with EIDRM. */
	pid = fork();
	if (pid == 0) {
		struct m b;
		long n = msgrcv(id, &b, 64, 0, 0);
		_exit(n < 0 && errno == EIDRM ? 43 : 1);
	}
	pause_ms(200);
	printf("IPC_RMID: %d\n", msgctl(id, IPC_RMID, NULL));
	waitpid(pid, &st, 0);
	printf("waiter got EIDRM: %s\n", WEXITSTATUS(st) == 43 ? "yes" : "no");
	printf("the id after removal: %s\n", err(msgctl(id, IPC_STAT, &ds) < 0 ? -errno : 0));

	const char *files[] = { "msgmax", "msgmnb", "msgmni" };
	for (int i = 0; i < 3; i++) {
		char path[64], b[32] = { 0 };
		snprintf(path, sizeof path, "/proc/sys/kernel/%s", files[i]);
		FILE *f = fopen(path, "r");
		if (f && fgets(b, sizeof b, f))
			printf("%s: %s", files[i], b);
		if (f)
			fclose(f);
	}
	return 0;
}
