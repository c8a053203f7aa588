#!/usr/bin/env python3
"""Reference (host Linux) runner for user/tests/*.c -- documents the exact
conditions the differential harness must reproduce.  Not itself a test.

usage: run_native.py [name ...]     (default: every *.c in this directory)

For each test: compile (first-two-line `// cc: ...` overrides the default
`musl-gcc -static -O2`), then run with argv = ["/bin/<name>"] + `// args:`
words, env exactly PATH=/bin HOME=/ TERM=linux, cwd a fresh empty temp dir,
stdin /dev/null, stdout and stderr merged into one pipe.  The binary keeps
the basename <name> (args_env and stdio_misc compare basenames of
AT_EXECFN and /proc/self/exe with argv[0]).  Prints the output followed by
"exit status: N" where N is the shell convention (128 + signal if killed).
"""
import os, re, shlex, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def directives(src):
    cc, args = "musl-gcc -static -O2", []
    with open(src) as f:
        for line in [f.readline(), f.readline()]:
            m = re.match(r"\s*//\s*cc:\s*(.*\S)", line)
            if m:
                cc = m.group(1)
            m = re.match(r"\s*//\s*args:\s*(.*)", line)
            if m:
                args = shlex.split(m.group(1))
    return cc, args


def main():
    names = sys.argv[1:] or sorted(f[:-2] for f in os.listdir(HERE) if f.endswith(".c"))
    bindir = tempfile.mkdtemp(prefix="tine_ref_bin_")
    for name in names:
        src = os.path.join(HERE, name + ".c")
        cc, args = directives(src)
        exe = os.path.join(bindir, name)
        subprocess.run(shlex.split(cc) + ["-o", exe, src], check=True)
        cwd = tempfile.mkdtemp(prefix="tine_ref_cwd_")
        p = subprocess.run(["/bin/" + name] + args, executable=exe, cwd=cwd,
                           env={"PATH": "/bin", "HOME": "/", "TERM": "linux"},
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        subprocess.run(["rm", "-rf", cwd])
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        print(f"=== {name}")
        sys.stdout.write(p.stdout.decode(errors="replace"))
        print(f"exit status: {status}")
        os.unlink(exe)
    os.rmdir(bindir)


if __name__ == "__main__":
    main()
