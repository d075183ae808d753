/* fuzz_part.c - the partition reader must survive any bytes: check, open
 * over a buffer, walk every entry, extract and verify. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "store.h"

#define MAX_EXTRACT (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_err err;
	struct fs_part *p = NULL;
	void *buf = fuzz_aligned_copy(data, size);
	if (!buf)
		return 0;
	(void)fs_part_check(buf, size, "fuzz", &err);
	if (fs_part_from_buffer(buf, size, "fuzz", &p, &err) == FS_OK) {
		const struct fs_part_hdr *h = fs_part_header(p);
		(void)h;
		int small = 1;
		for (uint64_t i = 0; i < fs_part_count(p); i++) {
			const struct fs_dentry *e = fs_part_entry(p, i);
			const char *name = fs_part_ename(p, e);
			volatile char c = name[e->name_len];   /* the NUL after the name */
			(void)c;
			if (S_ISDIR(e->mode))
				continue;
			const uint8_t *b = fs_part_blob(p, e);
			if (b && e->stored)
				c = (char)b[e->stored - 1];
			if (e->size > MAX_EXTRACT) {
				small = 0;
				continue;
			}
			void *out = malloc(e->size ? e->size : 1);
			if (out)
				(void)fs_part_extract(p, i, out, &err);
			free(out);
		}
		if (small)
			(void)fs_part_verify(p, &err);
	}
	fs_part_free(&p);
	free(buf);
	return 0;
}
