# dmesg_busybox: busybox's dmesg(1) over syslog(2): the log has lines,
# each shown as `[seconds.micros] text`, and with -r as
# `<prio>[seconds.micros] text`. Only the format
# is compared: the log's content differs between kernels.
n=$(dmesg | wc -l)
[ "$n" -gt 0 ] && echo "dmesg: has lines"
bad=$(dmesg | grep -vc '^\[ *[0-9]*\.[0-9]\{6\}\] ')
echo "dmesg: lines without a [seconds.micros] prefix: $bad"
bad=$(dmesg -r | grep -vc '^<[0-9]*>\[ *[0-9]*\.[0-9]\{6\}\] ')
echo "dmesg -r: lines without a <prio>[seconds.micros] prefix: $bad"
