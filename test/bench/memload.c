/*
 * memload - what one load at a random place of a mapped file costs a fresh
 * process: the floor under any lookup in a metadata image of that size.
 *
 *   memload FILE SAMPLE [SEED]
 *
 * Maps FILE read-only and shared, as the library maps the image, and makes
 * SAMPLE loads, each of a byte at a random 64-byte line of it (from SEED,
 * default 1), each load's address depending on the byte the one before read,
 * so that no two overlap (a lookup's loads are dependent too).  Pass 1 is
 * the process's first touch of those pages; pass 2 makes the same loads
 * again, the pages now mapped.  Prints "pass 1: NS ns; pass 2: NS ns", the
 * wall time per load.  Exit 1 when FILE cannot be mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The k-th random line (splitmix64 of seed + k, as mkmeta picks files). */
static uint64_t line_of(uint64_t seed, uint64_t k, uint64_t nlines)
{
	uint64_t x = (seed + k) * 0x9e3779b97f4a7c15ull;
	x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ x >> 27) * 0x94d049bb133111ebull;
	return (x ^ x >> 31) % nlines;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: memload FILE SAMPLE [SEED]\n");
		return 2;
	}
	uint64_t n = strtoull(argv[2], NULL, 10), seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "memload: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (st.st_size < 64 || !n) {
		fprintf(stderr, "memload: %s: %s\n", argv[1],
			!n ? "SAMPLE must be above 0" : "under 64 bytes: nothing to load from");
		return 1;
	}
	const volatile uint8_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memload: %s: mmap: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(fd);
	uint64_t nlines = (uint64_t)st.st_size / 64, *at = malloc(n * sizeof *at), dep = 0;
	volatile uint64_t opaque = 0;
	uint64_t zero = opaque;
	if (!at) {
		fprintf(stderr, "memload: out of memory for a sample of %llu\n", (unsigned long long)n);
		return 1;
	}
	for (uint64_t k = 0; k < n; k++)
		at[k] = line_of(seed, k, nlines) * 64;
	double dt[2];
	for (int pass = 0; pass < 2; pass++) {
		double t0 = now();
		/* dep is 0 whatever the bytes hold, but the compiler cannot know
		 * it (zero was read from a volatile): each load waits for the last */
		for (uint64_t k = 0; k < n; k++)
			dep = p[at[k] + dep] & zero;
		dt[pass] = now() - t0;
	}
	printf("pass 1: %.1f ns; pass 2: %.1f ns\n", dt[0] / (double)n * 1e9, dt[1] / (double)n * 1e9);
	return (int)dep;
}
