/* blob.c - decoding and compressing blobs with libdeflate; the node's
 * record of checked raw blobs. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libdeflate.h>

#include "env.h"
#include "store.h"

/* One decompressor per thread, freed at thread exit.  The key is created
 * once; a thread that never decodes pays nothing. */
static pthread_key_t dkey;
static pthread_once_t dkey_once = PTHREAD_ONCE_INIT;

static void dfree(void *d)
{
	libdeflate_free_decompressor(d);
}

static void dkey_make(void)
{
	(void)pthread_key_create(&dkey, dfree);
}

static struct libdeflate_decompressor *decompressor(void)
{
	static __thread struct libdeflate_decompressor *d;
	if (d)
		return d;
	pthread_once(&dkey_once, dkey_make);
	d = libdeflate_alloc_decompressor();
	if (d)
		(void)pthread_setspecific(dkey, d);
	return d;
}

enum fs_result fs_blob_decode(uint32_t method, const void *src, uint64_t stored,
			      void *dst, uint64_t size, uint32_t crc)
{
	switch (method) {
	case FS_METHOD_RAW:
		if (stored != size)
			return FS_ERR_FORMAT;
		if (size)
			__builtin_memcpy(dst, src, size);
		break;
	case FS_METHOD_DEFLATE: {
		struct libdeflate_decompressor *d = decompressor();
		if (!d)
			return FS_ERR_NOMEM;
		size_t got = 0;
		enum libdeflate_result r = libdeflate_deflate_decompress(d, src, stored, dst,
									 size, &got);
		if (r != LIBDEFLATE_SUCCESS || got != size)
			return FS_ERR_FORMAT;
		break;
	}
	default:
		return FS_ERR_FORMAT;
	}
	if (fs_crc32(0, dst, size) != crc)
		return FS_ERR_CRC;
	return FS_OK;
}

struct fs_compressor {
	struct libdeflate_compressor *c;
};

struct fs_compressor *fs_compressor_new(int level)
{
	if (level < 1 || level > 12)
		return NULL;
	struct fs_compressor *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->c = libdeflate_alloc_compressor(level);
	if (!c->c) {
		free(c);
		return NULL;
	}
	return c;
}

void fs_compressor_free(struct fs_compressor **c)
{
	if (!c || !*c)
		return;
	libdeflate_free_compressor((*c)->c);
	free(*c);
	*c = NULL;
}

size_t fs_compress(struct fs_compressor *c, const void *src, size_t size,
		   void *dst, size_t cap)
{
	if (!c || size == 0)
		return 0;
	return libdeflate_deflate_compress(c->c, src, size, dst, cap);
}

uint8_t *fs_verified_map(const char *jobdir, uint64_t nent)
{
	size_t n = fs_verified_len(nent);
	char path[4096 + sizeof "/" FS_JOB_VERIFIED];
	if (snprintf(path, sizeof path, "%s/%s", jobdir, FS_JOB_VERIFIED) >= (int)sizeof path)
		return NULL;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	if (syscall(SYS_fstat, fd, &st) == 0 &&
	    ((size_t)st.st_size >= n || syscall(SYS_ftruncate, fd, (long)n) == 0))
		m = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	syscall(SYS_close, fd);
	return m == MAP_FAILED ? NULL : m;
}

int fs_verified_check(uint8_t *map, uint64_t ent, const void *blob, uint64_t size, uint32_t crc)
{
	_Atomic uint8_t *bit = map ? (_Atomic uint8_t *)&map[ent >> 3] : NULL;
	uint8_t mask = (uint8_t)(1u << (ent & 7));
	if (bit && (atomic_load_explicit(bit, memory_order_relaxed) & mask))
		return 1;
	if (fs_crc32(0, blob, size) != crc)
		return 0;
	if (bit)
		atomic_fetch_or_explicit(bit, mask, memory_order_relaxed);
	return 1;
}
