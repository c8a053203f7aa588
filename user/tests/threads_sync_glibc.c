// cc: gcc -static -O2 -pthread
/* threads_sync built with glibc: see threads_sync.c. */
#include "threads_sync.c"
