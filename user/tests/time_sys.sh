# time_sys: busybox's time(1) reports user and sys time from wait4's
# rusage; a child making 400,000 system calls (dd with one-byte blocks)
# has used a measurable amount of system time, so sys is not 0.00.
# Mirrors: time(1), wait4(2)'s ru_stime.
t=/tmp/time_sys.$$
busybox time -p -o "$t" busybox dd if=/dev/zero of=/dev/null bs=1 count=200000 2>/dev/null
awk '/^sys / { print ($2 > 0) ? "sys: non-zero" : "sys: zero" } /^real / { print "real: reported" }' "$t"
rm -f "$t"
