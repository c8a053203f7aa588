/*
 * sysv_sem: System V semaphores.
 * Checks:
 *   semget/semctl: SETVAL, GETVAL, SETALL, GETALL, GETPID, IPC_STAT's
 *     nsems and mode, IPC_SET's mode, IPC_INFO's limits;
 *   SEM_UNDO: a child's operations with SEM_UNDO are undone when it
 *     exits, its parent's own are not; an undo that would go below zero
 *     stops at zero;
 *   a semop that must wait sleeps until another process makes it
 *     possible, and GETNCNT/GETZCNT count the sleepers meanwhile; a wait
 *     for zero ends when the value reaches zero;
 *   IPC_RMID wakes a sleeper with EIDRM;
 *   errors: a bad id (EINVAL), sem_num past the set (EFBIG), more than
 *     semopm operations (E2BIG), IPC_NOWAIT (EAGAIN), a semtimedop
 *     timeout (EAGAIN), SETVAL past SEMVMX (ERANGE), semget with too many
 *     semaphores or none (EINVAL), an existing key with IPC_EXCL
 *     (EEXIST), a missing one without IPC_CREAT (ENOENT);
 *   /proc/sys/kernel/sem's four limits; /proc/sysvipc/sem's header and
 *     the set's line.
 * Mirrors: semget(2), semop(2), semctl(2), ipc/sem.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int op(int id, int num, int delta, int flg)
{
	struct sembuf b = { (unsigned short)num, (short)delta, (short)flg };
	return semop(id, &b, 1) < 0 ? -errno : 0;
}

static int ctl(int id, int num, int cmd, int val)
{
	union semun u = { .val = val };
	int r = semctl(id, num, cmd, u);
	return r < 0 ? -errno : r;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static const char *err(int r)
{
	static char b[32];
	switch (-r) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EFBIG: return "EFBIG";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ERANGE: return "ERANGE";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EIDRM: return "EIDRM";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	}
	snprintf(b, sizeof b, "%d", r);
	return b;
}

int main(void)
{
	int id = semget(IPC_PRIVATE, 3, 0600);
	printf("semget: %s\n", id >= 0 ? "ok" : strerror(errno));
	printf("SETVAL 5: %s\n", err(ctl(id, 0, SETVAL, 5)));
	printf("GETVAL: %d\n", ctl(id, 0, GETVAL, 0));
	unsigned short all[3] = { 1, 2, 3 }, got[3] = { 0 };
	union semun u = { .array = all };
	printf("SETALL: %d\n", semctl(id, 0, SETALL, u));
	u.array = got;
	semctl(id, 0, GETALL, u);
	printf("GETALL: %d %d %d\n", got[0], got[1], got[2]);
	printf("GETPID is us: %s\n", ctl(id, 1, GETPID, 0) == getpid() ? "yes" : "no");
	struct semid_ds ds;
	u.buf = &ds;
	semctl(id, 0, IPC_STAT, u);
	printf("IPC_STAT: nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
	ds.sem_perm.mode = 0640;
	printf("IPC_SET: %d\n", semctl(id, 0, IPC_SET, u));
	semctl(id, 0, IPC_STAT, u);
	printf("mode now %o\n", ds.sem_perm.mode & 0777);
	/* IPC_SET copies the semid_ds in before it looks the id up. */
	errno = 0;
	long bad = syscall(SYS_semctl, id + 1, 0, IPC_SET, (void *)8);
	printf("IPC_SET, bad id and bad buffer: %ld %s\n", bad, strerror(errno));
	/* SETVAL checks the value's range before it looks the id up. */
	errno = 0;
	bad = syscall(SYS_semctl, id + 1, 0, SETVAL, -1L);
	printf("SETVAL -1 on a bad id: %ld %s\n", bad, strerror(errno));
	struct seminfo si;
	u.__buf = &si;
	int info = semctl(id, 0, IPC_INFO, u);
	printf("IPC_INFO: %s; semmsl %d semopm %d semvmx %d semmni %d semaem %d\n", info >= 0 ? "ok" : "fail",
	       si.semmsl, si.semopm, si.semvmx, si.semmni, si.semaem);

	/* /proc/sysvipc/sem: the header, and our set's line. */
	FILE *pf = fopen("/proc/sysvipc/sem", "r");
	char line[256];
	if (pf && fgets(line, sizeof line, pf))
		printf("/proc/sysvipc/sem header: %s", line);
	while (pf && fgets(line, sizeof line, pf)) {
		int key, semid, nsems;
		unsigned perms;
		if (sscanf(line, "%d %d %o %d", &key, &semid, &perms, &nsems) == 4 && semid == id)
			printf("our line: key %d perms %o nsems %d, width ok: %s\n", key, perms, nsems,
			       strlen(line) > 80 ? "yes" : "no");
	}
	if (pf)
		fclose(pf);

	/* SEM_UNDO across fork. */
	ctl(id, 0, SETVAL, 0);
	op(id, 0, 2, SEM_UNDO);
	pid_t pid = fork();
	if (pid == 0) {
		op(id, 0, -1, SEM_UNDO);
		op(id, 1, 4, SEM_UNDO);
		_exit(ctl(id, 0, GETVAL, 0));
	}
	int st;
	waitpid(pid, &st, 0);
	int v0 = ctl(id, 0, GETVAL, 0), v1 = ctl(id, 1, GETVAL, 0);
	printf("child saw %d; after its exit: sem0 %d sem1 %d\n", WEXITSTATUS(st), v0, v1);
	/* A child's undo of +3 on a value another process then lowered. */
	ctl(id, 2, SETVAL, 0);
	pid = fork();
	if (pid == 0) {
		op(id, 2, 3, SEM_UNDO);
		pause_ms(200);
		_exit(0);
	}
	pause_ms(50);
	op(id, 2, -2, 0);
	waitpid(pid, &st, 0);
	printf("undo clamped at zero: %d\n", ctl(id, 2, GETVAL, 0));

	/* A semop that waits, woken by another process. */
	ctl(id, 0, SETVAL, 0);
	pid = fork();
	if (pid == 0) {
		pause_ms(200);
		int n = ctl(id, 0, GETNCNT, 0);
		op(id, 0, 1, 0);
		_exit(n);
	}
	int r = op(id, 0, -1, 0);
	waitpid(pid, &st, 0);
	v0 = ctl(id, 0, GETVAL, 0);
	printf("blocking semop: %s; GETNCNT while it slept: %d; value now %d\n", err(r), WEXITSTATUS(st), v0);
	ctl(id, 1, SETVAL, 1);
	pid = fork();
	if (pid == 0) {
		pause_ms(200);
		int n = ctl(id, 1, GETZCNT, 0);
		op(id, 1, -1, 0);
		_exit(n);
	}
	r = op(id, 1, 0, 0);
	waitpid(pid, &st, 0);
	printf("wait for zero: %s; GETZCNT while it slept: %d\n", err(r), WEXITSTATUS(st));

	/* Errors. */
	struct sembuf many[501];
	memset(many, 0, sizeof many);
	printf("bad id: %s\n", err(op(id + 1, 0, 1, 0)));
	printf("sem_num 3 of 3: %s\n", err(op(id, 3, 1, 0)));
	printf("501 operations: %s\n", err(semop(id, many, 501) < 0 ? -errno : 0));
	printf("IPC_NOWAIT: %s\n", err(op(id, 0, -1, IPC_NOWAIT)));
	struct sembuf dec = { 0, -1, 0 };
	struct timespec to = { 0, 50 * 1000 * 1000 };
	printf("semtimedop timeout: %s\n", err(semtimedop(id, &dec, 1, &to) < 0 ? -errno : 0));
	printf("SETVAL 40000: %s\n", err(ctl(id, 0, SETVAL, 40000)));
	printf("SETVAL -1: %s\n", err(ctl(id, 0, SETVAL, -1)));
	printf("GETVAL of sem 7: %s\n", err(ctl(id, 7, GETVAL, 0)));
	printf("semget 40000 semaphores: %s\n", err(semget(IPC_PRIVATE, 40000, 0600) < 0 ? -errno : 0));
	printf("semget 0 semaphores: %s\n", err(semget(IPC_PRIVATE, 0, 0600) < 0 ? -errno : 0));
	key_t key = 0x5e000000 | getpid();
	int kid = semget(key, 1, IPC_CREAT | 0600);
	int again = semget(key, 1, 0);
	printf("semget by key: %s; again: %s\n", kid >= 0 ? "ok" : "fail", again == kid ? "same id" : "other");
	printf("IPC_CREAT|IPC_EXCL on it: %s\n", err(semget(key, 1, IPC_CREAT | IPC_EXCL | 0600) < 0 ? -errno : 0));
	printf("more semaphores than it has: %s\n", err(semget(key, 2, 0) < 0 ? -errno : 0));
	semctl(kid, 0, IPC_RMID);
	printf("after IPC_RMID, without IPC_CREAT: %s\n", err(semget(key, 1, 0) < 0 ? -errno : 0));

	/* IPC_RMID wakes a sleeper with EIDRM. */
	ctl(id, 0, SETVAL, 0);
	pid = fork();
	if (pid == 0) {
		int e = op(id, 0, -1, 0);
		_exit(e == -EIDRM ? 43 : 1);
	}
	pause_ms(200);
	printf("IPC_RMID: %d\n", semctl(id, 0, IPC_RMID));
	waitpid(pid, &st, 0);
	printf("sleeper got EIDRM: %s\n", WEXITSTATUS(st) == 43 ? "yes" : "no");
	printf("the id after removal: %s\n", err(ctl(id, 0, GETVAL, 0)));

	FILE *f = fopen("/proc/sys/kernel/sem", "r");
	long a = 0, b = 0, c = 0, d = 0;
	if (f && fscanf(f, "%ld %ld %ld %ld", &a, &b, &c, &d) == 4)
		printf("/proc/sys/kernel/sem: %ld %ld %ld %ld\n", a, b, c, d);
	return 0;
}
