/*
 * fuzz: Tine's system call fuzzer, run as PID 1 by `cargo xtask fuzz`.
 *
 *   fuzz [--seed S] [--calls N] [--procs P] [--per-worker K] [--threads T]
 *        [--trace]
 *
 * The supervisor (this process, PID 1) runs no random call itself. In
 * batches, it forks P workers; each sets itself up (fuzz_common.h: its own
 * process group, scratch memory at fixed addresses, a descriptor of every
 * kind in fixed slots), starts up to T threads (raw clone, CLONE_VM |
 * CLONE_THREAD ...), and the worker and its threads make K random calls
 * between them. Call (batch b, worker w, thread t, index i) is a pure
 * function of the seed and (b, w, t, i), so a run is repeatable up to
 * scheduling. A one-shot ITIMER_REAL (20 ms) armed before each call ends a
 * blocking call with EINTR; a worker that blocks SIGALRM, crashes or hangs
 * is killed: after each batch, with a time budget of 3 s, the supervisor
 * SIGKILLs every other process (kill(-1), which spares PID 1) and reaps
 * them all, then checks the kernel still works (getpid, fork + wait) and
 * prints a progress line. It exits 0 when N calls have been made.
 *
 * Output: every line of ours starts with "FUZZ| "; with --trace each call
 * is written, before it is made, as "FZT|b.w.t.i nr a0 a1 a2 a3 a4 a5"
 * (hex) on descriptor 1000 (a dup of the console that no call may touch),
 * which xtask reads back after a kernel panic.
 *
 * Calls never made (fz_skip below says which and why):
 *  - reboot: ends the machine. iopl, ioperm: port I/O lets a worker end
 *    QEMU (isa-debug-exit) or talk over the serial ports.
 *  - signals to the supervisor: kill, tkill, tgkill, rt_sigqueueinfo,
 *    rt_tgsigqueueinfo to pid 1 or -1 (everyone), to the supervisor's
 *    group, or to group 0 while the worker is still in the supervisor's
 *    group; pidfd_open(1) (its pidfd could then be signalled); ptrace,
 *    process_vm_writev and prlimit64 (setting) on pid 1.
 *  - close, close_range, dup2, dup3 on descriptor 1000 (the trace).
 *  - exit and exit_group are fine: only workers make calls. So are setuid
 *    and friends, and munmap/mprotect/mremap/brk/madvise of the worker's
 *    own code or stack: a worker killed by a signal is expected.
 * A system call number is judged by its low 32 bits without the x32 bit,
 * so that a kernel which ignores the upper bits is not fooled into
 * rebooting.
 */
#include "fuzz_common.h"

#include <sched.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define FZ_SHARED 0x12000000UL
struct shared {
	long calls;
	long skipped;
};

static uint64_t seed;
static long total_calls = 10000;
static int procs = 4;
static int per_worker = 200;
static int max_threads = 2;
static int trace;
static long only_batch = -1, only_worker = -1;

/* Argument kinds per system call (x86_64 numbers):
 * f descriptor, p pointer, s path, l length, i small int, F flags,
 * P pid, S signal, m mode, o offset, a address, t timespec pointer,
 * v iovec pointer, u uid, c clock, w command, I ioctl request,
 * C fcntl command, R ptrace request, x anything. Unlisted calls: six x. */
