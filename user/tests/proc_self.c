// args: alpha beta gamma
/*
 * proc_self: what /proc shows a process about itself and its children,
 * limited to facts that do not depend on the machine (no absolute PIDs,
 * sizes or times are printed).
 * Checks:
 *   /proc/self is a symlink whose text is getpid(); /proc/self/stat has 52
 *     fields, field 1 == getpid(), (comm), state R, field 4 == getppid(),
 *     field 20 (num_threads) 1; /proc/self/task lists exactly getpid();
 *   /proc/self/status: Name, State "R (running)", Tgid/Pid/PPid, Uid and
 *     Gid lines "0\t0\t0\t0", VmSize/VmRSS/VmLck in "%8lu kB" form, Threads
 *     1, SigBlk as 16 hex digits with a blocked SIGUSR1 shown (bit 9);
 *     SigIgn with an ignored SIGUSR2, SigCgt with a caught SIGTERM;
 *   /proc/self/cmdline == argv joined by NUL,
 *     /proc/self/comm == "proc_self\n", readlink(/proc/self/exe) basename;
 *   /proc/self/fd lists 0 1 2, a newly opened file and the directory's own
 *     descriptor (others the native harness passed on are not printed, but
 *     must be open); fd/0 -> /dev/null, fd/1 -> "pipe:[...]" and stat through
 *     fd/1 is a FIFO; fd/3 -> the file's path; lstat of fd/3 is a link;
 *     opening fd/3 gives the same file (same st_ino, reads its data);
 *   /proc/self/maps has a [stack] line in Linux's column layout;
 *   /proc/meminfo MemTotal/MemFree/MemAvailable/SwapTotal lines,
 *     MemFree <= MemTotal; reading again after lseek(0) gives a fresh text
 *     of the same shape; SEEK_END -> EINVAL;
 *   /proc/uptime, /proc/loadavg, /proc/stat (cpu, btime, processes,
 *     procs_running lines) formats; /proc listing has "self" and getpid();
 *   /proc/sys/kernel/pid_max: a number; writing it back unchanged works
 *     ("N\n"), "abc" and 300 (below the minimum) -> EINVAL;
 *   modes: /proc 040555, /proc/meminfo 0100444 size 0, /proc/self/fd
 *     040500, pid_max 0100644; readlink of a file -> EINVAL;
 *   errors: /proc/999999999 -> ENOENT, /proc/meminfo/x -> ENOTDIR, open
 *     of /proc/self for writing -> EISDIR, O_CREAT of a new name in /proc
 *     -> ENOENT, mkdir in /proc -> ENOENT, unlink of /proc/meminfo -> EPERM;
 *     as root, open(O_WRONLY) of /proc/meminfo works and write -> EIO, of
 *     /proc/self/stat write -> EINVAL;
 *   relative paths: openat(fd of /proc/self, "status"), and chdir("/proc")
 *     then "self/comm";
 *   a child that exited and is not reaped yet (waitid WNOWAIT): its
 *     status says "Z (zombie)", PPid == getpid(), no Vm lines; its stat
 *     field 3 is Z; its cmdline is empty; after reaping, its directory is
 *     gone (ENOENT).
 * Mirrors: proc(5), proc_pid_stat(5), proc_pid_status(5), proc_pid_fd(5),
 *   proc_pid_maps(5), proc_meminfo(5), proc_sys_kernel(5).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAIL");
	if (!ok)
		failures++;
}

static void check_errno(int ret, int want, const char *what)
{
	int e = errno;
	if (ret == -1 && e == want)
		printf("%s: %s\n", what, strerror(want));
	else {
		printf("%s: FAIL (ret %d, %s)\n", what, ret, strerror(e));
		failures++;
	}
}

/* The whole of a (proc) file, NUL-terminated; its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	size_t n = 0;
	ssize_t r;
	if (fd < 0)
		return NULL;
	/* Small reads, to cross the snapshot in pieces. */
	while (n < sizeof buf - 1 && (r = read(fd, buf + n, 100 < sizeof buf - 1 - n ? 100 : sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The value after "Key:\t" in a status text, up to the newline. */
static const char *field(const char *text, const char *key, char *out, size_t size)
{
	char k[64];
	snprintf(k, sizeof k, "\n%s:\t", key);
	const char *p = strstr(text, k);
	if (!p && strncmp(text, k + 1, strlen(k + 1)) == 0)
		p = text - 1;
	if (!p) {
		out[0] = 0;
		return NULL;
	}
	p += strlen(k);
	size_t n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return out;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* "    1234 kB": right-aligned in 8 columns (or wider) then " kB". */
static int kb_form(const char *v)
{
	size_t n = strlen(v);
	if (n < 11 || strcmp(v + n - 3, " kB") != 0)
		return 0;
	char num[32];
	size_t i = 0;
	while (v[i] == ' ')
		i++;
	if (n - 3 - i >= sizeof num)
		return 0;
	memcpy(num, v + i, n - 3 - i);
	num[n - 3 - i] = 0;
	return is_number(num) && n - 3 >= 8;
}

static void self_stat(void)
{
	char *s = slurp("/proc/self/stat", NULL);
	check(s != NULL, "open /proc/self/stat");
	if (!s)
		return;
	long pid = strtol(s, NULL, 10);
	char *open_paren = strchr(s, '(');
	char *close_paren = strrchr(s, ')');
	check(pid == getpid(), "stat field 1 is getpid()");
	check(open_paren && close_paren && close_paren - open_paren - 1 == 9 && strncmp(open_paren + 1, "proc_self", 9) == 0,
	      "stat field 2 is (proc_self)");
	int fields = 2;
	for (char *p = close_paren + 1; *p && *p != '\n'; p++)
		if (*p == ' ')
			fields++;
	printf("stat fields: %d\n", fields);
	char state;
	long ppid, pgrp, session, tty, tpgid;
	sscanf(close_paren + 2, "%c %ld %ld %ld %ld %ld", &state, &ppid, &pgrp, &session, &tty, &tpgid);
	printf("stat state: %c\n", state);
	check(ppid == getppid(), "stat field 4 is getppid()");
	check(pgrp == getpgrp(), "stat field 5 is getpgrp()");
	check(session == getsid(0), "stat field 6 is getsid(0)");
	/* Field 20: num_threads. */
	char *p = close_paren + 2;
	for (int i = 3; i < 20; i++)
		p = strchr(p, ' ') + 1;
	printf("stat num_threads: %ld\n", strtol(p, NULL, 10));
}

static void on_term(int sig)
{
	(void)sig;
}

static void self_status(void)
{
	char v[256], want[64];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGTERM, on_term);
	char *s = slurp("/proc/self/status", NULL);
	check(s != NULL, "open /proc/self/status");
	if (!s)
		return;
	printf("status Name: %s\n", field(s, "Name", v, sizeof v));
	printf("status State: %s\n", field(s, "State", v, sizeof v));
	snprintf(want, sizeof want, "%d", getpid());
	check(strcmp(field(s, "Tgid", v, sizeof v) ? v : "", want) == 0, "status Tgid is getpid()");
	check(strcmp(field(s, "Pid", v, sizeof v) ? v : "", want) == 0, "status Pid is getpid()");
	snprintf(want, sizeof want, "%d", getppid());
	check(strcmp(field(s, "PPid", v, sizeof v) ? v : "", want) == 0, "status PPid is getppid()");
	printf("status Uid: %s\n", field(s, "Uid", v, sizeof v));
	printf("status Gid: %s\n", field(s, "Gid", v, sizeof v));
	printf("status Umask: %s\n", field(s, "Umask", v, sizeof v));
	printf("status TracerPid: %s\n", field(s, "TracerPid", v, sizeof v));
	check(field(s, "VmSize", v, sizeof v) && kb_form(v), "status VmSize in kB");
	check(field(s, "VmRSS", v, sizeof v) && kb_form(v), "status VmRSS in kB");
	printf("status VmLck: %s\n", field(s, "VmLck", v, sizeof v));
	printf("status Threads: %s\n", field(s, "Threads", v, sizeof v));
	printf("status SigPnd: %s\n", field(s, "SigPnd", v, sizeof v));
	printf("status SigBlk: %s\n", field(s, "SigBlk", v, sizeof v));
	/* Standard signals only: the native harness may leave real-time
	 * signals ignored. */
	field(s, "SigIgn", v, sizeof v);
	printf("status SigIgn (1-31): %016llx\n", strlen(v) == 16 ? strtoull(v, NULL, 16) & 0x7fffffffull : ~0ull);
	field(s, "SigCgt", v, sizeof v);
	/* musl and glibc may catch signals of their own; SIGTERM is ours. */
	check(strlen(v) == 16 && (strtoull(v, NULL, 16) & (1ull << (SIGTERM - 1))), "status SigCgt has SIGTERM");
	/* Order of the first lines, as Linux prints them. */
	const char *order[] = { "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid",
				"FDSize", "Groups", "VmPeak", "VmSize", "VmLck", "VmRSS", "Threads", "SigQ", "SigPnd",
				"ShdPnd", "SigBlk", "SigIgn", "SigCgt" };
	const char *last = s;
	int in_order = 1;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		char k[32];
		snprintf(k, sizeof k, "%s:\t", order[i]);
		const char *p = strstr(s, k);
		if (!p || p < last)
			in_order = 0;
		else
			last = p;
	}
	check(in_order, "status lines in Linux's order");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

static void cmdline_comm_exe(int argc, char **argv)
{
	size_t len, want = 0;
	char *s = slurp("/proc/self/cmdline", &len);
	char joined[4096];
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(joined + want, argv[i], n);
		want += n;
	}
	check(s && len == want && memcmp(s, joined, len) == 0, "cmdline is argv joined by NUL");
	printf("cmdline bytes: %zu\n", len);
	s = slurp("/proc/self/comm", &len);
	printf("comm: %s", s ? s : "(none)\n");
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	char *base = strrchr(buf, '/');
	printf("exe basename: %s\n", base ? base + 1 : buf);
	n = readlink("/proc/self", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	char want_pid[32];
	snprintf(want_pid, sizeof want_pid, "%d", getpid());
	check(strcmp(buf, want_pid) == 0, "readlink /proc/self is getpid()");
	char tself[64];
	snprintf(tself, sizeof tself, "%d/task/%d", getpid(), getpid());
	n = readlink("/proc/thread-self", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	check(strcmp(buf, tself) == 0, "readlink /proc/thread-self is pid/task/tid");
	n = readlink("/proc/self/stat", buf, sizeof buf);
	check_errno(n, EINVAL, "readlink of a proc file");
}

static int cmp_names(const void *a, const void *b)
{
	return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

static void fds(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/proc_self.%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	printf("new fd: %d\n", fd);
	write(fd, "hello", 5);
	DIR *d = opendir("/proc/self/fd");
	check(d != NULL, "opendir /proc/self/fd");
	if (!d)
		return;
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64) {
		if (e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.'))
			names[n++] = strdup(e->d_name);
		else if (e->d_type != DT_DIR)
			printf("dot entry type %d\n", e->d_type);
		if (e->d_name[0] != '.' && e->d_type != DT_LNK)
			printf("fd entry %s type %d\n", e->d_name, e->d_type);
	}
	qsort(names, n, sizeof names[0], cmp_names);
	/* The native harness may pass on descriptors of its own (a make or
	 * cargo jobserver): only 0..4 are printed, every entry must be open. */
	printf("fd dir:");
	int all_open = 1;
	for (int i = 0; i < n; i++) {
		int fdn = atoi(names[i]);
		if (fdn <= 4)
			printf(" %s", names[i]);
		if (fcntl(fdn, F_GETFD) < 0)
			all_open = 0;
		free(names[i]);
	}
	printf("\n");
	check(all_open, "every fd/ entry is an open descriptor");
	closedir(d);

	char buf[256];
	ssize_t r = readlink("/proc/self/fd/0", buf, sizeof buf - 1);
	buf[r > 0 ? r : 0] = 0;
	printf("fd/0 -> %s\n", buf);
	r = readlink("/proc/self/fd/1", buf, sizeof buf - 1);
	buf[r > 0 ? r : 0] = 0;
	check(strncmp(buf, "pipe:[", 6) == 0 && buf[r - 1] == ']', "fd/1 -> pipe:[N]");
	struct stat st, st1;
	fstat(1, &st1);
	unsigned long ino = strtoul(buf + 6, NULL, 10);
	check(ino == st1.st_ino, "pipe:[N] is fstat(1).st_ino");
	check(stat("/proc/self/fd/1", &st) == 0 && S_ISFIFO(st.st_mode), "stat through fd/1 is a FIFO");
	snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
	char target[256];
	r = readlink(buf, target, sizeof target - 1);
	target[r > 0 ? r : 0] = 0;
	check(strcmp(target, path) == 0, "fd/N -> the file's path");
	check(lstat(buf, &st) == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0700, "lstat fd/N: link 0700 (O_RDWR)");
	int fd2 = open(buf, O_RDONLY);
	struct stat a, b;
	fstat(fd, &a);
	fstat(fd2, &b);
	char data[8] = { 0 };
	read(fd2, data, 5);
	check(fd2 >= 0 && a.st_ino == b.st_ino && strcmp(data, "hello") == 0, "open fd/N opens the same file");
	close(fd2);
	close(fd);
	unlink(path);
}

static void maps(void)
{
	char *s = slurp("/proc/self/maps", NULL);
	check(s != NULL, "open /proc/self/maps");
	if (!s)
		return;
	char *line = strstr(s, "[stack]\n");
	check(line != NULL, "maps has [stack]");
	if (!line)
		return;
	while (line > s && line[-1] != '\n')
		line--;
	char perms[8];
	unsigned long start, end, off, ino;
	unsigned maj, min;
	int col = 0;
	int n = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &off, &maj, &min, &ino, &col);
	printf("stack line: %d fields, perms %s, offset %lu, dev %u:%u, inode %lu, name at column %d\n", n, perms, off, maj,
	       min, ino, col);
	check(start < end && (unsigned long)&line > 0, "stack range");
}

static void meminfo(void)
{
	int fd = open("/proc/meminfo", O_RDONLY);
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	const char *keys[] = { "MemTotal", "MemFree", "MemAvailable", "SwapTotal", "Cached" };
	unsigned long vals[5] = { 0 };
	for (int i = 0; i < 5; i++) {
		char k[32];
		snprintf(k, sizeof k, "%s:", keys[i]);
		char *p = strstr(buf, k);
		int ok = p && (p == buf || p[-1] == '\n');
		if (ok) {
			char *nl = strchr(p, '\n');
			ok = nl && nl - p >= 19 && strncmp(nl - 3, " kB", 3) == 0 && (nl - 3 - p) >= 24;
			vals[i] = strtoul(p + strlen(k), NULL, 10);
		}
		printf("meminfo %s line: %s\n", keys[i], ok ? "ok" : "FAIL");
	}
	check(vals[0] > 0 && vals[1] <= vals[0] && vals[2] <= vals[0], "MemFree, MemAvailable <= MemTotal");
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	check(lseek(fd, 0, SEEK_SET) == 0, "lseek meminfo to 0");
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	int lines2 = 0;
	for (char *p = buf; *p; p++)
		lines2 += *p == '\n';
	check(lines == lines2 && strncmp(buf, "MemTotal:", 9) == 0, "meminfo read again after lseek(0)");
	check_errno(lseek(fd, 0, SEEK_END), EINVAL, "lseek SEEK_END on meminfo");
	close(fd);
}

static void globals(void)
{
	double up, idle;
	char *s = slurp("/proc/uptime", NULL);
	check(s && sscanf(s, "%lf %lf", &up, &idle) == 2 && up > 0 && strchr(s, '.')[3] == ' ', "uptime format");
	s = slurp("/proc/loadavg", NULL);
	double l1, l5, l15;
	int running, total, last;
	check(s && sscanf(s, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last) == 6 && running >= 1 &&
		      total >= running && last > 0,
	      "loadavg format");
	s = slurp("/proc/stat", NULL);
	check(s && strncmp(s, "cpu  ", 5) == 0, "stat starts with the cpu line");
	check(s && strstr(s, "\nbtime ") && strstr(s, "\nprocesses ") && strstr(s, "\nprocs_running ") &&
		      strstr(s, "\nprocs_blocked "),
	      "stat has btime, processes, procs_running, procs_blocked");
	/* /proc lists "self" and our own directory. */
	DIR *d = opendir("/proc");
	int self = 0, mine = 0;
	char me[32];
	snprintf(me, sizeof me, "%d", getpid());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		self |= strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK;
		mine |= strcmp(e->d_name, me) == 0 && e->d_type == DT_DIR;
	}
	if (d)
		closedir(d);
	check(self && mine, "/proc lists self and getpid()");
	d = opendir("/proc/self/task");
	int tasks = 0, found = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		tasks++;
		found |= strcmp(e->d_name, me) == 0;
	}
	if (d)
		closedir(d);
	printf("task dir entries: %d, own tid %s\n", tasks, found ? "found" : "missing");
}

static void sysctl(void)
{
	char *s = slurp("/proc/sys/kernel/pid_max", NULL);
	char value[32] = "";
	long pid_max = s ? strtol(s, NULL, 10) : 0;
	if (s)
		snprintf(value, sizeof value, "%s", s);
	check(pid_max > 300 && value[strlen(value) - 1] == '\n', "pid_max is a number and a newline");
	int fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
	check(fd >= 0, "open pid_max O_WRONLY");
	ssize_t n = write(fd, value, strlen(value));
	check(n == (ssize_t)strlen(value), "write pid_max back unchanged");
	close(fd);
	fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
	check_errno(write(fd, "abc", 3), EINVAL, "write abc to pid_max");
	close(fd);
	fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
	check_errno(write(fd, "300\n", 4), EINVAL, "write 300 to pid_max");
	close(fd);
	s = slurp("/proc/sys/kernel/pid_max", NULL);
	check(s && strcmp(s, value) == 0, "pid_max unchanged");
	s = slurp("/proc/sys/kernel/threads-max", NULL);
	check(s && strtol(s, NULL, 10) > 0, "threads-max is a number");
}

static void modes_and_errors(void)
{
	struct stat st;
	check(stat("/proc", &st) == 0 && st.st_mode == 040555, "/proc is 040555");
	check(stat("/proc/meminfo", &st) == 0 && st.st_mode == 0100444 && st.st_size == 0, "meminfo 0100444 size 0");
	check(stat("/proc/self/fd", &st) == 0 && st.st_mode == 040500, "/proc/self/fd 040500");
	check(stat("/proc/sys/kernel/pid_max", &st) == 0 && st.st_mode == 0100644, "pid_max 0100644");
	check(lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode), "lstat /proc/self is a link");
	check(stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode), "stat /proc/self is a directory");
	check(access("/proc/self/status", R_OK) == 0, "access R_OK status");
	check_errno(access("/proc/self/status", X_OK), EACCES, "access X_OK status");
	check_errno(open("/proc/999999999/stat", O_RDONLY), ENOENT, "open /proc/999999999/stat");
	check_errno(open("/proc/meminfo/x", O_RDONLY), ENOTDIR, "open /proc/meminfo/x");
	check_errno(open("/proc/self", O_WRONLY), EISDIR, "open /proc/self O_WRONLY");
	check_errno(open("/proc/no_such_file", O_WRONLY | O_CREAT, 0644), ENOENT, "O_CREAT in /proc");
	check_errno(open("/proc/meminfo", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL of meminfo");
	check_errno(mkdir("/proc/no_such_dir", 0755), ENOENT, "mkdir in /proc");
	check_errno(unlink("/proc/meminfo"), EPERM, "unlink /proc/meminfo");
	int fd = open("/proc/meminfo", O_WRONLY);
	check(fd >= 0, "root opens meminfo O_WRONLY");
	check_errno(write(fd, "1", 1), EIO, "write meminfo");
	close(fd);
	fd = open("/proc/self/stat", O_WRONLY);
	check(fd >= 0, "root opens self/stat O_WRONLY");
	check_errno(write(fd, "1", 1), EINVAL, "write self/stat");
	close(fd);
	fd = open("/proc/self/stat", O_RDONLY);
	char c;
	check_errno(write(fd, "1", 1), EBADF, "write to O_RDONLY proc file");
	check(read(fd, &c, 1) == 1, "read one byte of self/stat");
	close(fd);
}

static void relative(void)
{
	int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
	check(dir >= 0, "open /proc/self O_DIRECTORY");
	int fd = openat(dir, "status", O_RDONLY);
	char buf[64] = { 0 };
	read(fd, buf, 15);
	check(strncmp(buf, "Name:\tproc_self", 15) == 0, "openat(/proc/self fd, status)");
	close(fd);
	struct stat st;
	check(fstatat(dir, "fd", &st, 0) == 0 && S_ISDIR(st.st_mode), "fstatat(/proc/self fd, fd)");
	close(dir);
	char cwd[4096];
	getcwd(cwd, sizeof cwd);
	check(chdir("/proc") == 0, "chdir /proc");
	char *s = slurp("self/comm", NULL);
	check(s && strcmp(s, "proc_self\n") == 0, "self/comm relative to /proc");
	getcwd(buf, sizeof buf);
	printf("getcwd in /proc: %s\n", buf);
	chdir(cwd);
}

static void zombie(void)
{
	pid_t child = fork();
	if (child == 0)
		_exit(3);
	siginfo_t si;
	waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	char path[64], v[64];
	snprintf(path, sizeof path, "/proc/%d/status", child);
	char *s = slurp(path, NULL);
	check(s != NULL, "open the zombie's status");
	if (s) {
		printf("zombie State: %s\n", field(s, "State", v, sizeof v));
		char want[32];
		snprintf(want, sizeof want, "%d", getpid());
		check(strcmp(field(s, "PPid", v, sizeof v) ? v : "", want) == 0, "zombie PPid is getpid()");
		check(strstr(s, "VmSize") == NULL, "zombie has no Vm lines");
		printf("zombie FDSize: %s\n", field(s, "FDSize", v, sizeof v));
	}
	snprintf(path, sizeof path, "/proc/%d/stat", child);
	s = slurp(path, NULL);
	char *p = s ? strrchr(s, ')') : NULL;
	printf("zombie stat state: %c\n", p ? p[2] : '?');
	snprintf(path, sizeof path, "/proc/%d/cmdline", child);
	size_t len = 99;
	s = slurp(path, &len);
	printf("zombie cmdline bytes: %zu\n", s ? len : 99);
	snprintf(path, sizeof path, "/proc/%d/exe", child);
	char buf[64];
	check_errno(readlink(path, buf, sizeof buf), ENOENT, "readlink zombie exe");
	int status;
	waitpid(child, &status, 0);
	snprintf(path, sizeof path, "/proc/%d/status", child);
	check_errno(open(path, O_RDONLY), ENOENT, "status after reaping");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	self_stat();
	self_status();
	cmdline_comm_exe(argc, argv);
	fds();
	maps();
	meminfo();
	globals();
	sysctl();
	modes_and_errors();
	relative();
	zombie();
	printf("failures: %d\n", failures);
	return failures != 0;
}
