/*
 * msort.c - sorting the namespace's names for the metadata image.
 *
 * The records a node gathers arrive as runs already sorted by name, one
 * per partition slot (each partition's index is sorted), so a natural
 * merge sort finds the runs and only merges them: n log(runs) compares on
 * memory read in order, where qsort made n log(n) on names scattered over
 * a gigabyte (at 10 million files, minutes instead of seconds).  Each
 * level of merges is shared by the node's cores: many pairs are handed
 * out whole, a few large ones are cut into independent pieces (a split of
 * one run and the matching point of the other, found by binary search).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MAX_THREADS 16
#define PIECE_MIN 65536          /* below this a merge is not cut up */

/* Elements are esz bytes (16 or 32) and start with a struct fs_skey. */
static inline const struct fs_skey *at(const uint8_t *base, uint64_t i, size_t esz)
{
	return (const struct fs_skey *)(base + i * esz);
}

static inline int key_cmp(const struct fs_skey *a, const struct fs_skey *b)
{
	return fs_name_cmp(a->name, a->len, b->name, b->len);
}

/* First position in b[0..n) not less than x. */
static uint64_t lower_bound(const uint8_t *b, uint64_t n, size_t esz, const struct fs_skey *x)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (key_cmp(at(b, mid, esz), x) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Merge; on equal names a's element first, so the sort is stable. */
#define MERGE(ESZ)                                                                              \
	do {                                                                                    \
		while (i < na && j < nb) {                                                      \
			int bfirst = key_cmp(at(b, j, ESZ), at(a, i, ESZ)) < 0;                 \
			memcpy(out + k * ESZ, bfirst ? b + j * ESZ : a + i * ESZ, ESZ);          \
			k++;                                                                    \
			j += bfirst;                                                            \
			i += !bfirst;                                                           \
		}                                                                               \
	} while (0)

static void merge(const uint8_t *a, uint64_t na, const uint8_t *b, uint64_t nb, uint8_t *out,
		  size_t esz)
{
	uint64_t i = 0, j = 0, k = 0;
	if (esz == 16)
		MERGE(16);
	else
		MERGE(32);
	memcpy(out + k * esz, a + i * esz, (na - i) * esz);
	memcpy(out + (k + na - i) * esz, b + j * esz, (nb - j) * esz);
}

/* One piece of work: merge a[0..na) and b[0..nb) into out. */
struct piece {
	const uint8_t *a, *b;
	uint64_t na, nb;
	uint8_t *out;
	size_t esz;
};

struct worker {
	pthread_t t;
	struct piece *p;
	size_t np;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (size_t i = 0; i < w->np; i++)
		merge(w->p[i].a, w->p[i].na, w->p[i].b, w->p[i].nb, w->p[i].out, w->p[i].esz);
	return NULL;
}

/* Cut the merge of a and b into `parts` independent pieces. */
static size_t cut(const uint8_t *a, uint64_t na, const uint8_t *b, uint64_t nb, uint8_t *out,
		  size_t esz, int parts, struct piece *p)
{
	uint64_t ai = 0, bi = 0;
	size_t n = 0;
	for (int t = 1; t <= parts; t++) {
		uint64_t ae = t == parts ? na : na * (uint64_t)t / (uint64_t)parts;
		uint64_t be = t == parts ? nb : ae < na ? lower_bound(b, nb, esz, at(a, ae, esz)) : nb;
		if (be < bi)
			be = bi;
		p[n++] = (struct piece){a + ai * esz, b + bi * esz, ae - ai, be - bi, out + (ai + bi) * esz, esz};
		ai = ae;
		bi = be;
	}
	return n;
}

/* Run the pieces on up to nt threads, balanced by size; 0 or -1. */
static int run(struct piece *p, size_t np, int nt)
{
	uint64_t total = 0;
	for (size_t i = 0; i < np; i++)
		total += p[i].na + p[i].nb;
	struct worker w[MAX_THREADS];
	int used = 0;
	size_t i = 0;
	for (int t = 0; t < nt && i < np; t++) {
		uint64_t share = total / (uint64_t)(nt - t), got = 0;
		w[t].p = p + i;
		w[t].np = 0;
		while (i < np && (got < share || w[t].np == 0)) {
			got += p[i].na + p[i].nb;
			w[t].np++;
			i++;
		}
		total -= got;
		used = t + 1;
	}
	int started = 0;
	for (int t = 1; t < used; t++) {
		if (pthread_create(&w[t].t, NULL, work, &w[t]) != 0)
			break;
		started = t;
	}
	for (int t = started + 1; t < used; t++)   /* threads that could not start: here */
		work(&w[t]);
	work(&w[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(w[t].t, NULL);
	return 0;
}

int fs_sort_names(void *base, uint64_t n, size_t esz, int nthreads)
{
	uint8_t *k = base;
	if (n < 2)
		return 0;
	if (esz != 16 && esz != 32)
		return -1;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	/* the runs: starts[i] .. starts[i + 1] */
	uint64_t nruns = 1;
	for (uint64_t i = 1; i < n; i++)
		nruns += key_cmp(at(k, i - 1, esz), at(k, i, esz)) > 0;
	if (nruns == 1)
		return 0;
	size_t tmp_len = n * esz, runs_len = (nruns + 1) * sizeof(uint64_t);
	size_t pieces_len = (nruns / 2 + 2 * MAX_THREADS + 2) * sizeof(struct piece);
	uint8_t *tmp = mmap(NULL, tmp_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *starts = malloc(runs_len);
	struct piece *p = malloc(pieces_len);
	if (tmp == MAP_FAILED || !starts || !p) {
		if (tmp != MAP_FAILED)
			munmap(tmp, tmp_len);
		free(starts);
		free(p);
		return -1;
	}
	uint64_t r = 0;
	starts[r++] = 0;
	for (uint64_t i = 1; i < n; i++)
		if (key_cmp(at(k, i - 1, esz), at(k, i, esz)) > 0)
			starts[r++] = i;
	starts[r] = n;
	uint8_t *src = k, *dst = tmp;
	while (nruns > 1) {
		size_t np = 0;
		uint64_t w = 0, npairs = nruns / 2;
		for (uint64_t i = 0; i < nruns; i += 2) {
			uint64_t s = starts[i], m = starts[i + 1], e = i + 2 <= nruns ? starts[i + 2] : m;
			/* fewer pairs than cores: cut each into pieces */
			int parts = npairs < (uint64_t)nthreads && e - s >= PIECE_MIN
					    ? (int)((nthreads + npairs - 1) / npairs) : 1;
			if (i + 1 == nruns)   /* odd one out: copied */
				p[np++] = (struct piece){src + s * esz, src + m * esz, m - s, 0, dst + s * esz, esz};
			else
				np += cut(src + s * esz, m - s, src + m * esz, e - m, dst + s * esz, esz, parts,
					  p + np);
			starts[w++] = s;
		}
		run(p, np, nthreads);
		starts[w] = n;
		nruns = w;
		uint8_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * esz);
	munmap(tmp, tmp_len);
	free(starts);
	free(p);
	return 0;
}

int fs_ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}
