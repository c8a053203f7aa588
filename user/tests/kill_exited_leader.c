/*
 * kill_exited_leader: a process whose main thread has ended with
 * exit(2) (the thread, not the group) while another thread lives on is
 * still a process: kill() reaches its live thread (found by the fuzzer:
 * Tine dropped the signal, so SIGKILL could not end such a process).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* Waits until /proc says the process's main thread is a zombie. */
static int leader_zombie(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 2000; i++) {
		int fd = open(path, O_RDONLY);
		long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p && p[2] == 'Z')
				return 1;
		}
		usleep(1000);
	}
	return 0;
}

static void one(int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, 0, sleeper, 0);
		syscall(SYS_exit, 0); /* this thread only */
	}
	printf("main thread a zombie: %d\n", leader_zombie(pid));
	int r = kill(pid, 0);
	printf("kill(pid, 0) = %d %s\n", r, en(r ? errno : 0));
	r = kill(pid, sig);
	printf("kill(pid, %d) = %d %s\n", sig, r, en(r ? errno : 0));
	int st;
	printf("waitpid: %d, %s\n", waitpid(pid, &st, 0) == pid, st_str(st));
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	one(SIGKILL);
	one(SIGTERM);
	return 0;
}
