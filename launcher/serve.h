/*
 * serve.h - the launcher's event loop state, shared by serve.c (the loop
 * and the MPI side) and conn.c (local processes on the unix socket).
 */
#ifndef FANSTORE_SERVE_H
#define FANSTORE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "fx.h"
#include "proto.h"

/* One outgoing message: a reply header and its bytes, contiguous. */
struct obuf {
	struct obuf *next;
	size_t len, off;
	uint8_t data[];
};

#define FX_CONN_IN (64u * 1024)
/* A connection owed more reply bytes than this (in flight + queued) is
 * not read from until it has taken some: memory stays bounded whatever
 * a client asks for. */
#define FX_CONN_OWED_MAX (64u << 20)

/* A process's shared-memory channel, mapped here (proto.h). */
struct chan {
	uint8_t *base;
	uint64_t len;
	unsigned nslots;
	uint64_t slot_bytes;
	uint64_t busy;          /* bit per slot: a reply is owed */
	int refs;               /* the connection, and each forward landing here */
};

struct conn {
	int fd;                 /* -1: free slot */
	int pending_fd;         /* received with the last bytes, not yet used */
	struct chan *ch;        /* NULL until FS_MSG_CHAN */
	uint64_t gen;           /* tells a reused slot from its earlier self */
	size_t inlen;
	uint64_t inflight;       /* reply bytes of forwarded requests */
	uint64_t queued;         /* bytes in the queue below */
	struct obuf *head, *tail;
	uint8_t in[FX_CONN_IN];
};

/* A request forwarded to its owner rank, waiting for the reply. */
struct fwd {
	struct obuf *buf;       /* the reply lands here, or */
	struct chan *ch;        /* in slot `slot` of this channel */
	unsigned slot;
	size_t conn;
	uint64_t gen;
	uint64_t client_id;
	uint64_t length;
	int tag;
};

/* MPI requests with the object each one belongs to; free slots stacked. */
struct reqset {
	MPI_Request *req;
	void **obj;
	int *freelist;
	int n, cap, nfree, live;
};

struct srv {
	struct fx_ctx *c;
	struct fx_child *ch;
	int sfd, lfd;
	struct conn **conns;
	size_t nconn;
	uint64_t gen;
	struct reqset fwds;     /* obj: struct fwd */
	struct reqset sends;    /* obj: struct obuf */
	int next_tag;
	uint64_t n_served, n_forwarded, n_local;
	struct {                /* how the loop spent its turns (-v) */
		uint64_t turns, yields, polls, sleeps, wakes;
	} st;
	uint8_t *verified;      /* JOBDIR/verified (store.h), or NULL */
	struct {                /* a failed command ends the job (serve.c) */
		int in[2], out[2];      /* {rank, status} (FX_TAG_FAIL) */
		MPI_Request *sreqs;     /* ours to every other rank, or NULL */
		double stop_at;         /* when our command was sent SIGTERM */
		double polled;          /* last look (every FX_FAIL_POLL_SECONDS) */
		int killed;             /* ... and SIGKILL */
	} fail;
};

struct obuf *fx_obuf_new(size_t len);
/* A reply to `req` served from this node's partitions (DATA or ERROR). */
struct obuf *fx_reply_local(struct srv *s, const struct fs_req *req);
struct obuf *fx_reply_error(uint64_t id, int status);
/* The rank to forward a checked FETCH to; -1 when this node holds it. */
int fx_owner(struct srv *s, const struct fs_req *req);
/* Forward a checked request from connection k to the owner rank; the
 * reply goes to slot `slot` of the connection's channel, or (slot < 0)
 * onto its socket. */
int fx_forward(struct srv *s, size_t k, const struct fs_req *req, int owner, int slot);
/* Bytes [req->offset, +req->length) of a local blob into dst, *flags
 * FS_REP_VERIFIED when it is raw and matches its crc; 0 or EIO. */
int fx_copy_local(struct srv *s, const struct fs_req *req, uint8_t *dst, uint32_t *flags);
/* conn.c */
static inline int fx_conn_readable(const struct conn *cn)
{
	return cn->inflight + cn->queued <= FX_CONN_OWED_MAX;
}
int fx_conn_accept(struct srv *s);
/* Read and handle requests; write queued replies.  0, or -1 when the
 * connection is gone (then it is closed). */
int fx_conn_io(struct srv *s, size_t k, short revents);
/* Queue b (NULL: out of memory, close) and write what can be written. */
void fx_conn_send(struct srv *s, size_t k, struct obuf *b);
/* Handle the whole requests read so far, as far as the connection may
 * be owed more.  -1 when the connection was closed. */
int fx_conn_drain(struct srv *s, size_t k);
void fx_conn_close(struct srv *s, size_t k);

/* chan.c */
/* Map the memfd a process sent as connection k's channel: 0 or errno. */
int fx_chan_attach(struct srv *s, size_t k, int fd);
void fx_chan_put(struct chan *ch);
/* Take and handle every posted request of every channel; 1 if any. */
int fx_chan_scan(struct srv *s);
/* Tell the processes whether this launcher is about to block (1) or is
 * awake (0); 1 when something was posted meanwhile (do not block). */
int fx_chan_sleeping(struct srv *s, int sleeping);
/* Reply in slot k of ch: a header, its bytes already in place; wakes the
 * process if it sleeps on the slot. */
void fx_chan_complete(struct srv *s, struct chan *ch, unsigned k, const struct fs_rep *rep);

#endif /* FANSTORE_SERVE_H */
