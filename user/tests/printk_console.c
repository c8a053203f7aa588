// tine-only
// kernel-args: console=ttyS0 printk.time=0
/*
 * printk_console: which kernel log records the console shows. Tine's
 * console is this program's output (COM1), so what the kernel prints
 * there appears in it, between the program's own lines; Linux's console
 * is elsewhere, hence tine-only. Booted `quiet` (as every test) with
 * console=ttyS0 (without it no record reaches the console) and
 * printk.time=0 so that console lines carry no time.
 * Checks:
 *   /proc/sys/kernel/printk reads "4 4 1 7" (quiet: console_loglevel 4);
 *   a record at KERN_INFO (6) written to /dev/kmsg is not on the
 *     console, one at KERN_ERR (3) is, ending in CR LF;
 *   writing "7" to printk sets the first number only; a KERN_INFO record
 *     now shows, and the notice of an unimplemented system call (at
 *     KERN_DEBUG, 7) does not, though the log has it;
 *   "8 4 1 7" shows debug records too; syslog(CONSOLE_LEVEL, 2) is seen
 *     in printk's first number; a malformed write is EINVAL;
 *   the hardware layer's boot lines ("tine: booting") reached the log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[1 << 18];

static void show_printk(void)
{
	char b[64] = { 0 };
	int fd = open("/proc/sys/kernel/printk", O_RDONLY);
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		if (b[i] == '\t')
			b[i] = ' ';
	printf("printk: %s", n > 0 ? b : "(unreadable)\n");
	fflush(stdout);
}

static int set_printk(const char *s)
{
	int fd = open("/proc/sys/kernel/printk", O_WRONLY);
	int r = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static void kmsg(const char *s)
{
	int fd = open("/dev/kmsg", O_WRONLY);
	if (write(fd, s, strlen(s)) < 0)
		perror("kmsg");
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	show_printk();
	printf("-- an info record, then an error record:\n");
	kmsg("<6>printk_console: info at quiet");
	kmsg("<3>printk_console: error at quiet");
	printf("-- console_loglevel 7:\n");
	printf("write \"7\": %d\n", set_printk("7\n"));
	show_printk();
	kmsg("<6>printk_console: info at 7");
	syscall(998);
	long n = syscall(SYS_syslog, 3, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("the log has the unimplemented-syscall notice at <7>: %s\n",
	       strstr(buf, "<7>") && strstr(buf, "unimplemented syscall 998") ? "yes" : "no");
	printf("the log has the boot's first line: %s\n", strstr(buf, "] tine: booting\n") ? "yes" : "no");
	printf("-- console_loglevel 8:\n");
	printf("write \"8 4 1 7\": %d\n", set_printk("8 4 1 7"));
	kmsg("<7>printk_console: debug at 8");
	printf("syslog CONSOLE_LEVEL 2: %ld\n", syscall(SYS_syslog, 8, NULL, 2));
	show_printk();
	printf("write \"x\": %d\n", set_printk("x"));
	show_printk();
	return 0;
}
