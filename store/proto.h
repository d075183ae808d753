/*
 * proto.h - the request protocol.
 *
 * The same two messages travel on both legs of a remote read:
 *   libfanstore --(unix socket JOBDIR/sock)--> local fanstore-exec
 *   fanstore-exec --(MPI)--> the rank that holds the partition
 * and the reply travels back the same way.  A request names an entry of
 * the metadata image (every rank and process has the same image content,
 * entry indices included) and a byte range of its STORED blob; the
 * requester decodes and crc-checks.  Replies carry at most FS_CHUNK_MAX
 * bytes; larger blobs are fetched with several requests.
 *
 * Every message received from outside is checked with fs_req_check /
 * fs_rep_check before use; they are fuzzed.
 */
#ifndef FANSTORE_PROTO_H
#define FANSTORE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define FS_PROTO_MAGIC 0x46535251u      /* "QRSF" */
#define FS_PROTO_VERSION 1u
#define FS_CHUNK_MAX (8u << 20)         /* bytes in one reply */

enum fs_msg_type {
	FS_MSG_FETCH = 1,       /* request: bytes [offset, offset+length) of ent's blob */
	FS_MSG_DATA = 2,        /* reply: status 0 and `length` bytes follow */
	FS_MSG_ERROR = 3,       /* reply: status = errno, no bytes follow */
	FS_MSG_PING = 4,        /* request: liveness; reply DATA with length 0 */
};

struct fs_req {
	uint32_t magic;         /* FS_PROTO_MAGIC */
	uint16_t version;       /* FS_PROTO_VERSION */
	uint16_t type;          /* FS_MSG_FETCH or FS_MSG_PING */
	uint64_t id;            /* chosen by the requester, echoed */
	uint64_t ent;           /* entry index in the metadata image */
	uint64_t offset;        /* into the stored blob */
	uint64_t length;        /* 1..FS_CHUNK_MAX */
};

struct fs_rep {
	uint32_t magic;
	uint16_t version;
	uint16_t type;          /* FS_MSG_DATA or FS_MSG_ERROR */
	uint64_t id;
	int32_t status;         /* 0, or a positive errno (ENOENT, EINVAL, EIO...) */
	uint32_t reserved;
	uint64_t length;        /* bytes following (DATA only) */
};

/*
 * Check a received request of `len` bytes against the image: magic,
 * version, type, ent < nent and a regular file, offset + length within
 * the stored blob without overflow, 0 < length <= FS_CHUNK_MAX.
 * On failure returns the errno the reply should carry (EPROTO for a
 * malformed message, ENOENT for a bad entry, EINVAL for a bad range);
 * 0 when valid.
 */
int fs_req_check(const void *buf, size_t len, const struct fs_image *img,
		 struct fs_req *out);

/* Check a reply header: magic, version, type, id == expect_id, length <=
 * FS_CHUNK_MAX and == expected length for DATA.  0 or EPROTO. */
int fs_rep_check(const void *buf, size_t len, uint64_t expect_id,
		 uint64_t expect_len, struct fs_rep *out);

static inline void fs_req_init(struct fs_req *r, uint16_t type, uint64_t id,
			       uint64_t ent, uint64_t offset, uint64_t length)
{
	r->magic = FS_PROTO_MAGIC;
	r->version = FS_PROTO_VERSION;
	r->type = type;
	r->id = id;
	r->ent = ent;
	r->offset = offset;
	r->length = length;
}

static inline void fs_rep_init(struct fs_rep *r, uint16_t type, uint64_t id,
			       int32_t status, uint64_t length)
{
	r->magic = FS_PROTO_MAGIC;
	r->version = FS_PROTO_VERSION;
	r->type = type;
	r->id = id;
	r->status = status;
	r->reserved = 0;
	r->length = length;
}

#endif /* FANSTORE_PROTO_H */
