/* util.c - errors, checksums, hashing, large buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <libdeflate.h>

#include "store.h"

enum fs_result fs_seterr(struct fs_err *err, enum fs_result code, int sys,
			 const char *name, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	err->sys = sys;
	size_t n = 0;
	if (name) {
		int k = snprintf(err->msg, sizeof(err->msg), "%s: ", name);
		n = k < 0 ? 0 : (size_t)k < sizeof(err->msg) ? (size_t)k : sizeof(err->msg) - 1;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return code;
}

const char *fs_result_str(enum fs_result r)
{
	switch (r) {
	case FS_OK: return "success";
	case FS_ERR_IO: return "input/output error";
	case FS_ERR_FORMAT: return "malformed data";
	case FS_ERR_VERSION: return "unsupported format version";
	case FS_ERR_CRC: return "checksum mismatch";
	case FS_ERR_NOMEM: return "out of memory";
	case FS_ERR_RANGE: return "out of range";
	case FS_ERR_SPACE: return "no space";
	case FS_ERR_ARG: return "bad argument";
	}
	return "unknown error";
}

uint32_t fs_crc32(uint32_t crc, const void *buf, size_t len)
{
	return libdeflate_crc32(crc, buf, len);
}

uint64_t fs_hash(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The mapping's length is kept in a header in front of the buffer, which
 * stays 64-byte aligned. */
#define BIG_HDR 64u

void *fs_big_alloc(size_t n, int populate)
{
	size_t len = BIG_HDR + (n ? n : 1);
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | (populate ? 0 : MAP_NORESERVE), -1, 0);
	if (m == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(m, len, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	if (populate)
		(void)madvise(m, len, MADV_POPULATE_WRITE);
#endif
	memcpy(m, &len, sizeof(len));
	return m + BIG_HDR;
}

void fs_big_free(void *p)
{
	if (!p)
		return;
	uint8_t *m = (uint8_t *)p - BIG_HDR;
	size_t len;
	memcpy(&len, m, sizeof(len));
	munmap(m, len);
}
