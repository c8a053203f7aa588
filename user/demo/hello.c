/* The demo `cargo xtask run` boots: greets, then shows its pid and argv. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("Hello from Tine! I am pid %d.\n", (int)getpid());
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);
	return 0;
}
