/*
 * proto.h - the request protocol.
 *
 * The same two messages travel on both legs of a remote read:
 *   libfanstore --(shared-memory channel, below; or the unix socket
 *                  JOBDIR/sock alone)--> local fanstore-exec
 *   fanstore-exec --(MPI)--> the rank that holds the partition
 * and the reply travels back the same way.  A request names an entry of
 * the metadata image (every rank and process has the same image content,
 * entry indices included) and a byte range of its STORED blob; the
 * requester decodes and crc-checks, except a raw blob whose reply says the
 * holder checked it (FS_REP_VERIFIED).  Replies carry at most FS_CHUNK_MAX
 * bytes; larger blobs are fetched with several requests.
 *
 * Every message received from outside is checked with fs_req_check /
 * fs_rep_check before use; they are fuzzed.
 *
 * Results: checks and channel calls return 0 or an errno value, the one a
 * reply or the reader's failed call should carry (never -1).  Three keep
 * another form, said at each: fs_sock_send (0, or -1 with errno, as
 * sendmsg), fs_chan_post (a request id; 0, which no request has, when the
 * socket failed) and fs_chan_ready (1 or 0).
 */
#ifndef FANSTORE_PROTO_H
#define FANSTORE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define FS_PROTO_MAGIC 0x46535251u      /* "QRSF" */
#define FS_PROTO_VERSION 2u      /* 2: channels, reply flags */
#define FS_CHUNK_MAX (8u << 20)         /* bytes in one reply */

/* The holder checked the whole raw blob against its crc (on this or an
 * earlier request, once per node): the requester need not. */
#define FS_REP_VERIFIED 1u

enum fs_msg_type {
	FS_MSG_FETCH = 1,       /* request: bytes [offset, offset+length) of ent's blob */
	FS_MSG_DATA = 2,        /* reply: status 0 and `length` bytes follow */
	FS_MSG_ERROR = 3,       /* reply: status = errno, no bytes follow */
	FS_MSG_PING = 4,        /* request: liveness; reply DATA with length 0 */
	FS_MSG_CHAN = 5,        /* request with a memfd attached: use it as this
				 * connection's channel (below); reply DATA, 0 */
	FS_MSG_KICK = 6,        /* request: look at the channel's slots; no reply */
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
	uint32_t flags;         /* FS_REP_VERIFIED */
	uint64_t length;        /* bytes following (DATA only) */
};

/*
 * Check a received request of `len` bytes against the image: magic,
 * version, type, a usable entry (fs_image_check_ent) that is a regular file,
 * offset + length within the stored blob without overflow, 0 < length <= FS_CHUNK_MAX.
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
	r->flags = 0;
	r->length = length;
}

/*
 * The shared-memory channel: the fast path between a process and its
 * node's launcher.  The process creates a sealed memfd (it cannot shrink,
 * so a mapping of it never faults), maps it, and passes it with an
 * FS_MSG_CHAN request (SCM_RIGHTS) over its socket; the launcher maps it
 * too.  Then a request is posted in a slot, and the reply lands in that
 * slot's data area, with no copy through the kernel:
 *
 *   offset 0                     struct fs_chan_hdr
 *   FS_CHAN_SLOTS_OFF            nslots x struct fs_chan_slot
 *   fs_chan_data_off(nslots)     nslots x slot_bytes: reply header, then
 *                                reply data from FS_CHAN_DATA_SKIP
 *
 * A slot's state goes FREE -> POSTED (the process wrote req) -> TAKEN (the
 * launcher copied req out) -> DONE (rep and the data are written) -> FREE
 * (the process read them).  The launcher acts on a slot only when it has
 * nothing outstanding for it, and trusts nothing in the mapping: it copies
 * req out before checking it.  Both sides wait by spinning a little, then
 * sleeping: the launcher sets hdr.sleeping before it blocks (a process that
 * posts then sends FS_MSG_KICK on the socket), and a process sets
 * slot.waiting before it sleeps on slot.state as a futex (the launcher then
 * wakes it).  The socket stays open: its end tells either side the other
 * has gone.
 */
#define FS_CHAN_MAGIC 0x4E414843u       /* "CHAN" */
#define FS_CHAN_SLOTS_MAX 64u
#define FS_CHAN_PAGE 4096u
#define FS_CHAN_SLOTS_OFF 64u

enum fs_slot_state {
	FS_SLOT_FREE = 0,
	FS_SLOT_POSTED = 1,
	FS_SLOT_TAKEN = 2,
	FS_SLOT_DONE = 3,
};

struct fs_chan_hdr {
	uint32_t magic;                 /* FS_CHAN_MAGIC */
	uint16_t version;               /* FS_PROTO_VERSION */
	uint16_t nslots;                /* 1..FS_CHAN_SLOTS_MAX */
	uint64_t slot_bytes;            /* data per slot: pages, <= FS_CHUNK_MAX */
	uint32_t sleeping;              /* atomic: the launcher may be blocked */
	uint32_t reserved[11];
};

struct fs_chan_slot {
	uint32_t state;                 /* atomic: enum fs_slot_state; a futex */
	uint32_t waiting;               /* atomic: the process sleeps on state */
	uint64_t reserved0;
	struct fs_req req;              /* written by the process before POSTED */
	uint8_t reserved1[64 - 16 - sizeof(struct fs_req)];
};

