/* plan.c - which partition each entry goes to, and the dataset id. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "prep.h"

/* What one more file costs a partition: its bytes plus a per-file share,
 * so that partitions balance by bytes and by count. */
#define FILE_COST 4096u

struct load {
	uint64_t cost;
	uint32_t slot;
};

/* Min-heap on (cost, slot): deterministic ties. */
static int less(const struct load *a, const struct load *b)
{
	return a->cost < b->cost || (a->cost == b->cost && a->slot < b->slot);
}

static void sift_down(struct load *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && less(&h[l], &h[m]))
			m = l;
		if (r < n && less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct load x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

static int in_bcast(const struct prep_ent *e, const struct prep_opts *o)
{
	for (size_t i = 0; i < o->nbcast; i++) {
		char c[FS_NAME_MAX + 1];
		long l = fs_path_canon(o->bcast[i], c, sizeof(c), NULL);
		if (l > 0 && e->name_len > (size_t)l && memcmp(e->name, c, (size_t)l) == 0 &&
		    e->name[l] == '/')
			return 1;
	}
	return 0;
}

static const struct prep_ent *sort_base;

/* Largest first, then by name (indices into sort_base). */
static int by_size(const void *a, const void *b)
{
	const struct prep_ent *x = &sort_base[*(const size_t *)a];
	const struct prep_ent *y = &sort_base[*(const size_t *)b];
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_slot(const void *a, const void *b)
{
	const struct prep_ent *x = a, *y = b;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Longest-processing-time-first over the scatter partitions. */
static int scatter(struct prep_tree *t, const struct prep_opts *o)
{
	size_t nf = 0;
	size_t *idx = malloc((t->n ? t->n : 1) * sizeof(*idx));
	struct load *h = malloc(o->npart * sizeof(*h));
	if (!idx || !h) {
		free(idx);
		free(h);
		prep_err("out of memory while planning partitions");
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		if (S_ISREG(t->v[i].mode) && t->v[i].slot != o->npart)
			idx[nf++] = i;
	sort_base = t->v;
	if (nf > 1)
		qsort(idx, nf, sizeof(*idx), by_size);
	sort_base = NULL;
	for (uint32_t s = 0; s < o->npart; s++)
		h[s] = (struct load){0, s};
	for (size_t k = 0; k < nf; k++) {
		struct prep_ent *e = &t->v[idx[k]];
		e->slot = h[0].slot;
		h[0].cost += e->size + FILE_COST;
		sift_down(h, o->npart, 0);
	}
	free(idx);
	free(h);
	return 0;
}

/* Hash of one entry's identity: name, mode, size, mtime, slot, target. */
static uint64_t ent_hash(const struct prep_ent *e, uint8_t *buf)
{
	size_t n = 0;
	memcpy(buf + n, e->name, e->name_len + 1);
	n += e->name_len + 1;
	memcpy(buf + n, &e->mode, 4);
	memcpy(buf + n + 4, &e->size, 8);
	memcpy(buf + n + 12, &e->mtime_sec, 8);
	memcpy(buf + n + 20, &e->mtime_nsec, 4);
	memcpy(buf + n + 24, &e->slot, 4);
	n += 28;
	if (e->target) {
		memcpy(buf + n, e->target, e->size);
		n += e->size;
	}
	return fs_hash(buf, n);
}

int prep_plan(struct prep_tree *t, const struct prep_opts *o, uint64_t *dataset_id)
{
	t->nfiles = t->ndirs = t->nlinks = 0;
	t->bytes = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct prep_ent *e = &t->v[i];
		e->slot = 0;
		if (S_ISREG(e->mode)) {
			t->nfiles++;
			t->bytes += e->size;
			if (in_bcast(e, o))
				e->slot = o->npart;
		} else if (S_ISDIR(e->mode)) {
			t->ndirs++;
		} else {
			t->nlinks++;
		}
	}
	if (scatter(t, o) < 0)
		return -1;
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), by_slot);
	/* dataset id: FNV-1a over (npart, has_bcast, per-entry hashes in name order) */
	uint64_t *hs = malloc((t->n + 2) * sizeof(*hs));
	uint8_t *buf = malloc(2 * (FS_NAME_MAX + 1) + 64);
	if (!hs || !buf) {
		free(hs);
		free(buf);
		prep_err("out of memory while planning partitions");
		return -1;
	}
	hs[0] = o->npart;
	hs[1] = o->nbcast > 0;
	for (size_t i = 0; i < t->n; i++)
		hs[i + 2] = ent_hash(&t->v[i], buf);
	*dataset_id = fs_hash(hs, (t->n + 2) * sizeof(*hs));
	free(hs);
	free(buf);
	return 0;
}
