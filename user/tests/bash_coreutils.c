// host: /usr/bin/bash /usr/bin/sort /usr/bin/ls /usr/bin/cat /usr/bin/touch /usr/bin/chmod /usr/bin/mkdir /usr/bin/rm /usr/bin/sleep
/*
 * bash_coreutils: Debian's bash (dynamically linked) running a script
 * with pipelines, command substitution, subshells, background jobs and
 * wait, over coreutils' sort, ls -l and cat on files in /tmp.
 * Checks: a pipeline of external programs and a builtin loop; $(...) and
 *   its exit status; PIPESTATUS; background jobs' statuses through
 *   wait PID and plain wait; a redirection to and from files; sort's
 *   options (-r, -n, -k, -u); ls -l's mode, link count, size, time and
 *   name (owner and group left out: the native run may not be root's);
 *   cat of several files; here-strings; exit status of the script.
 * Mirrors: the same programs on Linux.
 */
#include <stdio.h>
#include <unistd.h>

static const char script[] =
	"set -u\n"
	"export PATH=/usr/bin TZ=UTC LC_ALL=C\n"
	"d=/tmp/tine-bash-coreutils.$$\n"
	"mkdir \"$d\" && cd \"$d\" || exit 9\n"
	"printf 'pear 3\\napple 10\\nfig 2\\nbanana 10\\napple 10\\n' > fruit\n"
	"cat fruit | sort | while read name n; do echo \"sorted: $name $n\"; done\n"
	"echo \"reverse: $(sort -r fruit | { read a; echo $a; })\"\n"
	"echo \"numeric: $(sort -k2,2n -k1,1 fruit | { read a b; echo $a $b; })\"\n"
	"echo \"unique: $(sort -u fruit | { n=0; while read l; do n=$((n+1)); done; echo $n; })\"\n"
	"x=$(exit 4); echo \"substitution status $?\"\n"
	"false | true | (exit 5); echo \"pipestatus ${PIPESTATUS[*]}\"\n"
	"sleep 0.2 & a=$!\n"
	"(exit 3) & b=$!\n"
	"( sleep 0.1; echo late > late.txt ) &\n"
	"wait $b; echo \"job b: $?\"\n"
	"wait $a; echo \"job a: $?\"\n"
	"for i in 1 2 3; do ( echo \"job $i\" > out.$i ) & done\n"
	"wait; echo \"all waited: $(cat late.txt)\"\n"
	"cat out.1 out.2 out.3\n"
	"touch -d '2024-01-02 03:04:05' fruit out.1\n"
	"chmod 640 fruit\n"
	"ls -l --time-style=+%F_%T fruit out.1 | while read mode links owner group size when name; do\n"
	"  echo \"ls: $mode $links $size $when $name\"; done\n"
	"ls | sort -r | while read f; do echo \"entry $f\"; done\n"
	"read -r w1 w2 <<< \"here string\"; echo \"$w2 $w1\"\n"
	"cd / && rm -r \"$d\" && echo removed\n"
	"exit 6\n";

int main(void)
{
	fflush(stdout);
	execl("/usr/bin/bash", "/usr/bin/bash", "-c", script, (char *)NULL);
	perror("execl");
	return 127;
}
