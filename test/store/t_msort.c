/* fs_sort_names: the image build's sort.  Sorted runs (as partitions
 * deliver them), random order, duplicates across runs, 16- and 32-byte
 * elements, 1 and 4 threads: the result is ordered by fs_name_cmp, a
 * permutation of the input, and stable (equal names keep their order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "check.h"

struct e32 {
	struct fs_skey key;
	uint64_t pad[2];
};

static char names[200000][40];

static int cmp_key(const void *a, const void *b)
{
	const struct fs_skey *x = a, *y = b;
	int c = fs_name_cmp(x->name, x->len, y->name, y->len);
	return c ? c : (x->aux > y->aux) - (x->aux < y->aux);
}

static void check_sorted(void *base, uint64_t n, size_t esz, int threads)
{
	uint8_t *b = base;
	struct fs_skey *want = malloc((n ? n : 1) * sizeof(*want));
	for (uint64_t i = 0; i < n; i++)
		want[i] = *(struct fs_skey *)(b + i * esz);
	qsort(want, n, sizeof(*want), cmp_key);   /* by name, then input order */
	ASSERT(fs_sort_names(b, n, esz, threads) == 0);
	for (uint64_t i = 0; i < n; i++) {
		const struct fs_skey *k = (struct fs_skey *)(b + i * esz);
		ASSERT(k->name == want[i].name && k->aux == want[i].aux);
	}
	free(want);
}

static void fill(void *base, uint64_t n, size_t esz, int runs, int dups)
{
	uint8_t *b = base;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = i % (uint64_t)runs, j = i / (uint64_t)runs;
		/* run r holds names r, r + runs, ... in order; dups: runs repeat names */
		uint64_t v = dups ? j * 7 : j * (uint64_t)runs + r;
		snprintf(names[i], sizeof names[i], "d%03llu/f%09llu", (unsigned long long)(v % 997),
			 (unsigned long long)v);
		(void)r;
	}
	/* lay the runs out one after the other */
	uint64_t k = 0;
	for (int r = 0; r < runs; r++)
		for (uint64_t i = (uint64_t)r; i < n; i += (uint64_t)runs, k++) {
			struct fs_skey *e = (struct fs_skey *)(b + k * esz);
			*e = (struct fs_skey){names[i], (uint32_t)strlen(names[i]), (uint32_t)k};
		}
}

int main(void)
{
	static struct e32 a32[200000];
	static struct fs_skey a16[200000];
	uint64_t sizes[] = { 0, 1, 2, 3, 1000, 70000 };
	int runs[] = { 1, 2, 3, 1000 };
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
		for (size_t r = 0; r < sizeof runs / sizeof *runs; r++)
			for (int dups = 0; dups < 2; dups++)
				for (int t = 1; t <= 4; t *= 4) {
					fill(a16, sizes[s], 16, runs[r], dups);
					check_sorted(a16, sizes[s], 16, t);
					fill(a32, sizes[s], 32, runs[r], dups);
					check_sorted(a32, sizes[s], 32, t);
				}
	/* random order: as many runs as it has */
	for (uint64_t i = 0; i < 100000; i++) {
		snprintf(names[i], sizeof names[i], "x/%08x", (unsigned)rand());
		a16[i] = (struct fs_skey){names[i], (uint32_t)strlen(names[i]), (uint32_t)i};
	}
	check_sorted(a16, 100000, 16, 2);
	ASSERT(fs_sort_names(a16, 10, 24, 1) == -1);   /* unsupported element size */
	printf("ok\n");
	return 0;
}
