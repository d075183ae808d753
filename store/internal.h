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

static inline uint64_t fs_align(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

#endif