static const char *const sigs[] = {
	[0] = "fpl", [1] = "fpl", [2] = "sFm", [3] = "f", [4] = "sp", [5] = "fp", [6] = "sp",
	[7] = "pli", [8] = "foi", [9] = "alFFfo", [10] = "alF", [11] = "al", [12] = "a",
	[13] = "Sppl", [14] = "ippl", [15] = "", [16] = "fIp", [17] = "fplo", [18] = "fplo",
	[19] = "fvl", [20] = "fvl", [21] = "si", [22] = "p", [23] = "ippppt", [24] = "",
	[25] = "allFa", [26] = "alF", [27] = "alp", [28] = "ali", [29] = "xlF", [30] = "xpF",
	[31] = "xip", [32] = "f", [33] = "ff", [34] = "", [35] = "tp", [36] = "ip", [37] = "i",
	[38] = "ipp", [39] = "", [40] = "ffpl", [41] = "iii", [42] = "fpl", [43] = "fpp",
	[44] = "fplFpl", [45] = "fplFpp", [46] = "fpF", [47] = "fpF", [48] = "fi", [49] = "fpl",
	[50] = "fi", [51] = "fpp", [52] = "fpp", [53] = "iiip", [54] = "fiipl", [55] = "fiipp",
	[56] = "Fappx", [57] = "", [58] = "", [59] = "spp", [60] = "i", [61] = "PpFp",
	[62] = "PS", [63] = "p", [64] = "xiF", [65] = "xpl", [66] = "xiix", [67] = "a",
	[68] = "xF", [69] = "xplF", [70] = "xplxF", [71] = "xip", [72] = "fCx", [73] = "fi",
	[74] = "f", [75] = "f", [76] = "so", [77] = "fo", [78] = "fpl", [79] = "pl", [80] = "s",
	[81] = "f", [82] = "ss", [83] = "sm", [84] = "s", [85] = "sm", [86] = "ss", [87] = "s",
	[88] = "ss", [89] = "spl", [90] = "sm", [91] = "fm", [92] = "suu", [93] = "fuu",
	[94] = "suu", [95] = "m", [96] = "pp", [97] = "ip", [98] = "ip", [99] = "p", [100] = "p",
	[101] = "RPpp", [103] = "ipl", [105] = "u", [106] = "u", [109] = "PP", [113] = "uu",
	[114] = "uu", [115] = "lp", [116] = "lp", [117] = "uuu", [118] = "ppp", [119] = "uuu",
	[120] = "ppp", [121] = "P", [122] = "u", [123] = "u", [124] = "P", [125] = "pp",
	[126] = "pp", [127] = "pl", [128] = "pptl", [129] = "PSp", [130] = "pl", [131] = "pp",
	[132] = "sp", [133] = "smx", [134] = "s", [135] = "x", [136] = "xp", [137] = "sp",
	[138] = "fp", [139] = "ixp", [140] = "iP", [141] = "iPi", [142] = "Pp", [143] = "Pp",
	[144] = "Pip", [145] = "P", [146] = "i", [147] = "i", [148] = "Pp", [149] = "al",
	[150] = "al", [151] = "F", [154] = "ipl", [155] = "ss", [156] = "p", [157] = "wxxxx",
	[158] = "wx", [159] = "p", [160] = "ip", [161] = "s", [163] = "s", [164] = "pp",
	[165] = "sssFp", [166] = "sF", [167] = "sF", [168] = "s", [170] = "pl", [171] = "pl",
	[175] = "plp", [176] = "sF", [179] = "xspp", [187] = "fol", [188] = "ssplF",
	[189] = "ssplF", [190] = "fsplF", [191] = "sspl", [192] = "sspl", [193] = "fspl",
	[194] = "spl", [195] = "spl", [196] = "fpl", [197] = "ss", [198] = "ss", [199] = "fs",
	[200] = "PS", [201] = "p", [202] = "pwiptx", [203] = "Plp", [204] = "Plp", [205] = "p",
	[206] = "lp", [207] = "x", [208] = "xllpt", [209] = "xlp", [210] = "xpp", [211] = "p",
	[213] = "i", [216] = "alxoF", [217] = "fpl", [218] = "p", [220] = "xplt", [221] = "foli",
	[222] = "cpp", [223] = "iFpp", [224] = "ip", [225] = "i", [226] = "i", [227] = "cp",
	[228] = "cp", [229] = "cp", [230] = "cFtp", [231] = "i", [232] = "fpii", [233] = "fifp",
	[234] = "PPS", [235] = "sp", [237] = "alippF", [238] = "ipl", [239] = "pplaF",
	[240] = "sFmp", [241] = "s", [242] = "fplit", [243] = "fplpt", [244] = "fp",
	[245] = "fpp", [246] = "xlpF", [247] = "iPpFp", [248] = "ssplx", [249] = "sssx",
	[250] = "wxxxx", [251] = "iPi", [252] = "iP", [254] = "fsF", [255] = "fi",
	[256] = "Plpp", [257] = "fsFm", [258] = "fsm", [259] = "fsmx", [260] = "fsuuF",
	[261] = "fsp", [262] = "fspF", [263] = "fsF", [264] = "fsfs", [265] = "fsfsF",
	[266] = "sfs", [267] = "fspl", [268] = "fsm", [269] = "fsi", [270] = "ippptp",
	[271] = "pltpl", [272] = "F", [273] = "pl", [274] = "Ppp", [275] = "fpfplF",
	[276] = "fflF", [277] = "fooF", [278] = "fvlF", [279] = "Plpppi", [280] = "fspF",
	[281] = "fpiipl", [282] = "fpl", [283] = "cF", [284] = "i", [285] = "fioo",
	[286] = "fFpp", [287] = "fp", [288] = "fppF", [289] = "fplF", [290] = "iF",
	[291] = "F", [292] = "ffF", [293] = "pF", [294] = "F", [295] = "fvlo", [296] = "fvlo",
	[297] = "PPSp", [298] = "pPifF", [299] = "fplFt", [300] = "FF", [301] = "fFxfs",
	[302] = "Pipp", [303] = "fsppF", [304] = "fpF", [305] = "cp", [306] = "f",
	[307] = "fplF", [308] = "fF", [309] = "ppp", [310] = "Pvlvll", [311] = "Pvlvll",
	[312] = "PPiff", [313] = "fsF", [314] = "PpF", [315] = "PplF", [316] = "fsfsF",
	[317] = "ixp", [318] = "plF", [319] = "sF", [320] = "fflsF", [321] = "ipl",
	[322] = "fsppF", [323] = "F", [324] = "iFi", [325] = "alF", [326] = "fpfplF",
	[327] = "fvlooF", [328] = "fvlooF", [329] = "alFi", [330] = "FF", [331] = "i",
	[332] = "fsFFp", [334] = "plFi", [424] = "fSpF", [425] = "lp", [426] = "fllFpl",
	[427] = "fipl", [428] = "fsF", [429] = "fsfsF", [430] = "sF", [431] = "fispi",
	[432] = "fFF", [433] = "fsF", [434] = "PF", [435] = "pl", [436] = "ffF", [437] = "fspl",
	[438] = "ffF", [439] = "fsiF", [440] = "fvliF", [441] = "fpitpl", [442] = "fsFpl",
	[443] = "fixp", [444] = "plF", [445] = "fipF", [446] = "fF", [447] = "F", [448] = "fF",
	[449] = "pFFtc", [450] = "allF", [451] = "fppF", [452] = "fsmF", [453] = "alF",
};
#define NSIGS (int)(sizeof sigs / sizeof sigs[0])
#define MAX_NR 463

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return fz_mix(r->s);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return next(r) % n;
}

