/* fuzz_req.c - request and reply checks against a small valid image. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One record (struct fs_rec + name, padded to 8) appended to buf at *len. */
static void put_rec(uint8_t *buf, size_t *len, const char *name, uint32_t mode, uint64_t size,
		    uint64_t off, uint32_t part)
{
	struct fs_rec r;
	memset(&r, 0, sizeof(r));
	r.size = size;
	r.stored = size;
	r.data_off = off;
	r.mtime_sec = 1600000000;
	r.mode = mode;
	r.part = part;
	r.name_len = (uint16_t)strlen(name);
	r.method = FS_METHOD_RAW;
	memcpy(buf + *len, &r, sizeof(r));
	memcpy(buf + *len + sizeof(r), name, r.name_len);
	*len += (sizeof(r) + r.name_len + 7) & ~(size_t)7;
}

static struct fs_image *image(void)
{
	static struct fs_image img;
	static int ready;
	if (ready)
		return ready > 0 ? &img : NULL;
	uint8_t recs[1024] = {0};
	size_t len = 0;
	put_rec(recs, &len, "d", S_IFDIR | 0755, 0, 0, FS_NOPART);
	put_rec(recs, &len, "d/a", S_IFREG | 0644, 100, 128, 0);
	put_rec(recs, &len, "d/big", S_IFREG | 0644, 20u << 20, 256, 0);
	put_rec(recs, &len, "e", S_IFREG | 0644, 0, 128, 0);
	struct fs_img_partinfo part = {1u << 30, 1, 0, 0};
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fuzz_req.%d.img", (int)getpid());
	struct fs_err err;
	ready = -1;
	if (fs_image_build(recs, len, 42, &part, 1, 1, 0, path, &err) == FS_OK &&
	    fs_image_open(path, &img, &err) == FS_OK)
		ready = 1;
	else
		fprintf(stderr, "fuzz_req: cannot build the test image: %s\n", err.msg);
	unlink(path);
	return ready > 0 ? &img : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_image *img = image();
	if (!img)
		abort();
	void *buf = fuzz_aligned_copy(data, size);
	if (!buf)
		return 0;
	struct fs_req req;
	struct fs_rep rep;
	if (fs_req_check(buf, size, img, &req) == 0 && req.type == FS_MSG_FETCH) {
		/* an accepted request names a regular file and a range inside its blob */
		const struct fs_ment *e = fs_image_ent(img, req.ent);
		if (!S_ISREG(e->mode) || req.length == 0 || req.length > FS_CHUNK_MAX ||
		    req.offset + req.length > e->stored || req.offset + req.length < req.offset)
			abort();
	}
	uint64_t id = 0, want = 0;
	if (size >= 16) {
		memcpy(&id, (const uint8_t *)buf + 8, 8);
		memcpy(&want, (const uint8_t *)buf + size - 8, 8);
	}
	if (fs_rep_check(buf, size, id, want, &rep) == 0 && rep.length > FS_CHUNK_MAX)
		abort();
	free(buf);
	return 0;
}
