/*
 * msg_copy: msgrcv's MSG_COPY (Linux, for checkpoint/restore) copies the
 * message at the index msgtyp and leaves the queue as it was: no message
 * taken, no lrpid or rtime. It needs IPC_NOWAIT and refuses MSG_EXCEPT
 * (EINVAL); an index past the last message, or a negative one, is ENOMSG;
 * a buffer smaller than the message is E2BIG, and EINVAL with
 * MSG_NOERROR (the copy is never truncated); a bad buffer is EFAULT
 * before anything else. An ordinary msgrcv afterwards takes the first
 * message as before.
 * Mirrors: msgop(2) "MSG_COPY".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "testlib.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct m {
	long type;
	char text[64];
};

static void rcv(int q, const char *what, size_t size, long typ, int flags)
{
	struct m m;
	memset(&m, 0, sizeof m);
	long n = msgrcv(q, &m, size, typ, flags);
	if (n < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: %ld bytes, type %ld, \"%.*s\"\n", what, n, m.type, (int)n, m.text);
}

static void stat_of(int q)
{
	struct msqid_ds ds;
	if (msgctl(q, IPC_STAT, &ds) < 0) {
		printf("IPC_STAT: %s\n", en(errno));
		return;
	}
	printf("queue: %lu messages, %lu bytes, lrpid %s, rtime %s\n", (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.__msg_cbytes, ds.msg_lrpid ? "set" : "0", ds.msg_rtime ? "set" : "0");
}

int main(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	if (q < 0) {
		printf("msgget: %s\n", en(errno));
		return 1;
	}
	struct m a = {5, "hello"}, b = {7, "world!!"};
	msgsnd(q, &a, 5, 0);
	msgsnd(q, &b, 7, 0);

	rcv(q, "copy without IPC_NOWAIT", 64, 0, MSG_COPY);
	rcv(q, "copy with MSG_EXCEPT", 64, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT);
	rcv(q, "copy 0", 64, 0, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 1", 64, 1, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 1 again", 64, 1, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 2", 64, 2, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy -1", 64, -1, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 1 into 3 bytes", 3, 1, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 1 into 3 bytes, MSG_NOERROR", 3, 1, MSG_COPY | IPC_NOWAIT | MSG_NOERROR);
	rcv(q, "copy 1 into 7 bytes", 7, 1, MSG_COPY | IPC_NOWAIT);
	rcv(-1, "copy from id -1", 64, 0, MSG_COPY | IPC_NOWAIT);
	long n = msgrcv(q, (void *)16, 64, 0, MSG_COPY | IPC_NOWAIT);
	printf("copy into a bad buffer: %s\n", n < 0 ? en(errno) : "OK");
	stat_of(q);

	rcv(q, "receive", 64, 0, IPC_NOWAIT);
	rcv(q, "copy 0 after", 64, 0, MSG_COPY | IPC_NOWAIT);
	rcv(q, "copy 1 after", 64, 1, MSG_COPY | IPC_NOWAIT);
	stat_of(q);
	rcv(q, "receive", 64, 0, IPC_NOWAIT);
	rcv(q, "copy 0 of an empty queue", 64, 0, MSG_COPY | IPC_NOWAIT);
	msgctl(q, IPC_RMID, NULL);
	rcv(q, "copy from a removed queue", 64, 0, MSG_COPY | IPC_NOWAIT);
	return 0;
}
