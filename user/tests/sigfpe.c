/*
 * sigfpe: integer division by zero (#DE from idiv) must raise SIGFPE
 * (default action: terminate; exit status 136 = 128 + 8).
 * Mirrors: signal(7) SIGFPE.
 */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core file in the host cwd */
	volatile int a = 7, b = 0;
	printf("computing 7 / 0: expect SIGFPE (status 136)\n");
	fflush(stdout);
	int q = a / b;
	printf("quotient %d, still alive?!\n", q);
	return 0;
}
