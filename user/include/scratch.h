/*
 * scratch.h: the mount and root tests' scratch directory (chroot,
 * pivot_root, mount_ns, mount_tmpfs, umount_ns_busy): `base`, which each
 * test fills in, and p(), a path under it.
 */
#ifndef SCRATCH_H
#define SCRATCH_H

#include <stdio.h>

static char base[64];

/* base + rel, in one of four buffers, so that a call can take several. */
__attribute__((unused)) static const char *p(const char *rel)
{
	static char b[4][256];
	static int n;
	char *s = b[n++ & 3];
	snprintf(s, 256, "%s%s", base, rel);
	return s;
}

#endif
