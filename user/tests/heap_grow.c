/*
 * heap_grow: the kernel keeps more than its old fixed heap could hold
 * when RAM allows. Tine's RAM file system keeps file data on the kernel
 * heap, which was once a fixed quarter of RAM (at most 256 MiB, 240 of
 * them for what programs size); it now grows from free frames. Ten files
 * of 32 MiB (320 MiB in all, on the test machine's 1 GiB) are written in
 * 1 MiB pieces to a new directory under /tmp, each piece a pattern of the
 * file and the offset; all are read back and compared, then removed, and
 * a file written after works. On Linux the same is page cache or disk.
 * Mirrors: write(2), read(2), tmpfs(5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define FILES 10
#define PIECE (1 << 20)
#define PIECES 32

static char buf[PIECE], back[PIECE];

static void fill(int file, int piece)
{
	for (int i = 0; i < PIECE; i += 8)
		memcpy(buf + i, &(long){(long)file << 40 | (long)piece << 20 | i}, 8);
}

int main(void)
{
	char dir[] = "/tmp/heap_growXXXXXX", path[64];
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", en(errno));
		return 1;
	}
	int written = 0;
	for (int f = 0; f < FILES; f++) {
		snprintf(path, sizeof path, "%s/f%d", dir, f);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			printf("open f%d: %s\n", f, en(errno));
			break;
		}
		int p;
		for (p = 0; p < PIECES; p++) {
			fill(f, p);
			ssize_t n = write(fd, buf, PIECE);
			if (n != PIECE) {
				printf("write f%d piece %d: %s\n", f, p, n < 0 ? en(errno) : "short");
				break;
			}
		}
		close(fd);
		if (p < PIECES)
			break;
		written++;
	}
	printf("files written: %d (%d MiB)\n", written, written * PIECES * PIECE >> 20);

	int intact = 0;
	for (int f = 0; f < written; f++) {
		snprintf(path, sizeof path, "%s/f%d", dir, f);
		int fd = open(path, O_RDONLY);
		int p;
		for (p = 0; fd >= 0 && p < PIECES; p++) {
			fill(f, p);
			if (read(fd, back, PIECE) != PIECE || memcmp(buf, back, PIECE) != 0)
				break;
		}
		if (fd >= 0 && p == PIECES && read(fd, back, 1) == 0)
			intact++;
		else
			printf("f%d differs at piece %d\n", f, p);
		if (fd >= 0)
			close(fd);
	}
	printf("files intact: %d\n", intact);

	for (int f = 0; f < FILES; f++) {
		snprintf(path, sizeof path, "%s/f%d", dir, f);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/after", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fill(99, 0);
	int ok = fd >= 0 && write(fd, buf, PIECE) == PIECE && lseek(fd, 0, SEEK_SET) == 0 &&
		 read(fd, back, PIECE) == PIECE && memcmp(buf, back, PIECE) == 0;
	printf("file after removal: %s\n", ok ? "OK" : "bad");
	if (fd >= 0)
		close(fd);
	unlink(path);
	printf("rmdir: %s\n", rmdir(dir) == 0 ? "OK" : en(errno));
	return 0;
}
