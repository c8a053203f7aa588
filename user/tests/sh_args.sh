# sh_args: `sh -c` with arguments ($0, $1.., $#, "$@" vs $*), set --,
# shift, and here-documents: expanded, quoted (no expansion), <<- tab
# stripping, fed to a child, to a loop, to `sh -s` with arguments, and
# one larger than a pipe buffer (ash writes a big here-document from a
# forked child).
# Mirrors: POSIX sh "Special Parameters", "Here-Document"; pipe(7) for
# the large here-documents.
echo "== sh -c arguments"
sh -c 'echo "0=$0 1=$1 2=$2 #=$#"' zero one two
sh -c 'echo "#=$#"'
sh -c 'for a in "$@"; do echo "[$a]"; done' name 'a b' '' c
sh -c 'for a in $*; do echo "<$a>"; done' name 'a b' c
sh -c 'echo "$@"; shift; echo "$@"; shift 2; echo "$# left"' n 1 2 3 4
sh -c 'set -- x y; echo "$# $1 $2"; set --; echo "$#"'
sh -c 'echo ${1:-default} ${2:-default}' n given
sh -c 'exit $1' n 42; echo "exit arg: $?"
sh -c 'f() { echo "f: $# $1"; }; f a b; echo "outer: $# $1"' n o

echo "== here-documents"
name=world
cat <<EOT
hello $name
sum $((2 + 3)) cmd $(echo sub)
EOT
cat <<'EOT'
hello $name $(not run)
EOT
cat <<-EOT
	tabs stripped
		both tabs
EOT
while read a b; do echo "read: $a/$b"; done <<EOT
1 one
2 two
EOT
sh -s arg1 arg2 <<'EOT'
echo "sh -s: $# $1 $2"
EOT
tr a-z A-Z <<EOT | sed 's/^/piped /'
lower
EOT

echo "== here-documents larger than a pipe buffer"
# Over PIPE_BUF (4 KiB) ash forks a child to write the text into the
# pipe; over 64 KiB that one write(2) must block until the reader has
# drained the pipe and then go on where it stopped. (head bounds the
# reader, so a kernel that repeats data cannot hang the test.)
cat <<EOT | wc -c
$(seq 1 3000)
EOT
cat <<EOT | head -c 200000 | md5sum
$(seq 1 30000)
EOT
