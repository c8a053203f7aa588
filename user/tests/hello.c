/*
 * hello: the smallest useful static program.
 * Checks: stdio to a (fully buffered) stdout pipe, malloc of a heap
 * buffer, unbuffered stderr, and exit(3) status propagation.
 * Mirrors: printf(3), malloc(3), exit(3)/exit_group(2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("hello, world\n");

	char *buf = malloc(64);
	printf("malloc(64): %s\n", buf ? "non-NULL" : "NULL");
	if (!buf)
		return 1;
	strcpy(buf, "heap string");
	for (int i = 0; i < 4; i++)
		buf[i] = (char)(buf[i] - 'a' + 'A');
	printf("buf: \"%s\" len=%zu\n", buf, strlen(buf));
	free(buf);

	fprintf(stderr, "to stderr: %d\n", 42);
	printf("exiting with 3\n");
	exit(3);
}
