/* fuzz_common.h - helpers shared by the libFuzzer targets. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A 64-byte aligned copy, as a mapped file would be. */
static inline void *fuzz_aligned_copy(const uint8_t *data, size_t size)
{
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63 ? (size + 63) & ~(size_t)63 : 64);
	if (p && size)
		memcpy(p, data, size);
	return p;
}

#endif