#define PICK(r, arr) (arr)[below(r, sizeof(arr) / sizeof((arr)[0]))]

static const uint64_t huge[] = {
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xffffffffffffffffULL, 0xfffffffffffff000ULL,
	0xffff800000000000ULL, 0xffffffff80000000ULL, 0xffff888000000000ULL,
	0x0000800000000000ULL, 0xdead000000000000ULL, 0x00007ffffffff000ULL,
	0x00007fffffffffffULL, 0x00007ffffffffff8ULL, 4095, 4096, 1 << 20, 0x10000,
};

static uint64_t bad_pointer(struct rng *r)
{
	static const uint64_t bad[] = {
		0, 1, 0xfff, 0x1000, FZ_HOLE, FZ_HOLE + 8, FZ_B + 0x1000, FZ_RO, FZ_RO + 0x800,
		0xffff800000000000ULL, 0xffff800000100000ULL, 0xffffffff80000000ULL,
		0xffffffff80100000ULL, 0xffff888000000000ULL, 0xfffffffffffff000ULL,
		0x0000800000000000ULL, 0x8000000000000000ULL, 0xdead000000000000ULL,
		0x00007ffffffff000ULL, 0x400000, 0x401000,
	};
	return PICK(r, bad);
}

static uint64_t pointer(struct rng *r)
{
	static const uint64_t ends[] = { 1, 2, 4, 8, 16, 64, 256, 4096 };
	switch (below(r, 10)) {
	case 0:
		return bad_pointer(r);
	case 1:
		return FZ_A + FZ_A_LEN - PICK(r, ends); /* at the end, before the guard */
	case 2:
		return FZ_B + below(r, 4096) / 8 * 8;
	case 3:
		return FZ_A + FZ_IOV + 0x100 * below(r, 12); /* the structures */
	case 4:
	case 5:
		return FZ_A + FZ_OUT + below(r, 0x8000) / 8 * 8;
	default:
		return FZ_A + below(r, FZ_A_LEN) / 8 * 8;
	}
}

