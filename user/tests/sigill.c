/*
 * sigill: executing ud2 (an undefined opcode, #UD) must raise SIGILL
 * (default action: terminate; exit status 132 = 128 + 4).
 * Mirrors: signal(7) SIGILL.
 */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core file in the host cwd */
	printf("executing ud2: expect SIGILL (status 132)\n");
	fflush(stdout);
	__asm__ volatile("ud2");
	printf("still alive?!\n");
	return 0;
}
