# sh_inherit: what a child inherits, as the seeds describe for fork and
# exec, seen from the shell: copied variables (a change in the child is
# invisible to the parent and the other way round), exported environment
# across exec, the cwd, the umask, resource limits, ignored signals
# (stay ignored across exec) and caught signals (reset to default by
# exec), and the seeds' fileshare2: a child re-points one of its
# descriptors while the parent keeps reading the file.
# Mirrors: fork(2) and execve(2) ("process attributes preserved"),
# environ(7), umask(2), getrlimit(2), signal(7) (dispositions across
# execve), the seeds' TestWriteCopyTech and fileshare2 examples.
d=/tmp/sh_inherit.$$
mkdir "$d" && cd "$d" || exit 1

echo "== fork copies memory (seed: TestWriteCopyTech)"
p=p; number=11
(p=c; echo "p = $p , number = $number")
number=14
echo "p = $p , number = $number"

echo "== environment across exec"
export EXPORTED=yes
LOCAL=no
sh -c 'echo "exported=${EXPORTED-unset} local=${LOCAL-unset}"'
ONESHOT=once sh -c 'echo "oneshot=$ONESHOT"'
echo "oneshot in parent=${ONESHOT-unset}"
env -i sh -c 'echo "env -i: ${EXPORTED-unset}"'
unset EXPORTED
sh -c 'echo "after unset: ${EXPORTED-unset}"'

echo "== cwd"
mkdir sub
cd sub
sh -c 'basename "$(pwd)"'
(cd ..; sh -c 'ls -d sub')
basename "$(pwd)"
cd ..

echo "== umask"
umask 027
sh -c umask
(umask 077; umask)
umask
umask 077
: > private
stat -c '%a' private
umask 022
: > public
stat -c '%a' public
mkdir dpub
stat -c '%a' dpub

echo "== resource limits"
(ulimit -n 64; sh -c 'ulimit -n')
(ulimit -s 4096; sh -c 'ulimit -s')
(ulimit -c 0; sh -c 'ulimit -c')

echo "== signals across exec"
# Ignored stays ignored in the exec'd child.
(trap '' USR1; sh -c 'kill -USR1 $$; echo "USR1 ignored, still alive"')
# A trap (caught signal) is reset to the default action by exec: the
# child dies of SIGUSR1 (128 + 10).
(trap 'echo caught' USR1; sh -c 'kill -USR1 $$; echo not-printed')
echo "child status: $?"
(trap '' TERM; sh -c 'kill -TERM $$; echo "TERM ignored"')
sh -c 'kill -TERM $$; echo not-printed'; echo "TERM default: $?"

echo "== fileshare2 (seed): the child re-points fd 3, the parent reads on"
printf 'foobar\n' > foobar.txt
exec 3< foobar.txt
( exec 3>&1; echo TestFs >&3 )
c=$(dd bs=1 count=2 <&3 2>/dev/null)
echo "c = $c"
rest=$(cat <&3)
echo "rest = $rest"
exec 3<&-

cd /
rm -r "$d"
