/* mkimage.c - build a metadata image from a packed dataset, as
 * fanstore-exec does on one node holding every partition.  Used to make
 * fuzzing seeds.  usage: mkimage DATASET_DIR OUT.img */
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DATASET_DIR OUT.img\n", argv[0]);
		return 2;
	}
	struct fs_err err = {0};
	struct fs_manifest m;
	if (fs_manifest_read(argv[1], &m, &err) != FS_OK) {
		fprintf(stderr, "mkimage: %s\n", err.msg);
		return 1;
	}
	uint32_t n = m.hdr.npart + m.hdr.has_bcast;
	struct fs_img_partinfo *pi = calloc(n, sizeof(*pi));
	struct fs_recbuf rb = {0};
	int rc = pi ? 0 : 1;
	for (uint32_t s = 0; rc == 0 && s < n; s++) {
		char name[32], path[4200];
		struct fs_part *p = NULL;
		fs_part_filename(s == m.hdr.npart ? FS_PART_BCAST : s, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", argv[1], name);
		if (fs_part_open(path, &p, &err) != FS_OK ||
		    fs_recbuf_add_part(&rb, p, s, &err) != FS_OK) {
			fprintf(stderr, "mkimage: %s\n", err.msg);
			rc = 1;
		}
		pi[s] = (struct fs_img_partinfo){m.parts[s].file_size, 1, 0, s == m.hdr.npart};
		fs_part_free(&p);
	}
	if (rc == 0 && fs_image_build(rb.buf, rb.len, m.hdr.dataset_id, pi, n, 1, 0, argv[2],
				      &err) != FS_OK) {
		fprintf(stderr, "mkimage: %s\n", err.msg);
		rc = 1;
	}
	fs_recbuf_release(&rb);
	fs_manifest_release(&m);
	free(pi);
	return rc;
}
