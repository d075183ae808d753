/*
 * conn.c - local processes' connections on JOBDIR/sock.
 *
 * Requests are fixed-size struct fs_req messages; each is checked
 * (fs_req_check) and answered from this node's partitions when it can be,
 * else forwarded to the owner rank (serve.c).  Replies are queued per
 * connection and written without blocking, in the order they complete:
 * clients match them by id.  Only processes of this user may connect.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "serve.h"

int fx_conn_accept(struct srv *s)
{
	int did = 0;
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return did;
		did = 1;
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != getuid()) {
			FX_INFO(s->c, "refused a connection from uid %d", len == sizeof cr ? (int)cr.uid : -1);
			close(fd);
			continue;
		}
		size_t k = 0;
		while (k < s->nconn && s->conns[k]->fd >= 0)
			k++;
		if (k == s->nconn) {
			struct conn **v = realloc(s->conns, (s->nconn + 1) * sizeof *v);
			struct conn *cn = v ? malloc(sizeof *cn) : NULL;
			if (v)
				s->conns = v;
			if (!cn) {
				close(fd);
				continue;
			}
			cn->fd = -1;
			s->conns[s->nconn++] = cn;
		}
		struct conn *cn = s->conns[k];
		cn->fd = fd;
		cn->pending_fd = -1;
		cn->ch = NULL;
		cn->gen = ++s->gen;
		cn->inlen = 0;
		cn->inflight = cn->queued = 0;
		cn->head = cn->tail = NULL;
		FX_DEBUG(s->c, "client %zu connected (pid %d)", k, (int)cr.pid);
	}
}

void fx_conn_close(struct srv *s, size_t k)
{
	struct conn *cn = s->conns[k];
	if (cn->fd < 0)
		return;
	close(cn->fd);
	cn->fd = -1;
	if (cn->pending_fd >= 0)
		close(cn->pending_fd);
	cn->pending_fd = -1;
	fx_chan_put(cn->ch);   /* unmapped once no forward lands in it */
	cn->ch = NULL;
	while (cn->head) {
		struct obuf *b = cn->head;
		cn->head = b->next;
		free(b);
	}
	cn->tail = NULL;
	cn->queued = cn->inflight = 0;
}

/* Write what can be written now.  -1 when the peer is gone. */
static int flush(struct conn *cn)
{
	while (cn->head) {
		struct iovec iov[64];
		int n = 0;
		for (struct obuf *b = cn->head; b && n < 64; b = b->next, n++) {
			iov[n].iov_base = b->data + b->off;
			iov[n].iov_len = b->len - b->off;
		}
		ssize_t w = writev(cn->fd, iov, n);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		size_t left = (size_t)w;
		while (cn->head && left >= cn->head->len - cn->head->off) {
			struct obuf *b = cn->head;
			left -= b->len - b->off;
			cn->queued -= b->len;
			cn->head = b->next;
			free(b);
		}
		if (cn->head)
			cn->head->off += left;
		else
			cn->tail = NULL;
	}
	return 0;
}

void fx_conn_send(struct srv *s, size_t k, struct obuf *b)
{
	struct conn *cn = s->conns[k];
	if (!b) {
		/* Out of memory for a reply: the client sees the connection close. */
		fx_conn_close(s, k);
		return;
	}
	b->next = NULL;
	b->off = 0;
	cn->queued += b->len;
	if (cn->tail)
		cn->tail->next = b;
	else
		cn->head = b;
	cn->tail = b;
	if (cn->head == b && flush(cn) != 0)
		fx_conn_close(s, k);
}

/* FS_MSG_CHAN: the descriptor that came with it becomes the channel. */
static int cn_pending(struct srv *s, size_t k)
{
	struct conn *cn = s->conns[k];
	int fd = cn->pending_fd;
	cn->pending_fd = -1;
	if (fd < 0)
		return EBADF;
	int e = fx_chan_attach(s, k, fd);
	close(fd);
	return e;
}

static void handle(struct srv *s, size_t k, const uint8_t *msg)
{
	struct fx_ctx *c = s->c;
	struct fs_req req;
	int e = fs_req_check(msg, sizeof req, &c->img, &req);
	if (e) {
		uint64_t id;
		memcpy(&id, msg + offsetof(struct fs_req, id), sizeof id);
		FX_DEBUG(c, "client %zu: bad request (%s)", k, strerror(e));
		fx_conn_send(s, k, fx_reply_error(id, e));
		return;
	}
	if (req.type == FS_MSG_KICK)   /* the loop scans the channel anyway */
		return;
	if (req.type == FS_MSG_CHAN && (e = cn_pending(s, k)) != 0) {
		FX_DEBUG(c, "client %zu: channel refused (%s)", k, strerror(e));
		fx_conn_send(s, k, fx_reply_error(req.id, e));
		return;
	}
	if (req.type == FS_MSG_PING || req.type == FS_MSG_CHAN) {   /* answered with DATA, 0 bytes */
		struct obuf *b = fx_obuf_new(sizeof(struct fs_rep));
		if (b)
			fs_rep_init((struct fs_rep *)b->data, FS_MSG_DATA, req.id, 0, 0);
		fx_conn_send(s, k, b ? b : fx_reply_error(req.id, ENOMEM));
		return;
	}
	int owner = fx_owner(s, &req);
	if (owner < 0) {
		s->n_local++;
		fx_conn_send(s, k, fx_reply_local(s, &req));
		return;
	}
	if (fx_forward(s, k, &req, owner, -1) != 0)
		fx_conn_send(s, k, fx_reply_error(req.id, ENOMEM));
}

int fx_conn_drain(struct srv *s, size_t k)
{
	struct conn *cn = s->conns[k];
	size_t off = 0, one = sizeof(struct fs_req);
	while (cn->inlen - off >= one && fx_conn_readable(cn)) {
		handle(s, k, cn->in + off);
		if (cn->fd < 0)
			return -1;
		off += one;
	}
	memmove(cn->in, cn->in + off, cn->inlen - off);
	cn->inlen -= off;
	return 0;
}

/* Descriptors passed with the bytes just read: the first one waits for
 * its FS_MSG_CHAN; any other is closed. */
static void take_fds(struct conn *cn, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
			if (cn->pending_fd < 0)
				cn->pending_fd = fd;
			else
				close(fd);
		}
	}
}

int fx_conn_io(struct srv *s, size_t k, short revents)
{
	struct conn *cn = s->conns[k];
	if (revents & POLLOUT) {
		if (flush(cn) != 0) {
			fx_conn_close(s, k);
			return -1;
		}
	}
	if (revents & (POLLHUP | POLLERR)) {
		/* The peer is gone: nobody will read the replies. */
		FX_DEBUG(s->c, "client %zu hung up", k);
		fx_conn_close(s, k);
		return -1;
	}
	if (!(revents & POLLIN))
		return 0;
	while (fx_conn_readable(cn) && cn->inlen < sizeof cn->in) {
		union {
			char b[CMSG_SPACE(4 * sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = {cn->in + cn->inlen, sizeof cn->in - cn->inlen};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				    .msg_controllen = sizeof u.b};
		ssize_t r = recvmsg(cn->fd, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r > 0)
			take_fds(cn, &mh);
		if (r <= 0) {
			FX_DEBUG(s->c, "client %zu closed", k);
			fx_conn_close(s, k);
			return -1;
		}
		cn->inlen += (size_t)r;
		if (fx_conn_drain(s, k) != 0)
			return -1;
	}
	return 0;
}