static uint64_t fd(struct rng *r)
{
	switch (below(r, 12)) {
	case 0:
		return (uint64_t)-1;
	case 1:
		return (uint64_t)-100; /* AT_FDCWD */
	case 2:
		return below(r, 64);
	case 3:
		return PICK(r, huge);
	default:
		return below(r, FZ_FD_LAST);
	}
}

static uint64_t length(struct rng *r)
{
	static const uint64_t l[] = { 0, 1, 2, 8, 16, 64, 255, 256, 4095, 4096, 4097,
				      8192, 65536, 1 << 20, 0x7fffffff, 0xffffffff,
				      (uint64_t)-1, 0x7fffffffffffffffULL };
	return below(r, 3) ? PICK(r, l) : below(r, 70000);
}

static uint64_t flags(struct rng *r)
{
	switch (below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1ULL << below(r, 32);
	case 2:
		return (1ULL << below(r, 32)) | (1ULL << below(r, 32)) | (1ULL << below(r, 12));
	case 3:
		return below(r, 0x1000);
	case 4:
		return (uint32_t)next(r);
	default:
		return below(r, 20) ? (1ULL << below(r, 12)) : ~0ULL;
	}
}

static uint64_t pid(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)-1;
	case 2:
	case 3:
		return fz_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	case 4:
		return 2 + below(r, 40);
	case 5:
		return (uint64_t)-(int64_t)fz_sys(SYS_getpgid, 0, 0, 0, 0, 0, 0);
	case 6:
		return fz_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	default:
		return PICK(r, huge);
	}
}

static uint64_t anything(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return below(r, 65);
	case 2:
		return (uint64_t)-1;
	case 3:
		return PICK(r, huge);
	case 4:
		return pointer(r);
	case 5:
		return fd(r);
	case 6:
		return flags(r);
	default:
		return next(r);
	}
}

static uint64_t arg(struct rng *r, char kind)
{
	if (below(r, 6) == 0)
		kind = 'x';
	switch (kind) {
	case 'f':
		return fd(r);
	case 'p':
		return pointer(r);
	case 's':
		switch (below(r, 8)) {
		case 0:
			return FZ_A + FZ_LONGPATH;
		case 1:
			return FZ_A + FZ_A_LEN - 16; /* runs into the guard page */
		case 2:
			return pointer(r);
		default:
			return FZ_A + FZ_PATHS + below(r, FZ_NPATHS) * FZ_PATH_STRIDE;
		}
	case 'l':
		return length(r);
	case 'i':
		return below(r, 4) ? below(r, 17) : anything(r);
	case 'F':
		return flags(r);
	case 'P':
		return pid(r);
	case 'S': {
		static const uint64_t s[] = { 0, SIGKILL, SIGSTOP, SIGCONT, SIGCHLD, SIGALRM, SIGSEGV,
					      SIGTERM, SIGUSR1, 32, 33, 64, 65, 128, (uint64_t)-1 };
		return below(r, 2) ? PICK(r, s) : below(r, 66);
	}
	case 'm': {
		static const uint64_t m[] = { 0, 0777, 0644, 0600, 04755, 07777, 0100644, 020666,
					      0xffffffff };
		return below(r, 4) ? PICK(r, m) : below(r, 0x10000);
	}
	case 'o': {
		static const uint64_t o[] = { 0, 1, 4096, 8192, (uint64_t)-1, 1ULL << 40,
					      0x7fffffffffffffffULL, 0x7ffffffffffff000ULL };
		return below(r, 2) ? PICK(r, o) : below(r, 1 << 20);
	}
	case 'a':
		switch (below(r, 12)) {
		case 0:
			return bad_pointer(r);
		case 1:
			return FZ_A + below(r, FZ_A_LEN); /* unaligned */
		case 2:
		case 3:
			return 0x20000000UL + 0x1000 * below(r, 0x4000); /* nothing there */
		case 4:
			return FZ_B + 0x1000 * below(r, 4);
		case 5:
			if (below(r, 3) == 0) { /* the worker's own code, data or stack */
				static const uint64_t own[] = { 0x400000, 0x401000, 0x600000 };
				int here;
				return below(r, 2) ? PICK(r, own) : ((uint64_t)&here & ~0xfffULL);
			}
			/* fallthrough */
		default:
			return FZ_A + 0x1000 * below(r, 16);
		}
	case 't':
		return below(r, 4) ? FZ_A + FZ_TS + 16 * below(r, 5) : pointer(r);
	case 'v':
		return below(r, 4) ? FZ_A + FZ_IOV + 16 * below(r, 4) : pointer(r);
	case 'u': {
		static const uint64_t u[] = { 0, 1, 1000, 65534, (uint64_t)-1, 0xfffffffe };
		return PICK(r, u);
	}
	case 'c': {
		static const uint64_t c[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					      (uint64_t)-1, (~3ULL << 3) | 3, (uint64_t)-6 };
		return PICK(r, c);
	}
	case 'w':
		return below(r, 4) ? below(r, 72) : anything(r);
	case 'I': {
		static const uint64_t io[] = {
			0x5401, 0x5402, 0x5403, 0x5404, 0x540b, 0x540e, 0x540f, 0x5410, 0x5413,
			0x5414, 0x541b, 0x5421, 0x5422, 0x5429, 0x5450, 0x5451, 0x80045430,
			0x40045431, 0x80086601, 0xc0045877,
		};
		return below(r, 5) ? PICK(r, io) : next(r);
	}
	case 'R': {
		/* Every request Tine knows, the seize-era ones included. */
		static const uint64_t req[] = { 0,      1,      2,      3,      4,      5,      6,
						7,      8,      9,      12,     13,     14,     15,
						16,     17,     24,     31,     32,     0x4200, 0x4201,
						0x4202, 0x4203, 0x4204, 0x4205, 0x4206, 0x4207, 0x4208,
						0x4209, 0x420a, 0x420b, 0x420e };
		return below(r, 6) ? PICK(r, req) : anything(r);
	}
	case 'C': {
		static const uint64_t c[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16,
					      36, 37, 38, 1024, 1025, 1026, 1030, 1031, 1032,
					      1033, 1034 };
		return below(r, 6) ? PICK(r, c) : next(r);
	}
	default:
		return anything(r);
	}
}

