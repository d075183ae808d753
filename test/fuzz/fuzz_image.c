/* fuzz_image.c - the metadata image reader must survive any bytes.  Opening
 * checks only the header, the sections and the root; every other entry is
 * checked when it is reached.  So on an opened image this target does what
 * the library does (lookups, stat, directory listing, symlink targets, a
 * file's partition and blob range) and touches every byte each of those
 * would use: an unchecked field reads out of bounds (ASan) or breaks an
 * invariant asserted here (abort).  Each input is tried as it is and with
 * its header crc made right, so that header fields are explored too.
 * What a launcher does with a dataset's prebuilt image is done too: match
 * it against a manifest made from its own part table, crc its body, and
 * make a copy one node's (fs_image_set_node), which must still open. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* Use a checked entry as the library would; the entries it leads to are
 * reached only through checked calls. */
static void use(const struct fs_image *img, uint64_t i, int depth)
{
	struct fs_err err;
	const struct fs_ment *e = fs_image_ent(img, i);
	const char *name = fs_image_name(img, e);
	if (name[e->name_len] != 0)
		abort();
	int64_t again = fs_image_lookup(img, name, e->name_len, &err);
	if (again >= 0) {   /* a lookup answers only an entry of that name */
		const struct fs_ment *a = fs_image_ent(img, (uint64_t)again);
		if (a->name_len != e->name_len || memcmp(fs_image_name(img, a), name, e->name_len) != 0)
			abort();
	}
	size_t bl;
	const char *base = fs_image_basename(img, e, &bl);
	sink += bl ? (uint8_t)base[0] + (uint8_t)base[bl - 1] : 0;
	struct stat st;
	fs_image_stat(img, i, 0, 0, &st);
	sink += (uint64_t)st.st_size + (uint64_t)st.st_mtim.tv_nsec;
	if (S_ISREG(e->mode)) {
		uint64_t end;
		if (e->part >= img->hdr->nparts || __builtin_add_overflow(e->off, e->stored, &end) ||
		    end > img->parts[e->part].file_size || e->method > FS_METHOD_DEFLATE)
			abort();   /* a read would map the wrong bytes */
	} else if (S_ISLNK(e->mode)) {
		const char *t = img->names + e->off;
		sink += strlen(t) + (uint8_t)t[e->size - 1];
	} else if (S_ISDIR(e->mode)) {
		for (uint64_t k = 0; k < 64; k++) {   /* readdir */
			int64_t c = fs_image_child(img, i, k, &err);
			if (c == FS_IMG_ABSENT)
				break;
			if (c == FS_IMG_DAMAGED) {
				if (!err.msg[0])
					abort();
				continue;
			}
			if (c == 0 || (uint64_t)c >= img->hdr->nent)
				abort();
			if (depth < 2)
				use(img, (uint64_t)c, depth + 1);
			else
				sink += fs_image_ent(img, (uint64_t)c)->mode;
		}
	} else {
		abort();
	}
}

static void exercise(const struct fs_image *img)
{
	static const char *paths[] = {"", "a", "d00", "d00/f0001.bin", "f0000.txt",
				      "empty/inner", "link_to_f0000", "no/such/thing"};
	struct fs_err err;
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		err.msg[0] = 0;
		int64_t i = fs_image_lookup(img, paths[k], strlen(paths[k]), &err);
		if (i >= 0)
			use(img, (uint64_t)i, 0);
		else if (i == FS_IMG_DAMAGED && !err.msg[0])
			abort();   /* damage is always said */
	}
	/* any index a caller might hold: checked before use */
	uint64_t n = img->hdr->nent < 256 ? img->hdr->nent : 256;
	int all_ok = 1;
	for (uint64_t i = 0; i < n + 2; i++) {
		if (fs_image_check_ent(img, i, &err) == FS_OK)
			use(img, i, 1);
		else if (i < img->hdr->nent)
			all_ok = 0;
	}
	if (!all_ok && fs_image_verify(img, &err) == FS_OK)
		abort();   /* the full check misses what the lazy one finds */
	if (fs_image_verify(img, &err) == FS_OK) {   /* then every index is usable */
		for (uint64_t i = 0; i < n; i++)
			use(img, i, 2);
	}
}

/* As fanstore-exec takes a prebuilt image: matched against a manifest
 * (here one its own part table implies), the body's crc, then a copy made
 * one node's, which must open as the original did and say so. */
static void prebuilt(const struct fs_image *img, const uint8_t *buf, size_t size)
{
	struct fs_err err;
	uint32_t n = img->hdr->nparts;
	if (n == 0 || n > 1024)
		return;
	struct fs_manifest m;
	memset(&m, 0, sizeof(m));
	struct fs_img_partinfo *pi = calloc(n, sizeof(*pi));
	m.parts = calloc(n, sizeof(*m.parts));
	uint8_t *copy = fuzz_aligned_copy(buf, size);
	if (!pi || !m.parts || !copy)
		goto out;
	m.hdr.dataset_id = img->hdr->dataset_id;
	m.hdr.has_bcast = img->parts[n - 1].bcast ? 1 : 0;
	m.hdr.npart = n - m.hdr.has_bcast;
	for (uint32_t s = 0; s < n; s++) {
		m.parts[s].file_size = img->parts[s].file_size;
		pi[s] = (struct fs_img_partinfo){img->parts[s].file_size, s & 1, s, s == m.hdr.npart};
	}
	sink += fs_image_match(img, &m, "fuzz", &err) + fs_image_body_crc(img);
	if (m.hdr.npart == 0)
		goto out;   /* no such manifest: set_node names every slot a scatter one but the last */
	if (fs_image_set_node(copy, size, pi, n, 7, 3, &err) == FS_OK) {
		struct fs_image got;
		if (fs_image_from_buffer(copy, size, "fuzz", &got, &err) != FS_OK || got.hdr->nranks != 7 ||
		    got.hdr->node != 3 || got.hdr->nent != img->hdr->nent)
			abort();   /* the node's copy must open as the original did */
		exercise(&got);
	}
out:
	free(pi);
	free(m.parts);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_err err;
	struct fs_image img;
	uint8_t *buf = fuzz_aligned_copy(data, size);
	if (!buf)
		return 0;
	for (int fix = 0; fix < 2; fix++) {
		if (fix) {
			if (size < sizeof(struct fs_img_hdr))
				break;
			uint32_t crc = fs_crc32(0, buf, offsetof(struct fs_img_hdr, hdr_crc));
			if (memcmp(buf + offsetof(struct fs_img_hdr, hdr_crc), &crc, sizeof(crc)) == 0)
				break;   /* tried as it is already */
			memcpy(buf + offsetof(struct fs_img_hdr, hdr_crc), &crc, sizeof(crc));
		}
		if (fs_image_from_buffer(buf, size, "fuzz", &img, &err) == FS_OK) {
			exercise(&img);
			prebuilt(&img, buf, size);
			fs_image_close(&img);
		}
	}
	free(buf);
	return 0;
}
