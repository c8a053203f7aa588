/*
 * What the two /init programs that boot Debian's Linux for a trace
 * (traceinit.c for `cargo xtask trace --linux`, refinit.c for the tests'
 * `// linux-ref` references) share: the file systems a Tine boot has,
 * and a raw serial port to send results out on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* /proc, /sys, tracefs at /sys/kernel/tracing and /tmp, as Tine has them
 * at boot. */
static void mount_like_tine(void)
{
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/sys", 0555);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	mkdir("/tmp", 01777);
}

/* A serial port in raw mode (no \n -> \r\n), for writing. */
static int serial(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOCTTY);
	struct termios t;
	if (fd >= 0 && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/* Copy what `from` holds to COM3 (the results), say `who: status=N` on
 * COM2 (the log), and power the machine off. */
static void send_and_power_off(int from, const char *who, int status)
{
	int out = serial("/dev/ttyS2");
	static char buf[65536];
	ssize_t got;
	while (from >= 0 && out >= 0 && (got = read(from, buf, sizeof buf)) > 0)
		write(out, buf, got);
	if (out >= 0)
		tcdrain(out);
	int log = serial("/dev/ttyS1");
	if (log >= 0) {
		dprintf(log, "%s: status=%d\n", who, status);
		tcdrain(log);
	}
	sync();
	reboot(RB_POWER_OFF);
}
