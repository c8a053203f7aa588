/*
 * raw_clone.h: the clone(2) system call as the kernel sees it, for the
 * tests that need a child on a stack of their own without libc's help
 * (clone_flags, tid_address). Included by one source file per program:
 * it defines the function.
 */
#ifndef RAW_CLONE_H
#define RAW_CLONE_H

/*
 * raw_clone_fn(flags, stack_top, ptid, ctid, tls, fn, arg): clone on a new
 * stack; the child calls fn(arg) and then SYS_exit with its return value
 * (a thread-only exit).  Returns the raw result (-errno on failure).
 */
long raw_clone_fn(unsigned long flags, void *stack_top, int *ptid, int *ctid,
		  unsigned long tls, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl raw_clone_fn\n"
	".type raw_clone_fn,@function\n"
	"raw_clone_fn:\n"
	"	mov 8(%rsp), %rax\n"
	"	and $-16, %rsi\n"
	"	sub $16, %rsi\n"
	"	mov %rax, 8(%rsi)\n"
	"	mov %r9, 0(%rsi)\n"
	"	mov %rcx, %r10\n"
	"	mov $56, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n");

#endif
