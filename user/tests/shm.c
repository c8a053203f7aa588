/*
 * shm: System V shared memory. A segment is created (IPC_PRIVATE and by
 * key, IPC_CREAT/IPC_EXCL rules), attached (shared across fork: the
 * child sees and changes the same bytes, and counts in shm_nattch until
 * it exits), detached, and removed: IPC_RMID frees the key at once but
 * the memory stays for those attached (SHM_DEST), until the last shmdt.
 * Permissions: another user gets EACCES to attach a 0600 segment and
 * EPERM to remove it; IPC_SET by the owner opens it. SHM_RDONLY maps
 * read-only (a write is SIGSEGV); SHM_RND rounds an unaligned address.
 * Mirrors: shmget(2), shmop(2), shmctl(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void stat_of(const char *when, int id)
{
	struct shmid_ds ds;
	memset(&ds, 0, sizeof ds);
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("%s: IPC_STAT %s\n", when, en(errno));
		return;
	}
	printf("%s: size %zu mode %o nattch %lu cpid me %d lpid me %d key 0 %d\n", when, ds.shm_segsz,
	       (unsigned)ds.shm_perm.mode, (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(), ds.shm_lpid == getpid(),
	       ds.shm_perm.__key == 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("size 0: %s\n", rc_str(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600)));
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	printf("create: %s\n", id >= 0 ? "ok" : en(errno));
	stat_of("new", id);
	char *p = shmat(id, NULL, 0);
	printf("attach: %s\n", p == (void *)-1 ? en(errno) : "ok");
	strcpy(p, "parent");
	stat_of("attached", id);

	int go[2], done[2];
	pipe(go);
	pipe(done);
	pid_t c = fork();
	if (c == 0) {
		printf("  child reads \"%s\"\n", p);
		strcpy(p, "child");
		stat_of("  child", id);
		write(done[1], "x", 1);
		char x;
		read(go[0], &x, 1);
		_exit(0);
	}
	char x;
	read(done[0], &x, 1);
	printf("parent reads \"%s\"\n", p);
	stat_of("with the child", id);
	write(go[1], "x", 1);
	waitpid(c, NULL, 0);
	stat_of("child gone", id);
	printf("shmdt: %s\n", rc_str(shmdt(p)));
	printf("shmdt again: %s\n", rc_str(shmdt(p)));
	printf("shmdt unaligned: %s\n", rc_str(shmdt(p + 1)));
	stat_of("detached", id);

	/* Address rules. */
	char *q = shmat(id, NULL, 0);
	shmdt(q);
	printf("attach at an unaligned address: %s\n", shmat(id, q + 1, 0) == (void *)-1 ? en(errno) : "ok");
	char *r = shmat(id, q + 1, SHM_RND);
	printf("same with SHM_RND: %s, at the page: %d\n", r == (void *)-1 ? en(errno) : "ok", r == q);
	printf("over an existing attachment: %s\n", shmat(id, q, 0) == (void *)-1 ? en(errno) : "ok");
	shmdt(r);

	/* Read-only. */
	c = fork();
	if (c == 0) {
		char *ro = shmat(id, NULL, SHM_RDONLY);
		printf("  read-only attach reads \"%s\"\n", ro);
		ro[0] = 'X';
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("write through SHM_RDONLY: %s\n", st_str(st));

	/* Another user. */
	c = fork();
	if (c == 0) {
		setgid(2000);
		setuid(2000);
		printf("  uid 2000 attach: %s\n", shmat(id, NULL, 0) == (void *)-1 ? en(errno) : "ok");
		printf("  uid 2000 IPC_RMID: %s\n", rc_str(shmctl(id, IPC_RMID, NULL)));
		printf("  uid 2000 IPC_STAT: %s\n", rc_str(shmctl(id, IPC_STAT, &(struct shmid_ds){0})));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0666;
	printf("IPC_SET 0666: %s\n", rc_str(shmctl(id, IPC_SET, &ds)));
	c = fork();
	if (c == 0) {
		setgid(2000);
		setuid(2000);
		char *o = shmat(id, NULL, 0);
		printf("  uid 2000 attach now: %s\n", o == (void *)-1 ? en(errno) : "ok");
		_exit(0);
	}
	waitpid(c, NULL, 0);

	/* Keys. */
	key_t key = 0x54490000 + (getpid() & 0xffff);
	int k1 = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	printf("by key: %s\n", k1 >= 0 ? "ok" : en(errno));
	printf("again IPC_EXCL: %s\n", rc_str(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)));
	printf("again, same id: %d\n", shmget(key, 100, 0) == k1);
	printf("larger than it: %s\n", rc_str(shmget(key, 8192, 0)));
	printf("unknown key: %s\n", rc_str(shmget(key + 1, 4096, 0)));

	/* Removal while attached. */
	char *m = shmat(k1, NULL, 0);
	strcpy(m, "still here");
	printf("IPC_RMID attached: %s\n", rc_str(shmctl(k1, IPC_RMID, NULL)));
	printf("key after IPC_RMID: %s\n", rc_str(shmget(key, 4096, 0)));
	stat_of("removed but attached", k1);
	printf("memory: \"%s\"\n", m);
	shmdt(m);
	stat_of("after the last shmdt", k1);

	printf("IPC_RMID: %s\n", rc_str(shmctl(id, IPC_RMID, NULL)));
	stat_of("removed", id);
	printf("bad id attach: %s\n", shmat(-1, NULL, 0) == (void *)-1 ? en(errno) : "ok");
	printf("bad command: %s\n", rc_str(shmctl(k1, 77, NULL)));
	return 0;
}
