// kernel-args: tine.test=phys_guard
// expect-panic: ^core reached physical 0x100000\.\.=0x100007 \(read\) outside the frames lent to it
/*
 * phys_guard: hal's direct map refuses a physical address that was never
 * lent to core. `core` reaches memory only through hal's `PhysMem`, which
 * takes physical addresses from safe code; to be sound for any caller it
 * checks each one against the frames lent to core at boot (less the heap's
 * and the mapped kernel stacks'), and panics on anything else instead of
 * reading or corrupting the kernel's own memory.
 *
 * Tine-only by nature: `tine.test=phys_guard` (the `kernel-args`
 * directive) makes hal read the first frame of the kernel image through
 * the checked path at boot, as a bug in core might; the `expect-panic`
 * directive checks the kernel log. Nothing below runs.
 */
#include <unistd.h>

int main(void)
{
	write(1, "the stray access was not stopped\n", 33);
	return 0;
}
