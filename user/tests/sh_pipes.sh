# sh_pipes: pipelines and exit statuses. A pipeline's status is its last
# command's (ash has no pipefail); `!` negates; every stage is a child
# process, so a variable set in a stage is lost; a reader sees EOF only
# when the last writer has closed (including writers that are
# grandchildren); data larger than a pipe buffer flows through; a writer
# whose reader has gone dies of SIGPIPE.
# Mirrors: pipe(7) (EOF, capacity, SIGPIPE/EPIPE), POSIX sh "Pipelines".
echo "== statuses"
true | false; echo "true|false: $?"
false | true; echo "false|true: $?"
sh -c 'exit 3' | sh -c 'exit 5'; echo "3|5: $?"
! false; echo "!false: $?"
! true; echo "!true: $?"
! sh -c 'exit 9' | true; echo "!(9|true): $?"
true && echo and-ran
false || echo or-ran
false && echo not-printed; echo "false&&x: $?"

echo "== stages are children"
x=outer
echo inner | read x
echo "x after pipe: $x"
echo v | { read y; echo "y in stage: $y"; }
echo "y after pipe: ${y-unset}"

echo "== long pipelines"
echo abc | cat | cat | cat | tr a-c x-z | cat
seq 1 5 | sed 's/^/n/' | sort -r | head -2
# The issue's own example.
seq 1000 | sort -r | head

echo "== large data"
seq 1 20000 | wc -l
seq 1 20000 | cat | tail -1
seq 1 50000 | md5sum
dd if=/dev/zero bs=4096 count=64 2>/dev/null | cat | wc -c

echo "== EOF only when every writer closed"
# The subshell and its background child both hold the write end; the
# reader's EOF waits for both.
{ echo first; sh -c 'echo from-grandchild'; echo last; } | cat
( echo a; (echo b); echo c ) | wc -l

echo "== SIGPIPE"
yes | head -3
seq 1 100000 | head -1
sh -c 'seq 1 100000; echo "seq done: $?" >&2' | head -1 2>&1
# A writer killed by SIGPIPE (141) is the pipeline's status only when last.
sh -c 'sleep 0; exec yes' | sh -c 'head -c 2 >/dev/null; exit 0'; echo "status: $?"

echo "== stderr through pipes"
sh -c 'echo out; echo err >&2' 2>&1 | sort
sh -c 'echo err >&2' 2>&1 >/dev/null | tr a-z A-Z
