/*
 * pagemap: /proc/self/pagemap shows copy-on-write as it happens. Each
 * virtual page has a 64-bit entry: bit 63 present, bit 61 a page-cache
 * page (file or shared memory), bit 56 mapped by this process alone,
 * bits 0-54 the frame (only for CAP_SYS_ADMIN; masked here, since frames
 * differ between machines; bit 55, soft-dirty, is masked too).
 *   - an untouched page is absent; a read one is the shared zero page
 *     (present, not exclusive); a written one is present and exclusive;
 *   - after fork both processes map the page, so neither has it alone;
 *     the child's write copies it: its page is exclusive again, and so is
 *     the parent's, whose frame nobody else maps any more;
 *   - a private file mapping read is the page-cache page (file), and a
 *     write gives a private copy (not file, exclusive);
 *   - offsets and lengths must be whole words (EINVAL), reads past the
 *     end of user space return nothing, and another user's pagemap is
 *     EACCES.
 * Mirrors: proc(5) (/proc/pid/pagemap), Documentation/admin-guide/mm/pagemap.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int pm = -1;

static uint64_t entry(const void *p)
{
	uint64_t e = 0;
	if (pread(pm, &e, 8, (uintptr_t)p / 4096 * 8) != 8)
		return ~0ULL;
	return e;
}

static void show(const char *who, const char *what, const void *p)
{
	uint64_t e = entry(p);
	printf("%s %s: present %d file %d exclusive %d\n", who, what, (int)(e >> 63 & 1), (int)(e >> 61 & 1),
	       (int)(e >> 56 & 1));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pm = open("/proc/self/pagemap", O_RDONLY);
	printf("open: %s\n", pm >= 0 ? "ok" : en(errno));
	char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("parent", "untouched", a);
	volatile char c = a[4096];
	(void)c;
	show("parent", "read (zero page)", a + 4096);
	a[0] = 1;
	a[2 * 4096] = 2;
	show("parent", "written", a);

	int go[2], done[2];
	pipe(go);
	pipe(done);
	pid_t p = fork();
	if (p == 0) {
		close(pm);
		pm = open("/proc/self/pagemap", O_RDONLY);
		show("child", "after fork", a);
		a[0] = 3;
		show("child", "after its write", a);
		show("child", "the page it did not write", a + 2 * 4096);
		write(done[1], "x", 1);
		char x;
		read(go[0], &x, 1);
		_exit(0);
	}
	char x;
	read(done[0], &x, 1);
	show("parent", "after the child wrote its copy", a);
	show("parent", "the page still shared", a + 2 * 4096);
	write(go[1], "x", 1);
	waitpid(p, NULL, 0);
	show("parent", "once the child is gone", a + 2 * 4096);

	/* A private file mapping. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_pagemap_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char page[4096];
	memset(page, 'f', sizeof page);
	write(fd, page, sizeof page);
	char *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	c = f[0];
	show("parent", "file page read", f);
	f[0] = 'g';
	show("parent", "file page written", f);
	munmap(f, 4096);
	close(fd);
	unlink(path);

	uint64_t e;
	printf("pread at an odd offset: %s\n", rc_str(pread(pm, &e, 8, 4)));
	printf("pread of 4 bytes: %s\n", rc_str(pread(pm, &e, 4, 0)));
	printf("pread past user space: %s\n", rc_str(pread(pm, &e, 8, (0x800000000000ULL / 4096) * 8)));

	p = fork();
	if (p == 0) {
		setuid(1000);
		char other[64];
		snprintf(other, sizeof other, "/proc/%d/pagemap", getppid());
		int o = open(other, O_RDONLY);
		printf("uid 1000 opens root's pagemap: %s\n", o >= 0 ? "ok" : en(errno));
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}
