// cc: gcc -O2
// dlopen: libm.so.6
/*
 * dyn_dlopen: dlopen(3) of a host library (libm) at run time: the loader
 * searches its cache (/etc/ld.so.cache read as a file), maps the library
 * privately from the page cache, relocates it (copy-on-write of its data
 * pages) and protects its RELRO (mprotect).
 * Checks: dlopen("libm.so.6") succeeds; dlsym finds cos and sqrt, which
 *   compute; dlopen of a library that does not exist fails with the
 *   loader's message; dlclose succeeds.
 * Mirrors: dlopen(3), dlsym(3), ld.so(8).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	void *m = dlopen("libm.so.6", RTLD_NOW);
	if (!m) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	double (*cosp)(double) = (double (*)(double))dlsym(m, "cos");
	double (*sqrtp)(double) = (double (*)(double))dlsym(m, "sqrt");
	if (!cosp || !sqrtp) {
		printf("dlsym: %s\n", dlerror());
		return 1;
	}
	printf("cos(0) = %.3f, sqrt(2) = %.6f\n", cosp(0.0), sqrtp(2.0));
	void *none = dlopen("libdoesnotexist.so.1", RTLD_NOW);
	const char *e = dlerror();
	printf("missing: %s, %s\n", none ? "opened?" : "NULL", e && strstr(e, "cannot open shared object file") ? "cannot open" : e);
	printf("dlclose: %d\n", dlclose(m));
	return 0;
}
