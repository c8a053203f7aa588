/*
 * sysfs_cpu: the CPU files of /sys/devices/system/cpu, as glibc's
 * get_nprocs() and nproc read them. The host may have another number of
 * CPUs than Tine's machine: only what holds on any machine is printed.
 * Checks:
 *   online, possible and present parse as CPU lists ("0-1", "0", "0,2-3");
 *   online's count equals sysconf(_SC_NPROCESSORS_ONLN) and the count of
 *     sched_getaffinity's mask (nothing restricts this process);
 *   possible and present each hold every online CPU;
 *   kernel_max is at least the highest possible CPU;
 *   a cpuN directory exists for every online CPU;
 *   online is a regular file of mode 0444.
 * Mirrors: sysfs-devices-system-cpu (Documentation/ABI), get_nprocs(3),
 *   drivers/base/cpu.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXCPU 1024

static const char *yesno(int c) { return c ? "yes" : "no"; }

/* Parse a CPU list into set[]; the count of CPUs, or -1 if malformed. */
static int parse_list(const char *path, unsigned char *set, int *highest) {
    char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (n == 0 || buf[n - 1] != '\n') return -1;
    memset(set, 0, MAXCPU);
    int count = 0;
    *highest = -1;
    char *p = buf;
    while (*p != '\n') {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a >= MAXCPU) return -1;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b >= MAXCPU) return -1;
            p = end;
        }
        for (long c = a; c <= b; c++) {
            if (!set[c]) count++;
            set[c] = 1;
        }
        if (b > *highest) *highest = (int)b;
        if (*p == ',') p++;
        else if (*p != '\n') return -1;
    }
    return count;
}

static int subset(const unsigned char *a, const unsigned char *b) {
    for (int i = 0; i < MAXCPU; i++)
        if (a[i] && !b[i]) return 0;
    return 1;
}

int main(void) {
    static unsigned char online[MAXCPU], possible[MAXCPU], present[MAXCPU];
    int hi_on, hi_pos, hi_pres;
    int n_on = parse_list("/sys/devices/system/cpu/online", online, &hi_on);
    int n_pos = parse_list("/sys/devices/system/cpu/possible", possible, &hi_pos);
    int n_pres = parse_list("/sys/devices/system/cpu/present", present, &hi_pres);
    printf("online parses: %s\n", yesno(n_on >= 1));
    printf("possible parses: %s\n", yesno(n_pos >= 1));
    printf("present parses: %s\n", yesno(n_pres >= 1));
    long nprocs = sysconf(_SC_NPROCESSORS_ONLN);
    printf("online count == sysconf(_SC_NPROCESSORS_ONLN): %s\n", yesno(n_on == nprocs));
    if (n_on != nprocs) fprintf(stderr, "  (online %d, sysconf %ld)\n", n_on, nprocs);
    cpu_set_t mask;
    int aff = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : -1;
    printf("online count == sched_getaffinity count: %s\n", yesno(aff == n_on));
    printf("possible holds online: %s\n", yesno(n_pos >= 1 && subset(online, possible)));
    printf("present holds online: %s\n", yesno(n_pres >= 1 && subset(online, present)));

    int kmax = -1;
    FILE *f = fopen("/sys/devices/system/cpu/kernel_max", "r");
    if (f) {
        if (fscanf(f, "%d", &kmax) != 1) kmax = -1;
        fclose(f);
    }
    printf("kernel_max >= highest possible CPU: %s\n", yesno(kmax >= 0 && kmax >= hi_pos));

    int dirs = 1;
    for (int c = 0; c < MAXCPU && n_on > 0; c++) {
        if (!online[c]) continue;
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d", c);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) dirs = 0;
    }
    printf("a cpuN directory per online CPU: %s\n", yesno(dirs));

    struct stat st;
    printf("online is a regular file, mode 0444: %s\n",
           yesno(stat("/sys/devices/system/cpu/online", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444));
    return 0;
}
