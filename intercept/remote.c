/*
 * remote.c - fetch a blob held on another node from the local launcher
 * over JOBDIR/sock (proto.h), one connection per thread.  A fork child
 * reconnects (the generation counter changes); a timeout or EOF is EIO.
 */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "fsi.h"
#include "proto.h"

static __thread int rsock = -1;
static __thread unsigned rgen;
static __thread uint64_t rid;

/* A thread's connection is closed when the thread ends. */
static pthread_key_t rkey;
static pthread_once_t rkey_once = PTHREAD_ONCE_INIT;

static void rsock_close(void *v)
{
	(void)v;
	if (rsock >= 0)
		syscall(SYS_close, rsock);
	rsock = -1;
}

static void rkey_init(void)
{
	pthread_key_create(&rkey, rsock_close);
}

static int rconnect(struct fsi_ctx *c)
{
	unsigned gen = atomic_load(&c->gen);
	if (rsock >= 0 && rgen == gen)
		return rsock;
	if (rsock >= 0)   /* inherited over fork: the parent's connection */
		syscall(SYS_close, rsock);
	rsock = -1;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", c->jobdir, FS_JOB_SOCK) >=
	    (int)sizeof a.sun_path) {
		fsi_log("%s/%s: socket path too long", c->jobdir, FS_JOB_SOCK);
		return -1;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct timeval tv = { .tv_sec = c->timeout };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		fsi_log("%s: cannot reach the launcher (%s)", a.sun_path, strerror(errno));
		syscall(SYS_close, s);
		return -1;
	}
	rsock = s;
	rgen = gen;
	pthread_once(&rkey_once, rkey_init);
	pthread_setspecific(rkey, &rsock);   /* non-NULL: the destructor runs */
	return s;
}

static void rdrop(void)
{
	if (rsock >= 0)
		syscall(SYS_close, rsock);
	rsock = -1;
}

static int xfer(int s, void *buf, size_t n, int out)
{
	uint8_t *p = buf;
	while (n > 0) {
		long k = out ? send(s, p, n, MSG_NOSIGNAL) : recv(s, p, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int fsi_remote_connect(struct fsi_ctx *c)
{
	if (rconnect(c) >= 0)
		return 0;
	return fsi_fail(errno == EMFILE || errno == ENFILE ? errno : EIO);
}

int fsi_remote_fetch(struct fsi_ctx *c, uint32_t ent, uint8_t *dst, uint64_t stored)
{
	for (uint64_t off = 0; off < stored;) {
		uint64_t len = stored - off < FS_CHUNK_MAX ? stored - off : FS_CHUNK_MAX;
		int s = rconnect(c);
		if (s < 0) {
			if (errno == EMFILE || errno == ENFILE)
				fsi_log("entry %u: no descriptor left for a connection to the launcher (%s)",
					ent, strerror(errno));
			return fsi_fail(EIO);
		}
		struct fs_req q;
		struct fs_rep p, hdr;
		fs_req_init(&q, FS_MSG_FETCH, ++rid, ent, off, len);
		if (xfer(s, &q, sizeof q, 1) < 0 || xfer(s, &hdr, sizeof hdr, 0) < 0) {
			fsi_log("entry %u: no answer from the launcher (%s)", ent,
				errno == EAGAIN ? "timed out" : "connection lost");
			rdrop();
			return fsi_fail(EIO);
		}
		if (hdr.type == FS_MSG_ERROR && hdr.magic == FS_PROTO_MAGIC) {
			fsi_log("entry %u: the launcher answered: %s", ent, strerror(hdr.status));
			return fsi_fail(EIO);
		}
		if (fs_rep_check(&hdr, sizeof hdr, q.id, len, &p) != 0 || xfer(s, dst + off, len, 0) < 0) {
			fsi_log("entry %u: malformed or short reply from the launcher", ent);
			rdrop();
			return fsi_fail(EIO);
		}
		off += len;
	}
	return 0;
}
