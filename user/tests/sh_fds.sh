# sh_fds: descriptor inheritance and redirection. Children inherit open
# descriptors (exec 3>file; a child's `echo >&3` lands in the file);
# parent and children share one open file description, hence one offset
# (writes append one after another, reads continue where the other
# stopped); redirections in a child do not touch the parent's table;
# closed descriptors stay closed in children; 2>&1 and >&- ordering.
# Mirrors: fork(2) (descriptors copied, descriptions shared), dup2(2),
# open(2) (offsets, O_APPEND, O_TRUNC), POSIX sh "Redirection".
d=/tmp/sh_fds.$$
mkdir "$d" && cd "$d" || exit 1

echo "== a child writes to an inherited descriptor"
exec 3> out3
echo parent-1 >&3
(echo subshell >&3)
sh -c 'echo child-sh >&3'
echo parent-2 >&3
exec 3>&-
cat out3

echo "== the offset is shared after fork"
{ echo a; sh -c 'echo b'; echo c; (echo d); } > shared
cat shared
printf '1\n2\n3\n4\n5\n' > nums
exec 4< nums
read first <&4
sh -c 'read second; echo "child read: $second"' <&4
(read third; echo "subshell read: $third") <&4
read fourth <&4
echo "parent read: $first then $fourth"
cat <&4
exec 4<&-

echo "== redirections in a child leave the parent alone"
exec 5> five
(exec 5>&-; echo x >&5) 2>/dev/null || echo "child: 5 closed"
echo still-open >&5
sh -c 'exec 5>other; echo to-other >&5'
echo parent-again >&5
exec 5>&-
cat five
cat other

echo "== closed stays closed"
exec 6>six
exec 6>&-
sh -c 'echo x >&6' 2>/dev/null || echo "child: 6 is closed: $?"

echo "== append, truncate, read-write"
echo one > f
echo two >> f
cat f
echo three > f
cat f
exec 7<> rw
echo hello >&7
exec 7>&-
cat rw
echo "no such file" < missing 2>/dev/null || echo "< missing: $?"

echo "== 2>&1 ordering"
sh -c 'echo out; echo err >&2' > both 2>&1
sort both
sh -c 'echo out; echo err >&2' 2>&1 > only-out | sed 's/^/piped: /'
cat only-out
{ echo grouped-out; echo grouped-err >&2; } 2> errfile > outfile
cat outfile errfile

echo "== dup to a high descriptor"
exec 9> nine
sh -c 'ls /proc/self/fd | grep -x 9 >/dev/null && echo "child sees fd 9"'
echo via-9 >&9
exec 9>&-
cat nine

echo "== a here-document on descriptor 8"
exec 8<<EOT
from-heredoc
EOT
cat <&8
exec 8<&-

cd /
rm -r "$d"
