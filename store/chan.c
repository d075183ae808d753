/*
 * chan.c - a process's end of the shared-memory channel (proto.h).
 *
 * Raw system calls only: the preloaded library calls this from inside its
 * wrappers, where going through libc's (wrapped) mmap, fcntl or close
 * would come back to the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "proto.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

/* How long a waiting process spins (yielding the CPU) before it sleeps:
 * a reply from another node usually arrives well within this, and a
 * sleeping process costs a wake-up of tens of microseconds here. */
#define CHAN_SPIN_NS 100000L
/* A sleeping process looks at the socket this often, to notice a launcher
 * that has gone. */
#define CHAN_NAP_NS 100000000L

#define A32(p) ((_Atomic uint32_t *)(void *)(p))

static void say(char *err, size_t errlen, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, strerror(e));
}

int fs_sock_send(int s, const void *buf, size_t n, int fd)
{
	struct iovec iov = {(void *)buf, n};
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof u.b;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	while (n) {
		long k = syscall(SYS_sendmsg, s, &mh, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		n -= (size_t)k;
		iov.iov_base = (char *)iov.iov_base + k;
		iov.iov_len = n;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
	}
	return 0;
}

static int xrecv(int s, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		long k = syscall(SYS_recvfrom, s, p, n, 0, NULL, NULL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			errno = EPIPE;   /* the launcher closed the connection */
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

void fs_chan_close(struct fs_chan *ch)
{
	if (ch->sock >= 0)
		syscall(SYS_close, ch->sock);
	if (ch->base)
		syscall(SYS_munmap, ch->base, ch->len);
	ch->sock = -1;
	ch->base = NULL;
	ch->len = 0;
}

int fs_chan_open(struct fs_chan *ch, const char *jobdir, unsigned nslots, uint64_t payload,
		 int timeout_s, char *err, size_t errlen)
{
	memset(ch, 0, sizeof *ch);
	ch->sock = -1;
	uint64_t sb = (payload + FS_CHAN_DATA_SKIP + FS_CHAN_PAGE - 1) / FS_CHAN_PAGE * FS_CHAN_PAGE;
	if (nslots < 1 || nslots > FS_CHAN_SLOTS_MAX || payload < 1 || sb > FS_CHUNK_MAX) {
		say(err, errlen, "channel shape", EINVAL);
		return EINVAL;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", jobdir, FS_JOB_SOCK) >=
	    (int)sizeof a.sun_path) {
		say(err, errlen, "socket path", ENAMETOOLONG);
		return ENAMETOOLONG;
	}
	int e = 0, mfd = -1;
	const char *what = a.sun_path;
	int s = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto fail;
	ch->sock = s;
	struct timeval tv = {.tv_sec = timeout_s};
	syscall(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	syscall(SYS_setsockopt, s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (syscall(SYS_connect, s, &a, sizeof a) != 0)
		goto fail;
	what = "shared-memory channel";
	uint64_t len = fs_chan_size(nslots, sb);
	mfd = (int)syscall(SYS_memfd_create, "fanstore-chan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || syscall(SYS_ftruncate, mfd, (long)len) != 0 ||
	    syscall(SYS_fcntl, mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		goto fail;
	void *m = (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED)
		goto fail;
	ch->base = m;
	ch->len = len;
	ch->nslots = nslots;
	ch->slot_bytes = sb;
	struct fs_chan_hdr *h = m;
	h->magic = FS_CHAN_MAGIC;
	h->version = FS_PROTO_VERSION;
	h->nslots = (uint16_t)nslots;
	h->slot_bytes = sb;
	what = "channel set-up with the launcher";
	struct fs_req q;
	struct fs_rep r, rep;
	fs_req_init(&q, FS_MSG_CHAN, ++ch->next_id, 0, 0, 0);
	if (fs_sock_send(s, &q, sizeof q, mfd) != 0 || xrecv(s, &r, sizeof r) != 0)
		goto fail;
	syscall(SYS_close, mfd);
	mfd = -1;
	if (fs_rep_check(&r, sizeof r, q.id, 0, &rep) != 0) {
		e = EPROTO;
		goto out;
	}
	if (rep.type == FS_MSG_ERROR) {
		e = rep.status;
		goto out;
	}
	return 0;
fail:
	e = errno ? errno : EIO;
out:
	say(err, errlen, what, e);
	if (mfd >= 0)
		syscall(SYS_close, mfd);
	fs_chan_close(ch);
	return e;
}

uint64_t fs_chan_post(struct fs_chan *ch, unsigned k, uint64_t ent, uint64_t off, uint64_t len)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, k);
	uint64_t id = ++ch->next_id;
	fs_req_init(&sl->req, FS_MSG_FETCH, id, ent, off, len);
	atomic_store_explicit(A32(&sl->waiting), 0, memory_order_relaxed);
	atomic_store(A32(&sl->state), FS_SLOT_POSTED);   /* seq_cst: then look */
	struct fs_chan_hdr *h = (struct fs_chan_hdr *)ch->base;
	if (atomic_load(A32(&h->sleeping))) {
		struct fs_req kick;
		fs_req_init(&kick, FS_MSG_KICK, 0, 0, 0, 0);
		if (fs_sock_send(ch->sock, &kick, sizeof kick, -1) != 0)
			return 0;
	}
	return id;
}

int fs_chan_ready(const struct fs_chan *ch, unsigned k)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, k);
	return atomic_load_explicit(A32(&sl->state), memory_order_acquire) == FS_SLOT_DONE;
}

static long ns_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* The launcher's end of the socket is closed. */
static int launcher_gone(int s)
{
	char b;
	long k = syscall(SYS_recvfrom, s, &b, 1, MSG_PEEK | MSG_DONTWAIT, NULL, NULL);
	return k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

int fs_chan_wait(struct fs_chan *ch, unsigned k, uint64_t id, uint64_t len, int timeout_s,
		 struct fs_rep *rep)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, k);
	_Atomic uint32_t *st = A32(&sl->state);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The clock on every turn: when the CPUs are oversubscribed one
	 * sched_yield can give the CPU away for a whole time slice. */
	while (atomic_load_explicit(st, memory_order_acquire) != FS_SLOT_DONE && ns_since(&t0) < CHAN_SPIN_NS)
		sched_yield();
	while (atomic_load_explicit(st, memory_order_acquire) != FS_SLOT_DONE) {
		atomic_store(A32(&sl->waiting), 1);   /* seq_cst: then look again */
		uint32_t v = atomic_load(st);
		if (v != FS_SLOT_DONE) {
			struct timespec nap = {0, CHAN_NAP_NS};
			syscall(SYS_futex, st, FUTEX_WAIT, v, &nap, NULL, 0);
		}
		if (atomic_load(st) == FS_SLOT_DONE)
			break;
		if (launcher_gone(ch->sock))
			return EPIPE;
		if (ns_since(&t0) / 1000000000L >= timeout_s)
			return ETIMEDOUT;
	}
	uint8_t raw[sizeof *rep];
	memcpy(raw, fs_chan_area(ch->base, ch->nslots, ch->slot_bytes, k) + FS_CHAN_REP_OFF, sizeof raw);
	return fs_rep_check(raw, sizeof raw, id, len, rep);
}

void fs_chan_release(struct fs_chan *ch, unsigned k)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, k);
	atomic_store_explicit(A32(&sl->state), FS_SLOT_FREE, memory_order_release);
}

int fs_chan_fetch(struct fs_chan *ch, uint64_t ent, uint8_t *dst, uint64_t len, int timeout_s,
		  int *verified, int *refused)
{
	*verified = 1;
	*refused = 0;
	for (uint64_t off = 0; off < len;) {
		uint64_t n = len - off < fs_chan_payload(ch) ? len - off : fs_chan_payload(ch);
		struct fs_rep rep;
		uint64_t id = fs_chan_post(ch, 0, ent, off, n);
		int e = id ? fs_chan_wait(ch, 0, id, n, timeout_s, &rep) : EPIPE;
		if (e)
			return e;
		if (rep.type == FS_MSG_ERROR) {
			fs_chan_release(ch, 0);
			*refused = 1;
			return rep.status;
		}
		if (!(rep.flags & FS_REP_VERIFIED))
			*verified = 0;
		memcpy(dst + off, fs_chan_bytes(ch, 0), n);
		fs_chan_release(ch, 0);
		off += n;
	}
	return 0;
}