/* Call (b, w, t, i) of this seed: c[0] the number, c[1..7) the arguments. */
static void gen(uint64_t b, uint64_t w, uint64_t t, uint64_t i, uint64_t c[7])
{
	struct rng r = { fz_mix(seed ^ fz_mix(b * 0x10001 + w * 0x101 + t) ^ fz_mix(i + (1ULL << 40))) };
	uint64_t nr;
	switch (below(&r, 40)) {
	case 0: { /* out of range */
		static const uint64_t out[] = { 335, 400, 423, 464, 500, 511, 512, 547, 548, 1000,
						0x40000000, 0x40000001, 0x40000027, 0x7fffffff,
						0xffffffff, 0x100000027ULL, (uint64_t)-1,
						0x8000000000000000ULL };
		nr = below(&r, 2) ? PICK(&r, out) : 335 + below(&r, 200);
		break;
	}
	default:
		nr = below(&r, MAX_NR + 1);
	}
	c[0] = nr;
	const char *sig = nr < (uint64_t)NSIGS && sigs[nr] ? sigs[nr] : "xxxxxx";
	for (int k = 0; k < 6; k++)
		c[k + 1] = *sig ? arg(&r, *sig++) : (below(&r, 3) ? 0 : anything(&r));
}

static int sup_pgrp = 1;

/* Why call c must not be made (see the list at the top), or 0. */
static const char *fz_skip(const uint64_t c[7])
{
	uint64_t nr = (uint32_t)c[0] & ~0x40000000U;
	int a0 = (int)c[1], a1 = (int)c[2];
	switch (nr) {
	case SYS_reboot:
		return "reboot";
	case SYS_iopl:
	case SYS_ioperm:
		return "port I/O";
	case SYS_kill:
	case SYS_rt_sigqueueinfo:
		if (a0 == 1 || a0 == -1 || a0 == -sup_pgrp)
			return "signal to the supervisor";
		if (a0 == 0 && fz_sys(SYS_getpgid, 0, 0, 0, 0, 0, 0) == sup_pgrp)
			return "signal to the supervisor's group";
		return 0;
	case SYS_tkill:
		return a0 == 1 ? "signal to the supervisor" : 0;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		return a0 == 1 || a1 == 1 ? "signal to the supervisor" : 0;
	case SYS_pidfd_open:
		return a0 == 1 ? "pidfd of the supervisor" : 0;
	case SYS_ptrace:
		return a1 == 1 ? "ptrace of the supervisor" : 0;
	case SYS_process_vm_writev:
		return a0 == 1 ? "writes the supervisor's memory" : 0;
	case SYS_prlimit64:
		return a0 == 1 && c[3] ? "limits of the supervisor" : 0;
	case SYS_close:
		return a0 == FZ_TRACE_FD ? "the trace descriptor" : 0;
	case SYS_dup2:
	case SYS_dup3:
		return a1 == FZ_TRACE_FD ? "the trace descriptor" : 0;
	case SYS_close_range:
		return (uint32_t)c[1] <= FZ_TRACE_FD && (uint32_t)c[2] >= FZ_TRACE_FD ? "the trace descriptor" : 0;
	}
	return 0;
}

