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
/* Write all of buf at off; 0 or errno. */
int fs_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

static inline uint64_t fs_align(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

#endif
