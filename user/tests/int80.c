// cc: gcc -static -no-pie
/*
 * int80: `int $0x80` from a 64-bit program. Debian's Linux (IA32
 * emulation on) runs the i386 system call table: eax is the number,
 * ebx, ecx, edx, esi, edi the arguments cut to 32 bits, the result in
 * rax; the other registers survive.
 * Checks: getpid (20) and getppid (64) give the same as the 64-bit
 * calls; write (4) from a buffer below 4 GiB writes it; a buffer above
 * 4 GiB (the stack) is another address once cut: EFAULT; pipe (42),
 * write and read (3) and close (6) move bytes through a pipe; an
 * unknown number (400000) is ENOSYS; r8-r15 are unchanged; exit (1)
 * ends the process with the status in ebx.
 * Mirrors: arch/x86/entry/syscalls/syscall_32.tbl, do_int80_emulation().
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static char msg[] = "written through int $0x80\n";
static int fds[2];
static char got[8];

int main(void)
{
	printf("getpid: %s\n", int80(20, 0, 0, 0) == getpid() ? "same" : "different");
	printf("getppid: %s\n", int80(64, 0, 0, 0) == getppid() ? "same" : "different");
	fflush(stdout);
	long r = int80(4, 1, (long)msg, strlen(msg));
	printf("write from a low buffer: %ld\n", r);
	char stack_buf[] = "on the stack\n";
	printf("write from the stack (above 4 GiB): %ld\n", int80(4, 1, (long)stack_buf, sizeof stack_buf - 1));
	printf("pipe: %ld\n", int80(42, (long)fds, 0, 0));
	printf("write to the pipe: %ld\n", int80(4, fds[1], (long)"abc", 3));
	printf("read from the pipe: %ld (%s)\n", int80(3, fds[0], (long)got, sizeof got - 1), got);
	printf("close: %ld %ld\n", int80(6, fds[0], 0, 0), int80(6, fds[1], 0, 0));
	printf("close again: %ld\n", int80(6, fds[1], 0, 0));
	printf("unknown number: %ld\n", int80(400000, 0, 0, 0));

	long r8 = 0, r15 = 0;
	__asm__ volatile("mov $0x1122334455667788, %%r8\n\t"
			 "mov $0x8877665544332211, %%r15\n\t"
			 "mov $20, %%eax\n\t"
			 "int $0x80\n\t"
			 "mov %%r8, %0\n\t"
			 "mov %%r15, %1"
			 : "=r"(r8), "=r"(r15)
			 :
			 : "rax", "r8", "r15", "memory");
	printf("r8 and r15 kept: %s\n", r8 == 0x1122334455667788 && r15 == (long)0x8877665544332211 ? "yes" : "no");
	fflush(stdout);

	pid_t pid = fork();
	if (pid == 0)
		int80(1, 0x1234507, 0, 0); /* exit: status & 0xff */
	int st;
	waitpid(pid, &st, 0);
	printf("child exit through int $0x80: exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
	return 0;
}