static volatile struct shared *sh = (struct shared *)FZ_SHARED;

static void stream(uint64_t b, uint64_t w, uint64_t t, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t c[7];
		gen(b, w, t, i, c);
		if (fz_skip(c)) {
			__atomic_add_fetch(&sh->skipped, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (trace) {
			char pre[80] = "FZT|", *p = pre + 4;
			p = fz_hex(p, b);
			*p++ = '.';
			p = fz_hex(p, w);
			*p++ = '.';
			p = fz_hex(p, t);
			*p++ = '.';
			p = fz_hex(p, i);
			*p = 0;
			fz_trace(pre, c);
		}
		__atomic_add_fetch(&sh->calls, 1, __ATOMIC_RELAXED);
		fz_arm();
		fz_sys(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
	}
}

static uint64_t cur_batch, cur_worker;
static int thread_calls;
static volatile int threads_done;

static int thread_main(void *arg)
{
	stream(cur_batch, cur_worker, (uint64_t)arg, thread_calls);
	__atomic_add_fetch(&threads_done, 1, __ATOMIC_RELAXED);
	return 0;
}

static void worker(uint64_t b, uint64_t w)
{
	fz_setup();
	cur_batch = b;
	cur_worker = w;
	int nthreads = max_threads ? (int)(fz_mix(seed ^ (b << 20) ^ w) % (max_threads + 1)) : 0;
	if (nthreads >= FZ_MAX_THREADS)
		nthreads = FZ_MAX_THREADS - 1;
	thread_calls = per_worker / (nthreads + 1);
	int started = 0;
	for (int t = 1; t <= nthreads; t++) {
		unsigned long fl = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
		void *top = (void *)(FZ_STACKS + FZ_STACK_LEN * t);
		if (raw_clone_fn(fl, top, 0, 0, 0, thread_main, (void *)(uint64_t)t) > 0)
			started++;
	}
	stream(b, w, 0, per_worker - thread_calls * nthreads);
	long end = fz_now_ms() + 300;
	while (threads_done < started && fz_now_ms() < end)
		fz_sleep_ms(2);
	fz_sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

static void say(const char *fmt, ...)
{
	char buf[512] = "FUZZ| ";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + 6, sizeof buf - 7, fmt, ap);
	va_end(ap);
	strcat(buf, "\n");
	fz_put(buf);
}

/* After a failure: one task as /proc shows it. */
static void dump_task(const char *dir)
{
	char path[300], buf[4096];
	snprintf(path, sizeof path, "%s/status", dir);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	long n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char line[600] = "";
	for (char *l = strtok(buf, "\n"); l; l = strtok(0, "\n"))
		if (!strncmp(l, "State", 5) || !strncmp(l, "Tgid", 4) || !strncmp(l, "Pid", 3) ||
		    !strncmp(l, "PPid", 4) || !strncmp(l, "SigBlk", 6) || !strncmp(l, "SigPnd", 6) ||
		    !strncmp(l, "ShdPnd", 6) || !strncmp(l, "Threads", 7))
			snprintf(line + strlen(line), sizeof line - strlen(line), " %s;", l);
	snprintf(path, sizeof path, "%s/wchan", dir);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, 100);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		snprintf(line + strlen(line), sizeof line - strlen(line), " wchan %s", buf);
	}
	say("%s:%s", dir, line);
}

/* After a failure: every other process and its threads. */
static void dump_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !strcmp(e->d_name, "1"))
			continue;
		char dir[300];
		snprintf(dir, sizeof dir, "/proc/%s", e->d_name);
		dump_task(dir);
		snprintf(dir, sizeof dir, "/proc/%s/task", e->d_name);
		DIR *t = opendir(dir);
		struct dirent *te;
		while (t && (te = readdir(t))) {
			if (te->d_name[0] < '1' || !strcmp(te->d_name, e->d_name))
				continue;
			char tdir[600];
			snprintf(tdir, sizeof tdir, "%s/%s", dir, te->d_name);
			dump_task(tdir);
		}
		if (t)
			closedir(t);
	}
	if (d)
		closedir(d);
}

