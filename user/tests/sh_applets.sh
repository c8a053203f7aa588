# sh_applets: busybox's everyday applets on files in /tmp, through
# busybox sh: echo, printf, cat, ls, mkdir, cp, mv, rm, ln, readlink, wc,
# grep, sed, sort, uniq, head, tail, tr, cut, expr, test, seq, env,
# uname, date -u, true/false, md5sum, od, dd, tee, find, xargs, awk,
# stat, touch, basename/dirname, pwd/cd.
# (`id`, `ls -l` and `ps` are left out: user names come from the host's
# /etc/passwd natively, and process lists differ.)
# Mirrors: the applets' Linux behaviour (open, read, write, rename, link,
# symlink, unlink, mkdir, rmdir, stat, getdents, utimensat underneath).
d=/tmp/sh_applets.$$
mkdir "$d" && cd "$d" || exit 1

echo "== echo/printf"
echo hello world
echo -n no-newline; echo
printf '%05d|%-3s|%x|%s\n' 42 ab 255 "two words"
printf 'a\tb\\n\n'

echo "== cat/wc"
printf 'one\ntwo\nthree\n' > f
cat f
wc -l < f
wc -c f
cat f f | wc -l

echo "== mkdir/cp/mv/rm/ls"
mkdir -p a/b/c
cp f a/b/g
mv a/b/g a/b/c/h
ls a/b/c
ls -a a
cp -r a z
ls z/b/c
rm -r z
ls
rmdir a/b/c 2>&1 || echo "rmdir: status $?"
rm a/b/c/h && rmdir a/b/c && echo removed

echo "== ln/readlink"
ln -s f lnk
readlink lnk
cat lnk | head -1
ln f hard
stat -c '%h %s' f

echo "== grep/sed/sort/uniq"
grep t f
grep -c o f
grep -v t f
grep -q nope f; echo "grep -q: $?"
sed -n '2p' f
sed 's/o/0/g' f
printf 'b\na\nc\na\n' | sort
printf 'b\na\nc\na\n' | sort -u
printf 'b\na\nc\na\n' | sort | uniq -c
printf '10\n9\n100\n' | sort -n
printf '10\n9\n100\n' | sort -rn

echo "== head/tail/tr/cut"
seq 1 10 | head -3
seq 1 10 | tail -2
seq 1 10 | tail -n +9
echo Hello | tr a-z A-Z
echo aabbcc | tr -d b
echo 'a:b:c' | cut -d: -f2
echo 'abcdef' | cut -c2-4

echo "== expr/test"
expr 3 + 4
expr 10 / 3
expr length hello
test 1 -lt 2 && echo lt
[ -d a ] && echo dir
[ -f f ] && echo file
[ -e nothere ] || echo absent
[ abc = abc ] && echo streq

echo "== seq/env/uname/date"
seq 2 2 8
# PWD and OLDPWD follow the cwd, which differs (a temp dir natively).
env | grep -v PWD=
uname -s
uname -m
date -u -d @0
date -u -d @86400 +%Y-%m-%d

echo "== true/false"
true; echo "true: $?"
false; echo "false: $?"

echo "== md5sum/od/dd/tee"
echo hi | md5sum
printf 'ab\n' | od -c
dd if=/dev/zero bs=512 count=3 2>/dev/null | wc -c
echo teed | tee t1 > t2
cat t1 t2

echo "== find/xargs/awk"
find . -type f | sort
find . -name f
echo a b c | xargs -n 1 echo arg
echo 1 2 3 | awk '{ print $1 + $2 + $3 }'
printf 'x 1\ny 2\n' | awk '$2 > 1 { print $1 }'

echo "== touch/stat"
touch new
stat -c '%s %F' new
: > empty
stat -c '%s %F' empty

echo "== basename/dirname/pwd/cd"
basename /a/b/c.txt .txt
dirname /a/b/c.txt
cd a && basename "$(pwd)" && cd ..
cd /
pwd
rm -r "$d"
ls /tmp/sh_applets.$$ 2>/dev/null || echo cleaned
