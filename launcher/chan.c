/*
 * chan.c - the launcher's end of the processes' shared-memory channels
 * (proto.h).  A process posts a request in a slot of its memfd; the loop
 * (serve.c) scans every slot on each turn, answers from this node's
 * partitions with one copy, or forwards to the owner rank with the reply
 * received straight into the slot.  Nothing in the mapping is trusted:
 * the request is copied out before it is checked, the shape was fixed when
 * the channel was attached, and a slot with a reply owed is not looked at.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_SHRINK 0x0002
#endif

#define A32(p) ((_Atomic uint32_t *)(void *)(p))

int fx_chan_attach(struct srv *s, size_t k, int fd)
{
	struct conn *cn = s->conns[k];
	struct stat st;
	struct fs_chan_hdr h;
	if (cn->ch)
		return EBUSY;
	/* Sealed against shrinking: the mapping below can never fault. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return EBADF;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fs_chan_check(&h, (uint64_t)st.st_size))
		return EPROTO;
	struct chan *ch = malloc(sizeof *ch);
	if (!ch)
		return ENOMEM;
	ch->nslots = h.nslots;
	ch->slot_bytes = h.slot_bytes;
	ch->len = fs_chan_size(h.nslots, h.slot_bytes);
	ch->busy = 0;
	ch->refs = 1;
	ch->base = mmap(NULL, ch->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ch->base == MAP_FAILED) {
		int e = errno;
		free(ch);
		return e;
	}
	cn->ch = ch;
	FX_DEBUG(s->c, "client %zu: channel of %u slots of %llu bytes", k, ch->nslots,
		 (unsigned long long)ch->slot_bytes);
	return 0;
}

void fx_chan_put(struct chan *ch)
{
	if (ch && --ch->refs == 0) {
		munmap(ch->base, ch->len);
		free(ch);
	}
}

void fx_chan_complete(struct srv *s, struct chan *ch, unsigned k, const struct fs_rep *rep)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, k);
	memcpy(fs_chan_area(ch->base, ch->nslots, ch->slot_bytes, k) + FS_CHAN_REP_OFF, rep, sizeof *rep);
	ch->busy &= ~(1ull << k);
	atomic_store(A32(&sl->state), FS_SLOT_DONE);   /* seq_cst: then look */
	if (atomic_load(A32(&sl->waiting))) {
		s->st.wakes++;
		syscall(SYS_futex, &sl->state, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

static void answer(struct srv *s, size_t k, unsigned slot, const struct fs_req *raw)
{
	struct fx_ctx *c = s->c;
	struct chan *ch = s->conns[k]->ch;
	struct fs_req req;
	struct fs_rep rep;
	uint32_t flags = 0;
	int e = fs_req_check(raw, sizeof *raw, &c->img, &req);
	if (!e && req.type != FS_MSG_FETCH)
		e = EPROTO;
	if (!e && req.length > ch->slot_bytes - FS_CHAN_DATA_SKIP)
		e = EINVAL;
	if (!e) {
		int owner = fx_owner(s, &req);
		if (owner >= 0) {
			if (fx_forward(s, k, &req, owner, (int)slot) == 0)
				return;
			e = ENOMEM;
		} else {
			s->n_local++;
			e = fx_copy_local(s, &req, fs_chan_area(ch->base, ch->nslots, ch->slot_bytes, slot) +
							  FS_CHAN_DATA_SKIP, &flags);
		}
	}
	if (e)
		fs_rep_init(&rep, FS_MSG_ERROR, raw->id, e, 0);
	else
		fs_rep_init(&rep, FS_MSG_DATA, req.id, 0, req.length);
	rep.flags = flags;
	fx_chan_complete(s, ch, slot, &rep);
}

int fx_chan_scan(struct srv *s)
{
	int did = 0;
	for (size_t k = 0; k < s->nconn; k++) {
		struct conn *cn = s->conns[k];
		struct chan *ch = cn->ch;
		if (cn->fd < 0 || !ch)
			continue;
		for (unsigned i = 0; i < ch->nslots; i++) {
			struct fs_chan_slot *sl = fs_chan_slot(ch->base, i);
			if ((ch->busy >> i & 1) ||
			    atomic_load_explicit(A32(&sl->state), memory_order_acquire) != FS_SLOT_POSTED)
				continue;
			struct fs_req raw;
			memcpy(&raw, &sl->req, sizeof raw);
			atomic_store_explicit(A32(&sl->state), FS_SLOT_TAKEN, memory_order_relaxed);
			ch->busy |= 1ull << i;
			did = 1;
			answer(s, k, i, &raw);
			if (cn->fd < 0)
				break;
		}
	}
	return did;
}

int fx_chan_sleeping(struct srv *s, int sleeping)
{
	for (size_t k = 0; k < s->nconn; k++) {
		struct chan *ch = s->conns[k]->ch;
		if (s->conns[k]->fd >= 0 && ch)
			atomic_store(A32(&((struct fs_chan_hdr *)ch->base)->sleeping), (uint32_t)sleeping);
	}
	/* The flags before the slots' states, as a process posts its state
	 * before it reads the flag: one of the two sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	return sleeping ? fx_chan_scan(s) : 0;
}
