/* fuzz_manifest.c - the manifest parser must survive any bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_err err;
	struct fs_manifest m = {0};
	void *buf = fuzz_aligned_copy(data, size);
	if (!buf)
		return 0;
	if (fs_manifest_parse(buf, size, "fuzz", &m, &err) == FS_OK) {
		/* a partition header that matches nothing in particular */
		struct fs_part_hdr h = {0};
		for (uint32_t s = 0; s < m.hdr.npart + m.hdr.has_bcast; s++) {
			h.file_size = m.parts[s].file_size;
			(void)fs_manifest_match(&m, s, &h, "fuzz", &err);
		}
		fs_manifest_release(&m);
	}
	free(buf);
	return 0;
}
