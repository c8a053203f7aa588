// host: /usr/bin/python3.11 /usr/lib/python3.11 -/usr/lib/python3.11/config-3.11-x86_64-linux-gnu -/usr/lib/python3.11/test -/usr/lib/python3.11/lib2to3 -/usr/lib/python3.11/pydoc_data -/usr/lib/python3.11/ensurepip -/usr/lib/python3.11/idlelib -/usr/lib/python3.11/tkinter
/*
 * python3_procs: Debian's python3.11 (dynamically linked, its standard
 * library from the host) making processes, as issue 17 asks.
 * Checks: os.fork and os.wait (the child's status); subprocess.run with
 *   capture_output=True (pipes, _posixsubprocess's fork and exec, the
 *   epoll selector in communicate()); multiprocessing.Pool(4) (sem_open
 *   in /dev/shm, pipes, four forked workers) mapping over 20 numbers;
 *   exit statuses.
 * Mirrors: the same interpreter on Linux.
 */
#include <stdio.h>
#include <unistd.h>

static const char prog[] =
	"import os, sys, subprocess, multiprocessing\n"
	"pid = os.fork()\n"
	"if pid == 0:\n"
	"    print('child', os.getppid() > 0, flush=True)\n"
	"    os._exit(7)\n"
	"p, st = os.wait()\n"
	"print('wait', p == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))\n"
	"r = subprocess.run([sys.executable, '-S', '-c',\n"
	"    'import sys; print(\"out\"); print(\"err\", file=sys.stderr); sys.exit(3)'],\n"
	"    capture_output=True)\n"
	"print('run', r.returncode, r.stdout, r.stderr)\n"
	"r = subprocess.run([sys.executable, '-S', '-c', 'print(input()[::-1])'],\n"
	"    input=b'stressed\\n', capture_output=True)\n"
	"print('run with input', r.returncode, r.stdout)\n"
	"def sq(x):\n"
	"    return x * x\n"
	"def who(_):\n"
	"    return os.getpid()\n"
	"with multiprocessing.Pool(4) as pool:\n"
	"    print('pool', pool.map(sq, range(20)))\n"
	"    print('workers', len(pool._pool), all(w.is_alive() for w in pool._pool))\n"
	"    print('not the parent', os.getpid() not in pool.map(who, range(8)))\n"
	"print('done', flush=True)\n";

int main(void)
{
	fflush(stdout);
	execl("/usr/bin/python3.11", "/usr/bin/python3.11", "-B", "-I", "-S", "-c", prog, (char *)NULL);
	perror("execl");
	return 127;
}