/* A slot's data area: the reply header (struct fs_rep) at
 * FS_CHAN_REP_OFF, then the reply's bytes from FS_CHAN_DATA_SKIP (so a
 * forwarded reply, header then bytes, is received in place). */
#define FS_CHAN_REP_OFF 32u
#define FS_CHAN_DATA_SKIP 64u

_Static_assert(sizeof(struct fs_chan_hdr) == FS_CHAN_SLOTS_OFF, "channel header size");
_Static_assert(sizeof(struct fs_chan_slot) == 64, "channel slot size");
_Static_assert(FS_CHAN_REP_OFF + sizeof(struct fs_rep) == FS_CHAN_DATA_SKIP, "reply header place");

static inline uint64_t fs_chan_data_off(uint64_t nslots)
{
	uint64_t end = FS_CHAN_SLOTS_OFF + nslots * sizeof(struct fs_chan_slot);
	return (end + FS_CHAN_PAGE - 1) / FS_CHAN_PAGE * FS_CHAN_PAGE;
}

static inline uint64_t fs_chan_size(uint64_t nslots, uint64_t slot_bytes)
{
	return fs_chan_data_off(nslots) + nslots * slot_bytes;
}

static inline struct fs_chan_slot *fs_chan_slot(void *base, unsigned k)
{
	return (struct fs_chan_slot *)((uint8_t *)base + FS_CHAN_SLOTS_OFF) + k;
}

static inline uint8_t *fs_chan_area(void *base, uint64_t nslots, uint64_t slot_bytes, unsigned k)
{
	return (uint8_t *)base + fs_chan_data_off(nslots) + k * slot_bytes;
}


/*
 * Check a channel header (copied out of the mapping) against the size of
 * the memfd: magic, version, 1 <= nslots <= FS_CHAN_SLOTS_MAX, slot_bytes
 * a multiple of FS_CHAN_PAGE in [FS_CHAN_PAGE, FS_CHUNK_MAX], and the
 * layout within file_size.  0 or EPROTO.
 */
int fs_chan_check(const struct fs_chan_hdr *h, uint64_t file_size);

/*
 * A process's end of a channel (chan.c; raw system calls only, so the
 * preloaded library can use it from inside any wrapper).  One thread uses
 * one channel; nothing here allocates or locks.
 */
struct fs_chan {
	int sock;                       /* -1: not open */
	uint8_t *base;
	uint64_t len;
	unsigned nslots;
	uint64_t slot_bytes;
	uint64_t next_id;
};

/* Send n bytes on stream socket s, descriptor fd (-1: none) attached to
 * the first; retries short writes.  0, or -1 with errno. */
int fs_sock_send(int s, const void *buf, size_t n, int fd);

/* Connect to JOBDIR/sock and set up a channel of nslots slots carrying up
 * to `payload` bytes each; timeout_s bounds each socket operation.  0, or
 * an errno (err says what failed, for the caller's message). */
int fs_chan_open(struct fs_chan *ch, const char *jobdir, unsigned nslots, uint64_t payload,
		 int timeout_s, char *err, size_t errlen);
/* Close the socket and unmap (also right in a fork child: the parent's
 * channel is left alone). */
void fs_chan_close(struct fs_chan *ch);

static inline uint64_t fs_chan_payload(const struct fs_chan *ch)
{
	return ch->slot_bytes - FS_CHAN_DATA_SKIP;
}

static inline const uint8_t *fs_chan_bytes(const struct fs_chan *ch, unsigned k)
{
	return fs_chan_area(ch->base, ch->nslots, ch->slot_bytes, k) + FS_CHAN_DATA_SKIP;
}

/* Post a FETCH of bytes [off, off+len) of entry ent in slot k (FREE;
 * len <= fs_chan_payload); wake the launcher if it sleeps.  Returns the
 * request id, 0 when the socket failed. */
uint64_t fs_chan_post(struct fs_chan *ch, unsigned k, uint64_t ent, uint64_t off, uint64_t len);

/* 1 when slot k's reply is in. */
int fs_chan_ready(const struct fs_chan *ch, unsigned k);

/* Wait for slot k's reply (spin briefly, then sleep), at most timeout_s
 * seconds; check it against id and len into *rep.  0; ETIMEDOUT; EPIPE
 * when the launcher has gone; EPROTO for a malformed reply.  The slot is
 * then the caller's until fs_chan_release. */
int fs_chan_wait(struct fs_chan *ch, unsigned k, uint64_t id, uint64_t len, int timeout_s,
		 struct fs_rep *rep);

/* Give slot k back (FREE). */
void fs_chan_release(struct fs_chan *ch, unsigned k);

/* Fetch bytes [0, len) of entry ent's stored blob into dst through slot 0,
 * a piece of at most fs_chan_payload at a time; *verified 1 when every
 * reply said FS_REP_VERIFIED.  0; or the launcher's errno (an ERROR reply,
 * *refused 1: the channel is fine); or fs_chan_wait's (the slot may still
 * be owed: close the channel). */
int fs_chan_fetch(struct fs_chan *ch, uint64_t ent, uint8_t *dst, uint64_t len, int timeout_s,
		  int *verified, int *refused);

#endif /* FANSTORE_PROTO_H */
