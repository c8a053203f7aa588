#!/usr/bin/env python3
"""Reference (host Linux) runner for user/tests/*.c -- documents the exact
conditions the differential harness must reproduce.  Not itself a test.

usage: run_native.py [name ...]     (default: every *.c and *.sh here)

For each C test: compile (first-two-line `// cc: ...` overrides the default
`musl-gcc -static -O2`), then run with argv = ["/bin/<name>"] + `// args:`
words, env exactly PATH=/bin HOME=/ TERM=linux, cwd a fresh empty temp dir,
stdin /dev/null, stdout and stderr merged into one pipe.  The binary keeps
the basename <name> (args_env and stdio_misc compare basenames of
AT_EXECFN and /proc/self/exe with argv[0]).

For each shell test <name>.sh: argv = ["/bin/busybox", "sh", "<name>.sh"]
+ `# args:` words, run by Debian's static busybox at /bin/busybox (the same
binary xtask puts at /bin/busybox in Tine's initramfs, with its applets
linked in /bin), the script copied into the otherwise empty temp cwd (under
Tine it sits at /<name>.sh and the cwd is /); everything else as for C.

Prints the output followed by "exit status: N" where N is the shell
convention (128 + signal if killed).
"""
import os, re, shlex, shutil, subprocess, sys, tempfile

BUSYBOX = "/bin/busybox"

HERE = os.path.dirname(os.path.abspath(__file__))


def directives(src):
    """`// cc:` and `// args:` (`# args:` in a shell test) on lines 1-2."""
    cc, args = "musl-gcc -static -O2", []
    with open(src) as f:
        for line in [f.readline(), f.readline()]:
            m = re.match(r"\s*(?://|#(?!!))\s*cc:\s*(.*\S)", line)
            if m:
                cc = m.group(1)
            m = re.match(r"\s*(?://|#(?!!))\s*args:\s*(.*)", line)
            if m:
                args = shlex.split(m.group(1))
    return cc, args


def run(argv, exe, cwd):
    p = subprocess.run(argv, executable=exe, cwd=cwd,
                       env={"PATH": "/bin", "HOME": "/", "TERM": "linux"},
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return p.stdout, p.returncode if p.returncode >= 0 else 128 - p.returncode


def main():
    names = sys.argv[1:] or sorted(f.rsplit(".", 1)[0] for f in os.listdir(HERE)
                                   if f.endswith(".c") or f.endswith(".sh"))
    bindir = tempfile.mkdtemp(prefix="tine_ref_bin_")
    for name in names:
        cwd = tempfile.mkdtemp(prefix="tine_ref_cwd_")
        script = os.path.join(HERE, name + ".sh")
        if os.path.exists(script):
            _, args = directives(script)
            shutil.copy(script, os.path.join(cwd, name + ".sh"))
            out, status = run([BUSYBOX, "sh", name + ".sh"] + args, BUSYBOX, cwd)
        else:
            src = os.path.join(HERE, name + ".c")
            cc, args = directives(src)
            exe = os.path.join(bindir, name)
            subprocess.run(shlex.split(cc) + ["-o", exe, src], check=True)
            out, status = run(["/bin/" + name] + args, exe, cwd)
            os.unlink(exe)
        subprocess.run(["rm", "-rf", cwd])
        print(f"=== {name}")
        sys.stdout.write(out.decode(errors="replace"))
        print(f"exit status: {status}")
    os.rmdir(bindir)


if __name__ == "__main__":
    main()
