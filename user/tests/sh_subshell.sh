# sh_subshell: subshells, command substitution, fork and exec from the
# shell. A subshell is a forked copy: it sees the parent's variables,
# functions and cwd, and nothing it changes comes back;
# `exit` in a subshell ends only the subshell; `exec` replaces the
# process (the rest of the subshell never runs); $$ is the parent shell's
# pid even in a subshell, $PPID of a child shell is the shell's pid.
# Mirrors: fork(2), execve(2), POSIX sh "Grouping Commands", "Command
# Substitution", "exec".
echo "== variables are copied, not shared"
p=p
number=11
(p=c; echo "child: p = $p, number = $number")
number=14
echo "parent: p = $p, number = $number"

echo "== exit in a subshell"
(exit 7); echo "subshell status: $?"
(echo in-sub; exit 3; echo not-printed); echo "status: $?"
v=$(echo out; exit 4); echo "cmdsubst '$v' status: $?"

echo "== functions and cwd"
f() { echo "f($*) in $(basename "$PWD")"; }
mkdir -p /tmp/sh_subshell.$$/dir
cd /tmp/sh_subshell.$$
(cd dir && f sub)
f parent | sed "s/\..*//"
(cd dir; pwd -P | sed 's,.*/,,')
basename "$(pwd)" | sed 's/\..*//'

echo "== nested substitution"
echo "a$(echo b$(echo c$(echo d)))"
echo "lines: $(seq 1 3 | wc -l)"
n=$(( $(echo 6) * 7 )); echo "arith: $n"

echo "== exec"
(exec echo replaced; echo not-printed)
echo "after exec subshell: $?"
(exec sh -c 'exit 5'); echo "exec'd status: $?"
sh -c 'exec sh -c "echo nested exec: \$0" named'

echo "== pids"
[ "$(echo $$)" = "$$" ] && echo "\$\$ same in substitution"
( [ "$$" = "$(sh -c 'echo $PPID')" ] || echo "ppid differs" ) # the subshell forks sh
[ "$(sh -c 'echo $PPID')" = "$$" ] && echo "child's PPID is the shell"
sh -c 'echo $$' > pid1
sh -c 'echo $$' > pid2
cmp -s pid1 pid2 || echo "two children, two pids"

echo "== forks in a loop"
i=0
while [ $i -lt 20 ]; do
	i=$(sh -c "echo \$(( $i + 1 ))")
done
echo "counted to $i"
for i in 1 2 3 4 5; do (echo "sub $i") ; done | wc -l

cd /
rm -r /tmp/sh_subshell.$$
