/* proto.c - checking request and reply messages. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"

int fs_req_check(const void *buf, size_t len, const struct fs_image *img, struct fs_req *out)
{
	struct fs_req r;
	if (len != sizeof(r))
		return EPROTO;
	memcpy(&r, buf, sizeof(r));
	if (r.magic != FS_PROTO_MAGIC || r.version != FS_PROTO_VERSION)
		return EPROTO;
	if (r.type == FS_MSG_PING || r.type == FS_MSG_CHAN || r.type == FS_MSG_KICK) {
		*out = r;
		return 0;
	}
	if (r.type != FS_MSG_FETCH)
		return EPROTO;
	if (!img || !img->hdr || fs_image_check_ent(img, r.ent, NULL) || !S_ISREG(img->ents[r.ent].mode))
		return ENOENT;
	uint64_t end, stored = img->ents[r.ent].stored;
	if (r.length == 0 || r.length > FS_CHUNK_MAX ||
	    __builtin_add_overflow(r.offset, r.length, &end) || end > stored)
		return EINVAL;
	*out = r;
	return 0;
}

int fs_rep_check(const void *buf, size_t len, uint64_t expect_id, uint64_t expect_len,
		 struct fs_rep *out)
{
	struct fs_rep r;
	if (len != sizeof(r))
		return EPROTO;
	memcpy(&r, buf, sizeof(r));
	if (r.magic != FS_PROTO_MAGIC || r.version != FS_PROTO_VERSION || r.id != expect_id)
		return EPROTO;
	if (r.type == FS_MSG_DATA) {
		if (r.status != 0 || r.length != expect_len || r.length > FS_CHUNK_MAX)
			return EPROTO;
	} else if (r.type == FS_MSG_ERROR) {
		if (r.status <= 0 || r.length != 0)
			return EPROTO;
	} else {
		return EPROTO;
	}
	*out = r;
	return 0;
}

int fs_chan_check(const struct fs_chan_hdr *h, uint64_t file_size)
{
	if (h->magic != FS_CHAN_MAGIC || h->version != FS_PROTO_VERSION)
		return EPROTO;
	if (h->nslots < 1 || h->nslots > FS_CHAN_SLOTS_MAX)
		return EPROTO;
	if (h->slot_bytes < FS_CHAN_PAGE || h->slot_bytes > FS_CHUNK_MAX ||
	    h->slot_bytes % FS_CHAN_PAGE)
		return EPROTO;
	if (fs_chan_size(h->nslots, h->slot_bytes) > file_size)
		return EPROTO;
	return 0;
}
