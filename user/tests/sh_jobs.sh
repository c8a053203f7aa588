# sh_jobs: background jobs, `wait` and `kill` from a non-interactive
# shell. `wait PID` returns the job's exit status, or 128 + N when it was
# killed by signal N; `wait` alone waits for every job; a job killed with
# `kill -TERM` reports 143, `kill -KILL` 137; `kill -0` tests for
# existence; waiting for a pid that is not a child gives 127; a trap runs
# when the shell itself gets the signal; `$!` is the last job's pid.
# (ash's `wait` sleeps in sigsuspend until its SIGCHLD handler runs.)
# Mirrors: wait4(2) statuses as the shell reports them (128 + N),
# kill(2), sigsuspend(2) and SIGCHLD handlers, POSIX sh "wait", "trap".
echo "== wait for one job"
sh -c 'exit 3' &
wait $!
echo "status 3: $?"
(exit 0) &
wait $!
echo "status 0: $?"

echo "== several jobs"
sh -c 'exit 1' & a=$!
sh -c 'exit 2' & b=$!
sh -c 'exit 4' & c=$!
wait $c; echo "c: $?"
wait $a; echo "a: $?"
wait $b; echo "b: $?"
for i in 1 2 3 4 5; do sh -c "exit $i" & done
wait
echo "wait for all: $?"

echo "== kill a background job"
# Whether ash reports "Terminated"/"Killed" on stderr depends on when
# it reaps the job (racy on Linux too), so only the statuses are compared.
{
sleep 10 &
p=$!
kill -0 $p && echo "job exists"
kill -TERM $p
wait $p
echo "TERM: $?"
sleep 10 &
p=$!
kill -KILL $p
wait $p
echo "KILL: $?"
kill -0 $p 2>/dev/null || echo "job gone"
} 2>/dev/null
# (Not SIGINT: a background job of a shell without job control ignores
# SIGINT once its child has set that up, so the outcome would depend on
# which of parent and child runs first after fork.)

echo "== wait for a non-child"
wait 99999 2>/dev/null
echo "not a child: $?"

echo "== background output, collected after wait"
d=/tmp/sh_jobs.$$
mkdir "$d"
for i in 1 2 3; do (echo "job $i" > "$d/$i") & done
wait
cat "$d/1" "$d/2" "$d/3"
rm -r "$d"

echo "== a job that traps TERM"
sh -c 'trap "echo job caught TERM; exit 7" TERM; kill -TERM $$; echo not-reached' &
wait $!
echo "trapping job: $?"

echo "== traps in this shell"
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap - USR1
trap 'echo "EXIT trap"' EXIT
sh -c 'trap "echo child EXIT trap" EXIT; exit 2'
echo "child with EXIT trap: $?"
