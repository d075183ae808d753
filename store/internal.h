/* internal.h - helpers shared inside store/ only. */
#ifndef FANSTORE_INTERNAL_H
#define FANSTORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* A canonical relative name (see format.h): 1..FS_NAME_MAX bytes, no NUL,
 * no leading or trailing '/', no empty, "." or ".." component. */
int fs_name_ok(const char *s, size_t n);
/* Bytewise order, shorter first on a common prefix. */
int fs_name_cmp(const char *a, size_t an, const char *b, size_t bn);
/* A name made safe for a one-line message: control bytes become \xNN;
 * truncated to fit out (cap >= 8). Returns out. */
const char *fs_name_show(const char *s, size_t n, char *out, size_t cap);

/* The head of an element to sort by name (msort.c). */
struct fs_skey {
	const char *name;
	uint32_t len;
	uint32_t aux;           /* the element's own, not looked at */
};
/* Sort n elements of esz bytes (16 or 32), each starting with a struct
 * fs_skey, by name (fs_name_cmp; stable), on up to nthreads threads; fast
 * when they are a few sorted runs.  0, or -1 when out of memory (nothing
 * moved). */
int fs_sort_names(void *base, uint64_t n, size_t esz, int nthreads);
/* The cores to use for a node-wide job (1..16). */
int fs_ncores(void);

static inline uint64_t fs_align(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

#endif
