// kernel-args: tine.test=kstack_overflow
// expect-panic: ^kernel stack overflow: hit the guard page 0x[0-9a-f]+ below the kernel stack of task pid 1 \(kstack_overflow\)
/*
 * kstack_overflow: a kernel stack overflow is caught by the guard page
 * below the stack and ends in a clean panic naming the guard page and the
 * task, with QEMU exited by the panic handler (no hang, no silent
 * corruption of whatever lies below the stack).
 *
 * Tine-only by nature: `tine.test=kstack_overflow` (the `kernel-args`
 * directive) makes Tine's first system call recurse without end on the
 * calling task's kernel stack (Linux has the same test in lkdtm,
 * EXHAUST_STACK, which needs CONFIG_LKDTM). That first call is this
 * program's, as PID 1, so nothing below runs; the `expect-panic`
 * directive checks the kernel log instead of the output.
 */
#include <unistd.h>

int main(void)
{
	write(1, "the overflow did not happen\n", 28);
	return 1;
}
