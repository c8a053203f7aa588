/*
 * The tiny static program the exec benchmarks start: a musl main() that
 * returns 0 at once (lmbench's lat_proc uses a "hello" of the same kind).
 */
int main(void)
{
	return 0;
}
