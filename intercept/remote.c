/*
 * remote.c - fetch a blob held on another node from the local launcher
 * through a shared-memory channel (proto.h, store/chan.c), one per thread:
 * the request is posted in the channel and the reply's bytes land there,
 * with no copy through the kernel.  A fork child sets up its own (the
 * generation counter changes); a timeout or a launcher gone is EIO.  A
 * vfork child runs on its parent's thread, memory and thread-local state
 * but has descriptors of its own, which vanish at its exec: it fetches
 * through a channel of its own on the stack, closed before it returns,
 * and never reads or writes the thread's.
 */
#include <pthread.h>
#include <string.h>

#include "fsi.h"
#include "proto.h"

/* One channel per thread, its slot carrying up to 2 MiB a request. */
#define RPAYLOAD ((2u << 20) - FS_CHAN_DATA_SKIP)

static __thread struct fs_chan rch = {.sock = -1};
static __thread unsigned rgen;

/* A thread's channel is closed when the thread ends. */
static pthread_key_t rkey;
static pthread_once_t rkey_once = PTHREAD_ONCE_INIT;

static void rch_close(void *v)
{
	(void)v;
	fs_chan_close(&rch);
}

static void rkey_init(void)
{
	pthread_key_create(&rkey, rch_close);
}

static int rconnect(struct fsi_ctx *c)
{
	unsigned gen = atomic_load(&c->gen);
	if (rch.sock >= 0 && rgen == gen)
		return 0;
	/* Inherited over fork: drop this process's copies of the parent's. */
	fs_chan_close(&rch);
	char err[PATH_MAX + 128];
	int e = fs_chan_open(&rch, c->jobdir, 1, RPAYLOAD, c->timeout, err, sizeof err);
	if (e) {
		if (e == EMFILE || e == ENFILE)
			fsi_log("no descriptor left for a connection to the launcher (%s)", strerror(e));
		else
			fsi_log("cannot reach the launcher: %s", err);
		errno = e;
		return -1;
	}
	rgen = gen;
	pthread_once(&rkey_once, rkey_init);
	pthread_setspecific(rkey, &rch);   /* non-NULL: the destructor runs */
	return 0;
}

int fsi_remote_connect(struct fsi_ctx *c)
{
	if (fsi_in_vfork_slow(c))
		return 0;   /* a vfork child fetches through a channel of its own */
	if (rconnect(c) == 0)
		return 0;
	return fsi_fail(errno == EMFILE || errno == ENFILE ? errno : EIO);
}

static void fetch_failed(struct fsi_ctx *c, uint32_t ent, int e, int refused)
{
	const struct fs_ment *me = fsi_ent(c, ent);
	if (refused)
		fsi_log("%s/%.*s: the launcher answered: %s", c->mount, (int)me->name_len,
			fs_image_name(&c->img, me), strerror(e));
	else
		fsi_log("%s/%.*s: no answer from the launcher (%s)", c->mount, (int)me->name_len,
			fs_image_name(&c->img, me),
			e == ETIMEDOUT ? "timed out" : e == EPIPE ? "connection lost" : "malformed reply");
}

/* In a vfork child: a channel that lives for this fetch only, sized to
 * it (raw system calls, nothing allocated). */
static int vfork_fetch(struct fsi_ctx *c, uint32_t ent, uint8_t *dst, uint64_t stored, int *verified)
{
	struct fs_chan ch;
	char err[PATH_MAX + 128];
	int e = fs_chan_open(&ch, c->jobdir, 1, stored < RPAYLOAD ? (stored ? stored : 1) : RPAYLOAD,
			     c->timeout, err, sizeof err);
	if (e) {
		fsi_log("cannot reach the launcher from a vfork child: %s", err);
		return fsi_fail(EIO);
	}
	int refused;
	uint64_t t0 = fsi_st_fetch_start();
	e = fs_chan_fetch(&ch, ent, dst, stored, c->timeout, verified, &refused);
	fs_chan_close(&ch);
	if (!e) {
		fsi_st_fetch_end(t0);
		return 0;
	}
	fetch_failed(c, ent, e, refused);
	return fsi_fail(EIO);
}

int fsi_remote_fetch(struct fsi_ctx *c, uint32_t ent, uint8_t *dst, uint64_t stored, int *verified)
{
	if (fsi_in_vfork_slow(c))
		return vfork_fetch(c, ent, dst, stored, verified);
	if (rconnect(c) != 0)
		return fsi_fail(EIO);
	int refused;
	uint64_t t0 = fsi_st_fetch_start();
	int e = fs_chan_fetch(&rch, ent, dst, stored, c->timeout, verified, &refused);
	if (!e) {
		fsi_st_fetch_end(t0);
		return 0;
	}
	fetch_failed(c, ent, e, refused);
	if (!refused)
		fs_chan_close(&rch);   /* the slot may still be owed: start afresh */
	return fsi_fail(EIO);
}
