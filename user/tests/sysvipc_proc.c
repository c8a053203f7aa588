/*
 * sysvipc_proc: /proc/sysvipc/shm, sem and msg list the IPC namespace's
 * objects in Linux's exact layout (ipc/shm.c, sem.c, msg.c's proc show
 * functions): the header, then one line per object in fixed-width
 * columns. Made here: a 20000-byte shared memory segment by key with 3
 * of its 5 pages written (rss 12288) and attached once, a private one
 * attached and then removed (mode 1600 with SHM_DEST, key 0, still
 * listed while attached, gone after shmdt), a set of 3 semaphores, and a
 * queue holding 2 messages of 10 and 20 bytes. Only this test's own
 * lines are shown (the host's namespace may hold others), in the order
 * they were made; ids, pids, owners and times, which differ by nature,
 * are masked to a '*' over their whole column, so the widths still count.
 * Mirrors: proc(5) "/proc/sysvipc".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "testlib.h"

#define KEY_SHM 0x7e570001
#define KEY_SEM 0x7e570002
#define KEY_MSG 0x7e570003

/* Print the header of /proc/sysvipc/`name`, then the lines whose second
 * column is one of `ids` (in that order), with the columns in `mask`
 * (a bit per column) replaced by a '*' right-aligned over the column. */
static void show(const char *name, const int *ids, int nids, unsigned long mask)
{
	char path[64], lines[16][512];
	int found[16] = {0};
	snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, en(errno));
		return;
	}
	char line[512];
	printf("%s:\n", path);
	if (fgets(line, sizeof line, f))
		fputs(line, stdout);
	while (fgets(line, sizeof line, f)) {
		int id;
		if (sscanf(line, "%*d %d", &id) != 1)
			continue;
		for (int i = 0; i < nids; i++) {
			if (ids[i] != id || found[i])
				continue;
			char *out = lines[i];
			size_t at = 0, o = 0;
			for (int col = 0; line[at] && line[at] != '\n'; col++) {
				size_t start = at;
				while (line[at] == ' ')
					at++;
				while (line[at] && line[at] != ' ' && line[at] != '\n')
					at++;
				if (mask >> col & 1)
					o += sprintf(out + o, "%*s", (int)(at - start), "*");
				else
					o += sprintf(out + o, "%.*s", (int)(at - start), line + start);
			}
			out[o] = 0;
			found[i] = 1;
		}
	}
	fclose(f);
	for (int i = 0; i < nids; i++)
		printf("%s\n", found[i] ? lines[i] : "(not listed)");
}

static void rm_key(int key)
{
	int id;
	if ((id = shmget(key, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = semget(key, 0, 0)) >= 0)
		semctl(id, 0, IPC_RMID);
	if ((id = msgget(key, 0)) >= 0)
		msgctl(id, IPC_RMID, NULL);
}

int main(void)
{
	/* Left over from an interrupted run on the host. */
	rm_key(KEY_SHM);
	rm_key(KEY_SEM);
	rm_key(KEY_MSG);

	int shm = shmget(KEY_SHM, 20000, IPC_CREAT | IPC_EXCL | 0640);
	int priv = shmget(IPC_PRIVATE, 4096, 0600);
	int sem = semget(KEY_SEM, 3, IPC_CREAT | IPC_EXCL | 0604);
	int msg = msgget(KEY_MSG, IPC_CREAT | IPC_EXCL | 0660);
	if (shm < 0 || priv < 0 || sem < 0 || msg < 0) {
		printf("get: %s\n", en(errno));
		return 1;
	}
	char *p = shmat(shm, NULL, 0);
	char *q = shmat(priv, NULL, 0);
	if (p == (void *)-1 || q == (void *)-1) {
		printf("shmat: %s\n", en(errno));
		return 1;
	}
	for (int i = 0; i < 3; i++)
		p[i * 4096] = 1;
	shmctl(priv, IPC_RMID, NULL);
	struct {
		long type;
		char text[20];
	} m = {1, "0123456789012345678"};
	msgsnd(msg, &m, 10, 0);
	msgsnd(msg, &m, 20, 0);

	/* shm: shmid, cpid, lpid, uid, gid, cuid, cgid, atime, dtime, ctime. */
	unsigned long shm_mask = 1ul << 1 | 1ul << 4 | 1ul << 5 | 0xful << 7 | 7ul << 11;
	show("shm", (int[]){shm, priv}, 2, shm_mask);
	/* sem: semid, uid, gid, cuid, cgid, otime, ctime. */
	show("sem", (int[]){sem}, 1, 1ul << 1 | 0x3ful << 4);
	/* msg: msqid, lspid, lrpid, uid, gid, cuid, cgid, stime, rtime, ctime. */
	show("msg", (int[]){msg}, 1, 1ul << 1 | 0x1fful << 5);

	shmdt(q);
	shmdt(p);
	printf("after shmdt:\n");
	show("shm", (int[]){shm, priv}, 2, shm_mask);

	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	msgctl(msg, IPC_RMID, NULL);
	printf("after IPC_RMID:\n");
	show("shm", (int[]){shm}, 1, shm_mask);
	show("sem", (int[]){sem}, 1, 0);
	show("msg", (int[]){msg}, 1, 0);
	return 0;
}
