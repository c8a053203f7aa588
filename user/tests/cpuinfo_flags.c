// linux-ref
// linux-args: nopku no5lvl nofsgsbase clearcpuid=295,308
/*
 * cpuinfo_flags: the `flags` line of /proc/cpuinfo's first CPU, which
 * Linux builds from CPUID (leaves 1, 7, 0xd sub-leaf 1, 0x80000001, ...),
 * adds bits of its own to (cpuid, nopl, rep_good, vmmcall, ...) and
 * takes away what it does not turn on, with the names of
 * arch/x86/include/asm/cpufeatures.h. The reference is Debian's Linux
 * booted in the same QEMU machine (same -cpu), so the CPUID it reads is
 * the one Tine reads (cpuinfo_flags.linux holds its output), told to
 * leave off what Tine leaves off: protection keys (CR4.PKE), 5-level
 * paging, the FS/GS base instructions (CR4.FSGSBASE), SMEP (bit 9*32+7)
 * and SMAP (9*32+20).
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f) {
		perror("/proc/cpuinfo");
		return 1;
	}
	static char line[8192];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags\t", 6) == 0) {
			fputs(line, stdout);
			return 0;
		}
	}
	puts("no flags line");
	return 1;
}
