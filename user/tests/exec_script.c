/*
 * exec_script: execve(2) of "#!" interpreter scripts whose interpreter is
 * this binary itself (its path from readlink("/proc/self/exe")).
 * When started with TINE_SCRIPT=1 in the environment, this binary is
 * the interpreter: it prints its argv, AT_EXECFN and /proc/self/exe,
 * with its own path shown as "<self>" and the script directory
 * (/tmp/tine_exec_script_<pid>) as "<dir>", since both differ between
 * the host and Tine.
 * Checks:
 *   "#!<self>": argv = interpreter path as written, script path as passed
 *     to execve, then the original argv[1..] (argv[0] is dropped);
 *   "#!<self> -opt": one optional argument before the script path;
 *   "#! <self>   two words  ": blanks after "#!" skipped, the rest of
 *     the line (trailing blanks removed) is one argument; tabs likewise;
 *   no newline at the end of the file; a relative script path (after
 *     chdir) appears as written; an argv with only argv[0];
 *   AT_EXECFN is the script path, /proc/self/exe the interpreter;
 *   a script whose interpreter is itself a script (nested once);
 *   errors: a script interpreted by itself -> ELOOP; missing interpreter
 *     -> ENOENT; "\r\n" line end (interpreter "<self>\r") -> ENOENT;
 *     interpreter without x bit -> EACCES; interpreter is a directory ->
 *     EACCES; script without x bit -> EACCES; empty "#!" line -> ENOEXEC.
 * Mirrors: execve(2) "Interpreter scripts", binfmt_script behaviour.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char self[4096], dir[64];

/* print s with self and dir replaced by placeholders */
static void put_subst(const char *s, const char *me, const char *d)
{
	size_t lm = strlen(me), ld = strlen(d);
	while (*s) {
		if (lm && strncmp(s, me, lm) == 0) {
			fputs("<self>", stdout);
			s += lm;
		} else if (ld && strncmp(s, d, ld) == 0) {
			fputs("<dir>", stdout);
			s += ld;
		} else if (*s == '\r') {
			fputs("\\r", stdout);
			s++;
		} else {
			putchar(*s++);
		}
	}
}

static int interpreter(int argc, char **argv)
{
	char me[4096];
	ssize_t n = readlink("/proc/self/exe", me, sizeof me - 1);
	me[n > 0 ? n : 0] = 0;
	const char *d = getenv("TINE_DIR");
	if (!d)
		d = "";
	printf("[interpreter] argc=%d", argc);
	for (int i = 0; i < argc; i++) {
		printf(" [");
		put_subst(argv[i], me, d);
		printf("]");
	}
	printf("\n[interpreter] AT_EXECFN=");
	const char *fn = (const char *)getauxval(AT_EXECFN);
	put_subst(fn ? fn : "(none)", me, d);
	printf(" /proc/self/exe=");
	put_subst(me, me, d);
	printf("\n");
	return 0;
}

static char *in_dir(const char *name)
{
	static char bufs[8][128];
	static int n;
	char *p = bufs[n++ & 7];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static void script(const char *name, const char *fmt, const char *arg, mode_t mode)
{
	char text[8192];
	int len = snprintf(text, sizeof text, fmt, arg);
	int fd = open(in_dir(name), O_CREAT | O_TRUNC | O_WRONLY, 0600);
	write(fd, text, len);
	close(fd);
	chmod(in_dir(name), mode);
}

static char env_dir[96];
static char *ev[] = {"TINE_SCRIPT=1", env_dir, NULL};

static void run(const char *what, const char *path, char *const *av)
{
	printf("%s:\n", what);
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, av, ev);
		printf("  execve: -1 %s\n", en(errno));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("  (child status 0x%x)\n", st);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (getenv("TINE_SCRIPT"))
		return interpreter(argc, argv);

	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return 1;
	self[n] = 0;
	snprintf(dir, sizeof dir, "/tmp/tine_exec_script_%d", getpid());
	snprintf(env_dir, sizeof env_dir, "TINE_DIR=%s", dir);
	if (mkdir(dir, 0755) < 0) {
		printf("mkdir failed: %s\n", en(errno));
		return 1;
	}

	script("plain", "#!%s\n", self, 0755);
	script("opt", "#!%s -opt\n", self, 0755);
	script("spaces", "#! %s   two words  \n", self, 0755);
	script("tabs", "#!\t%s\t-t\t\n", self, 0755);
	script("nonl", "#!%s", self, 0755);
	script("nested", "#!%s\necho not reached\n", in_dir("opt"), 0755);
	script("loop", "#!%s\n", in_dir("loop"), 0755);
	script("missing", "#!%s\n", in_dir("no-such-interpreter"), 0755);
	script("crlf", "#!%s\r\n", self, 0755);
	script("interp-noexec", "#!/bin/sh\n", "", 0644);
	script("via-noexec", "#!%s\n", in_dir("interp-noexec"), 0755);
	script("via-dir", "#!%s\n", dir, 0755);
	script("script-noexec", "#!%s\n", self, 0644);
	script("empty", "#!\n", "", 0755);

	char *av[] = {"argv0-dropped", "one", "two", NULL};
	char *av0[] = {"only-argv0", NULL};
	run("#!<self>", in_dir("plain"), av);
	run("#!<self> -opt", in_dir("opt"), av);
	run("#! <self>   two words  ", in_dir("spaces"), av);
	run("#!\\t<self>\\t-t\\t", in_dir("tabs"), av);
	run("#!<self> without a newline", in_dir("nonl"), av);
	run("#!<self>, argv with only argv[0]", in_dir("plain"), av0);
	run("interpreter is the -opt script", in_dir("nested"), av);
	if (chdir(dir) == 0)
		run("relative path ./plain", "./plain", av);
	chdir("/");

	printf("-- errors\n");
	run("script interpreted by itself", in_dir("loop"), av);
	run("missing interpreter", in_dir("missing"), av);
	run("\\r\\n line end", in_dir("crlf"), av);
	run("interpreter without x bit", in_dir("via-noexec"), av);
	run("interpreter is a directory", in_dir("via-dir"), av);
	run("script without x bit", in_dir("script-noexec"), av);
	run("empty #! line", in_dir("empty"), av);

	static const char *names[] = {"plain", "opt", "spaces", "tabs", "nonl", "nested", "loop",
				      "missing", "crlf", "interp-noexec", "via-noexec", "via-dir",
				      "script-noexec", "empty"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(in_dir(names[i]));
	printf("rmdir: %d\n", rmdir(dir));
	return 0;
}
