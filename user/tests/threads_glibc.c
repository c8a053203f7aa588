// cc: gcc -static -O2 -pthread
/* threads built with glibc: see threads.c. */
#include "threads.c"