static int check_alive(void)
{
	if (fz_sys(SYS_getpid, 0, 0, 0, 0, 0, 0) != 1)
		return 0;
	long pid = fz_sys(SYS_fork, 0, 0, 0, 0, 0, 0);
	if (pid == 0)
		fz_sys(SYS_exit_group, 42, 0, 0, 0, 0, 0);
	if (pid < 0)
		return 0;
	int st = 0;
	if (fz_sys(SYS_wait4, pid, (long)&st, __WALL, 0, 0, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 42;
}

static const char usage[] =
	"usage: fuzz [--seed S] [--calls N] [--procs P] [--per-worker K] [--threads T]\n"
	"            [--trace] [--batch B [--worker W]]\n"
	"--batch B: only batch B (and only its worker W), whatever --calls says\n";

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
		if (!strcmp(a, "--trace"))
			trace = 1;
		else if (v && !strcmp(a, "--seed"))
			seed = strtoull(v, 0, 0), i++;
		else if (v && !strcmp(a, "--calls"))
			total_calls = strtol(v, 0, 0), i++;
		else if (v && !strcmp(a, "--procs"))
			procs = atoi(v), i++;
		else if (v && !strcmp(a, "--per-worker"))
			per_worker = atoi(v), i++;
		else if (v && !strcmp(a, "--batch"))
			only_batch = atol(v), i++;
		else if (v && !strcmp(a, "--worker"))
			only_worker = atol(v), i++;
		else if (v && !strcmp(a, "--threads"))
			max_threads = atoi(v), i++;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || per_worker < 1 || max_threads < 0)
		return 2;
	fz_sys(SYS_dup2, 1, FZ_TRACE_FD, 0, 0, 0, 0);
	sup_pgrp = (int)fz_sys(SYS_getpgid, 0, 0, 0, 0, 0, 0);
	if (mmap((void *)FZ_SHARED, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		say("FAIL: mmap of the shared page: %s", strerror(errno));
		return 1;
	}
	say("seed %llu, %ld calls, %d workers of %d calls, up to %d threads each%s",
	    (unsigned long long)seed, total_calls, procs, per_worker, max_threads,
	    trace ? ", traced" : "");
	mkdir("/tmp/fz", 0777);
	long died_total = 0;
	uint64_t b = only_batch >= 0 ? (uint64_t)only_batch : 0;
	int idle = 0;
	while (only_batch >= 0 ? b == (uint64_t)only_batch : sh->calls < total_calls) {
		long before = sh->calls;
		int pids[64];
		int n = 0;
		for (int w = 0; w < procs; w++) {
			if (only_worker >= 0 && w != only_worker)
				continue;
			long pid = fz_sys(SYS_fork, 0, 0, 0, 0, 0, 0);
			if (pid == 0)
				worker(b, w);
			if (pid < 0) {
				say("FAIL: fork of a worker: %s", strerror(-pid));
				return 4;
			}
			fz_sys(SYS_setpgid, pid, pid, 0, 0, 0, 0);
			pids[n++] = (int)pid;
		}
		int died = 0;
		if (fz_reap(pids, n, 3000, &died) < 0) {
			say("FAIL: batch %llu: a process outlived SIGKILL for 10 s", (unsigned long long)b);
			dump_processes();
			return 3;
		}
		died_total += died;
		if (!check_alive()) {
			say("FAIL: batch %llu: getpid or fork+wait failed after the batch", (unsigned long long)b);
			return 4;
		}
		say("batch %llu: %ld/%ld calls, %ld skipped, %d died by signal (%ld in all)",
		    (unsigned long long)b, sh->calls, total_calls, sh->skipped, died, died_total);
		idle = sh->calls == before ? idle + 1 : 0;
		if (idle >= 20) {
			say("FAIL: 20 batches without a single call");
			return 5;
		}
		b++;
	}
	say("done: %ld calls (%ld skipped) in %llu batches, %ld processes died by signal",
	    sh->calls, sh->skipped, (unsigned long long)b, died_total);
	return 0;
}
