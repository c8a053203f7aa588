/*
 * fileshare: after fork, parent and child share each open file's offset.
 *
 * fork() copies the table of file descriptors, but each descriptor in the
 * copy points to the same "open file description" as the parent's: the
 * kernel object that holds the file offset and the O_APPEND-style flags.
 * So when the child reads 4 bytes, the parent's next read starts 4 bytes
 * further on too. Two independent open() calls of the same file, by
 * contrast, each have an offset of their own.
 *
 *   cargo xtask exec fileshare
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char path[] = "/tmp/fileshare.txt";

static void show(const char *who, int fd, int n)
{
	char buf[32] = {0};
	ssize_t got = read(fd, buf, n);
	printf("%-7s read %zd bytes: \"%s\", offset now %ld\n", who, got, buf, (long)lseek(fd, 0, SEEK_CUR));
	fflush(stdout);
}

int main(void)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	const char text[] = "0123456789abcdef";
	write(fd, text, strlen(text));
	lseek(fd, 0, SEEK_SET);
	printf("file holds \"%s\"; descriptor %d at offset 0\n", text, fd);
	fflush(stdout);

	pid_t pid = fork();
	if (pid == 0) {
		show("child:", fd, 4); /* moves the shared offset to 4 */
		int own = open(path, O_RDONLY); /* a description of its own */
		show("child (own open):", own, 4);
		return 0;
	}
	waitpid(pid, NULL, 0);
	show("parent:", fd, 4); /* starts at 4, where the child left it */
	close(fd);
	unlink(path);
	return 0;
}
