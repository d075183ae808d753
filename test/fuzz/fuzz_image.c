/* fuzz_image.c - the metadata image reader must survive any bytes, and
 * lookups in an accepted image must stay in bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *paths[] = {"", "a", "d00", "d00/f0001.bin", "f0000.txt",
				      "empty/inner", "link_to_f0000", "no/such/thing"};
	struct fs_err err;
	struct fs_image img;
	void *buf = fuzz_aligned_copy(data, size);
	if (!buf)
		return 0;
	if (fs_image_from_buffer(buf, size, "fuzz", &img, &err) == FS_OK) {
		for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
			(void)fs_image_lookup(&img, paths[k], strlen(paths[k]));
		uint64_t n = img.hdr->nent < 256 ? img.hdr->nent : 256;
		for (uint64_t i = 0; i < n; i++) {
			const struct fs_ment *e = fs_image_ent(&img, i);
			const char *name = fs_image_name(&img, e);
			(void)fs_image_lookup(&img, name, e->name_len);
			size_t bl;
			(void)fs_image_basename(&img, e, &bl);
			struct stat st;
			fs_image_stat(&img, i, 0, 0, &st);
			if (S_ISDIR(e->mode))
				for (uint64_t c = 0; c < e->stored && c < 64; c++)
					(void)img.children[e->off + c];
		}
		fs_image_close(&img);
	}
	free(buf);
	return 0;
}
