/*
 * serve.c - the event loop: one thread (the main one) calls MPI.
 *
 * Sources: the signalfd (child exit, signals to forward), the listening
 * socket and client connections (conn.c), their shared-memory channels
 * (chan.c), and MPI: requests from other
 * ranks for partitions held here (tag FX_TAG_REQ, replied to with tag =
 * request id), replies to requests forwarded from local processes, and
 * completions of reply sends.
 *
 * Waiting: while anything is in flight, or anything happened in the last
 * 20 ms and 1000 turns, the loop spins: MPI and the channels on every turn
 * (no system call), the sockets every 50 us (ppoll with no timeout), and
 * the CPU yielded on every turn that found nothing to do, because on a
 * shared core the process it waits for (the other rank of an MPI transfer,
 * a reader) needs that CPU to make progress.  20 ms covers the gaps between
 * a DataLoader worker's reads (a file every millisecond or few), and
 * requests from other ranks cannot wake a sleeping launcher.  Counting
 * turns as well as time keeps a launcher that was merely off the CPU from
 * going to sleep with replies about to arrive.  Then it dozes, then
 * sleeps, in ppoll, having told the channels so (a process that posts then
 * kicks the socket): until 50 ms with a 50 us timeout, then with a timeout
 * growing to 1 ms, and after a second without requests to 5 ms, so that an
 * idle launcher costs little CPU (a wake-up costs tens of microseconds on
 * some machines) and the first request from another rank after a pause
 * waits at most 5 ms.  `-v` prints how the turns went (turns, yields,
 * polls, sleeps, processes woken).
 *
 * Finish: when the child has exited the rank enters MPI_Ibarrier and keeps
 * serving; once every rank's child has exited, sockets are closed, the
 * rank waits for its own forwarded requests, then a second MPI_Ibarrier
 * makes sure nobody still expects an answer before anyone leaves.
 *
 * A command that fails (exits non-zero or is killed) ends the job, as
 * mpirun ends one whose process fails: its launcher tells every other rank
 * (FX_TAG_FAIL), and each stops its command if it still runs (SIGTERM, then
 * SIGKILL after FX_STOP_GRACE seconds) and exits with the failed command's
 * status.  Otherwise the other ranks of a data-parallel job would wait in
 * their next collective for the failed one forever, and the launchers with
 * them.  Processes the command leaves behind (their parent gone, they come
 * to the launcher, a child subreaper) are killed once it has exited.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "serve.h"

#define FX_SPIN_SECONDS 0.02
#define FX_SPIN_TURNS 1000
#define FX_DOZE_SECONDS 0.05
#define FX_POLL_SECONDS 50e-6
#define FX_WAIT_MIN_US 50
#define FX_WAIT_MAX_US 1000          /* while requests came within a second */
#define FX_IDLE_SECONDS 1.0
#define FX_STOP_GRACE 10.0           /* SIGTERM to SIGKILL, another rank failed */
#define FX_FAIL_POLL_SECONDS 0.001   /* looks for a failed rank: not every turn,
				      * an MPI_Iprobe is a progress call */
#define FX_IDLE_WAIT_MAX_US 5000     /* after that: a request from another
				      * rank waits at most this once */

struct obuf *fx_obuf_new(size_t len)
{
	struct obuf *b = malloc(sizeof *b + len);
	if (b) {
		b->next = NULL;
		b->len = len;
		b->off = 0;
	}
	return b;
}

struct obuf *fx_reply_error(uint64_t id, int status)
{
	struct obuf *b = fx_obuf_new(sizeof(struct fs_rep));
	if (b)
		fs_rep_init((struct fs_rep *)b->data, FS_MSG_ERROR, id, status, 0);
	return b;
}

/*
 * A raw blob held here is checked against its crc the first time this node
 * serves or reads it (the bit shared with the node's processes), or every
 * time with --verify always, so that requesters need not: the reply says
 * so (FS_REP_VERIFIED).  0, or EIO
 * with one line naming the file and the partition.
 */
static int verify(struct srv *s, uint64_t ent, const uint8_t *blob, uint32_t *flags)
{
	struct fx_ctx *c = s->c;
	const struct fs_ment *e = &c->img.ents[ent];
	*flags = 0;
	if (e->method != FS_METHOD_RAW)
		return 0;   /* the requester checks the decoded bytes */
	if (!fs_verified_check(s->verified, ent, blob, e->size, e->crc)) {
		c->served.crc++;
		fx_errf(c, "%s: data does not match its checksum in partition %.16s; refusing to send it",
			fs_image_name(&c->img, e), c->img.parts[e->part].name);
		return EIO;
	}
	*flags = FS_REP_VERIFIED;
	return 0;
}

/* The stored blob of entry ent in this node's partitions, or NULL. */
static const uint8_t *local_blob(struct srv *s, uint64_t ent)
{
	struct fx_ctx *c = s->c;
	const struct fs_ment *e = &c->img.ents[ent];
	const struct fs_part *p = fx_part(c, e->part);
	if (!p)
		return NULL;
	uint64_t fsize = fs_part_header(p)->file_size;
	if (e->off > fsize || e->stored > fsize - e->off)
		return NULL;
	return (const uint8_t *)fs_part_base(p) + e->off;
}

int fx_copy_local(struct srv *s, const struct fs_req *req, uint8_t *dst, uint32_t *flags)
{
	const uint8_t *b = local_blob(s, req->ent);
	if (!b || verify(s, req->ent, b, flags))
		return EIO;
	memcpy(dst, b + req->offset, req->length);
	return 0;
}

struct obuf *fx_reply_local(struct srv *s, const struct fs_req *req)
{
	struct obuf *b = fx_obuf_new(sizeof(struct fs_rep) + req->length);
	if (!b)
		return fx_reply_error(req->id, ENOMEM);
	uint32_t flags;
	int e = fx_copy_local(s, req, b->data + sizeof(struct fs_rep), &flags);
	if (e) {
		free(b);
		return fx_reply_error(req->id, e);
	}
	fs_rep_init((struct fs_rep *)b->data, FS_MSG_DATA, req->id, 0, req->length);
	((struct fs_rep *)b->data)->flags = flags;
	return b;
}

int fx_owner(struct srv *s, const struct fs_req *req)
{
	struct fx_ctx *c = s->c;
	uint32_t slot = c->img.ents[req->ent].part;
	const struct fs_img_part *ip = &c->img.parts[slot];
	if (ip->local || (int)ip->owner == c->rank || (int)ip->owner >= c->nranks)
		return -1;
	return (int)ip->owner;
}

/* ---- request sets ---- */

static int rs_add(struct reqset *rs, void *obj, MPI_Request **slot)
{
	int i;
	if (rs->nfree) {
		i = rs->freelist[--rs->nfree];
	} else {
		if (rs->n == rs->cap) {
			int cap = rs->cap ? rs->cap * 2 : 64;
			MPI_Request *r = realloc(rs->req, (size_t)cap * sizeof *r);
			if (r)
				rs->req = r;
			void **o = realloc(rs->obj, (size_t)cap * sizeof *o);
			if (o)
				rs->obj = o;
			int *f = realloc(rs->freelist, (size_t)cap * sizeof *f);
			if (f)
				rs->freelist = f;
			if (!r || !o || !f)
				return -1;
			rs->cap = cap;
		}
		i = rs->n++;
	}
	rs->req[i] = MPI_REQUEST_NULL;
	rs->obj[i] = obj;
	rs->live++;
	*slot = &rs->req[i];
	return i;
}

static void rs_done(struct reqset *rs, int i)
{
	rs->obj[i] = NULL;
	rs->req[i] = MPI_REQUEST_NULL;
	rs->freelist[rs->nfree++] = i;
	rs->live--;
}

static void rs_free(struct reqset *rs)
{
	free(rs->req);
	free(rs->obj);
	free(rs->freelist);
	memset(rs, 0, sizeof *rs);
}

/* ---- MPI side ---- */

static int next_tag(struct srv *s)
{
	if (s->next_tag < FX_TAG_REP0 || s->next_tag >= s->c->tag_ub)
		s->next_tag = FX_TAG_REP0;
	return s->next_tag++;
}

int fx_forward(struct srv *s, size_t k, const struct fs_req *req, int owner, int slot)
{
	struct fwd *f = malloc(sizeof *f);
	struct conn *cn = s->conns[k];
	struct obuf *b = slot < 0 ? fx_obuf_new(sizeof(struct fs_rep) + req->length) : NULL;
	MPI_Request *r;
	if (!f || (slot < 0 && !b) || rs_add(&s->fwds, f, &r) < 0) {
		free(f);
		free(b);
		return -1;
	}
	uint8_t *dst;
	f->buf = b;
	f->ch = NULL;
	if (slot < 0) {
		dst = b->data;
		cn->inflight += req->length;
	} else {
		f->ch = cn->ch;
		f->slot = (unsigned)slot;
		f->ch->refs++;
		dst = fs_chan_area(f->ch->base, f->ch->nslots, f->ch->slot_bytes, f->slot) + FS_CHAN_REP_OFF;
	}
	f->conn = k;
	f->gen = cn->gen;
	f->client_id = req->id;
	f->length = req->length;
	f->tag = next_tag(s);
	FX_MPI_CHECK(MPI_Irecv(dst, (int)(sizeof(struct fs_rep) + req->length), MPI_BYTE, owner, f->tag,
			       s->c->world, r));
	struct fs_req out = *req;
	out.id = (uint64_t)f->tag;
	FX_MPI_CHECK(MPI_Send(&out, sizeof out, MPI_BYTE, owner, FX_TAG_REQ, s->c->world));
	s->n_forwarded++;
	return 0;
}

/*
 * A reply to another rank goes out as one message, header then data, the
 * data straight from the mapped partition (an hindexed datatype over the
 * two, so nothing is copied here; MPI packs it through its own buffers,
 * which on this path beats pinning the partition's pages).  The header
 * lives until the send completes (send_done frees it).  0, or the errno
 * to answer with.
 */
static int reply_data(struct srv *s, const struct fs_req *req, int to)
{
	const uint8_t *blob = local_blob(s, req->ent);
	uint32_t flags;
	if (!blob || verify(s, req->ent, blob, &flags))
		return EIO;
	struct fs_rep *rep = malloc(sizeof *rep);
	MPI_Request *r;
	if (!rep || rs_add(&s->sends, rep, &r) < 0) {
		free(rep);
		return ENOMEM;
	}
	fs_rep_init(rep, FS_MSG_DATA, req->id, 0, req->length);
	rep->flags = flags;
	MPI_Aint d[2];
	int bl[2] = {(int)sizeof *rep, (int)req->length};
	FX_MPI_CHECK(MPI_Get_address(rep, &d[0]));
	FX_MPI_CHECK(MPI_Get_address(blob + req->offset, &d[1]));
	MPI_Datatype dt;
	FX_MPI_CHECK(MPI_Type_create_hindexed(2, bl, d, MPI_BYTE, &dt));
	FX_MPI_CHECK(MPI_Type_commit(&dt));
	FX_MPI_CHECK(MPI_Isend(MPI_BOTTOM, 1, dt, to, (int)req->id, s->c->world, r));
	FX_MPI_CHECK(MPI_Type_free(&dt)); /* released by MPI when the send completes */
	s->c->served.bytes += req->length;
	return 0;
}

static void reply_error(struct srv *s, uint64_t id, int err, int to)
{
	struct fs_rep *rep = malloc(sizeof *rep);
	MPI_Request *r;
	if (rep && rs_add(&s->sends, rep, &r) >= 0) {
		fs_rep_init(rep, FS_MSG_ERROR, id, err, 0);
		FX_MPI_CHECK(MPI_Isend(rep, sizeof *rep, MPI_BYTE, to, (int)id, s->c->world, r));
		return;
	}
	/* Out of memory: answer at once so the requester does not wait. */
	free(rep);
	struct fs_rep now;
	fs_rep_init(&now, FS_MSG_ERROR, id, err, 0);
	FX_MPI_CHECK(MPI_Send(&now, sizeof now, MPI_BYTE, to, (int)id, s->c->world));
}

/* Requests from other ranks for partitions held here. */
static int mpi_requests(struct srv *s)
{
	struct fx_ctx *c = s->c;
	int did = 0;
	for (;;) {
		int flag = 0, cnt = 0;
		MPI_Status st;
		FX_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, FX_TAG_REQ, c->world, &flag, &st));
		if (!flag)
			return did;
		did = 1;
		uint8_t raw[sizeof(struct fs_req)];
		FX_MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, &cnt));
		if (cnt != (int)sizeof raw) {
			uint8_t *junk = malloc(cnt > 0 ? (size_t)cnt : 1);
			FX_MPI_CHECK(MPI_Recv(junk, cnt, MPI_BYTE, st.MPI_SOURCE, FX_TAG_REQ, c->world,
					      MPI_STATUS_IGNORE));
			free(junk);
			fx_errf(c, "dropped a malformed request of %d bytes from rank %d", cnt, st.MPI_SOURCE);
			continue;
		}
		FX_MPI_CHECK(MPI_Recv(raw, cnt, MPI_BYTE, st.MPI_SOURCE, FX_TAG_REQ, c->world,
				      MPI_STATUS_IGNORE));
		struct fs_req req;
		uint64_t id;
		memcpy(&id, raw + offsetof(struct fs_req, id), sizeof id);
		if (id < FX_TAG_REP0 || id > (uint64_t)c->tag_ub) {
			fx_errf(c, "dropped a request with reply tag %llu from rank %d",
				(unsigned long long)id, st.MPI_SOURCE);
			continue;
		}
		int e = fs_req_check(raw, sizeof raw, &c->img, &req);
		if (!e && req.type != FS_MSG_FETCH)
			e = EPROTO;
		if (!e)
			e = reply_data(s, &req, st.MPI_SOURCE);
		if (e)
			reply_error(s, id, e, st.MPI_SOURCE);
		s->n_served++;
	}
}

/* Test every live request of rs; call done(s, obj, status) for each
 * completed one.  Returns 1 when any completed. */
static int rs_test(struct srv *s, struct reqset *rs,
		   void (*done)(struct srv *, void *, const MPI_Status *))
{
	int did = 0;
	for (int base = 0; rs->live && base < rs->n; base += 64) {
		int cnt = rs->n - base < 64 ? rs->n - base : 64, n = 0, idx[64];
		MPI_Status st[64];
		FX_MPI_CHECK(MPI_Testsome(cnt, rs->req + base, &n, idx, st));
		for (int i = 0; n != MPI_UNDEFINED && i < n; i++) {
			done(s, rs->obj[base + idx[i]], &st[i]);
			rs_done(rs, base + idx[i]);
			did = 1;
		}
	}
	return did;
}

static void send_done(struct srv *s, void *obj, const MPI_Status *st)
{
	(void)s;
	(void)st;
	free(obj);
}

static void reply_arrived(struct srv *s, void *obj, const MPI_Status *st)
{
	struct fwd *f = obj;
	int cnt = 0;
	FX_MPI_CHECK(MPI_Get_count(st, MPI_BYTE, &cnt));
	struct fs_rep rep;
	const uint8_t *got_hdr = f->ch ? fs_chan_area(f->ch->base, f->ch->nslots, f->ch->slot_bytes, f->slot) +
						 FS_CHAN_REP_OFF
				       : f->buf->data;
	size_t got = cnt > 0 ? (size_t)cnt : 0;
	int bad = fs_rep_check(got_hdr, got < sizeof rep ? got : sizeof rep, (uint64_t)f->tag, f->length, &rep);
	if (!bad && got != sizeof rep + (rep.type == FS_MSG_DATA ? rep.length : 0))
		bad = EPROTO;
	if (bad)
		fx_errf(s->c, "bad reply from rank %d: %s", st->MPI_SOURCE, strerror(bad));
	if (f->ch) {
		if (bad)
			fs_rep_init(&rep, FS_MSG_ERROR, f->client_id, EIO, 0);
		rep.id = f->client_id;
		fx_chan_complete(s, f->ch, f->slot, &rep);
		fx_chan_put(f->ch);
		free(f);
		return;
	}
	int alive = f->conn < s->nconn && s->conns[f->conn]->fd >= 0 && s->conns[f->conn]->gen == f->gen;
	struct obuf *b = f->buf;
	if (bad) {
		free(b);
		b = fx_reply_error(f->client_id, EIO);
	} else {
		((struct fs_rep *)b->data)->id = f->client_id;
		b->len = sizeof rep + (rep.type == FS_MSG_DATA ? rep.length : 0);
	}
	if (alive)
		s->conns[f->conn]->inflight -= f->length;
	if (alive)
		fx_conn_send(s, f->conn, b);
	else
		free(b);
	free(f);
}

/* ---- signals and the child ---- */

/* Signal the command (--mpi: the spawned processes). */
static void stop_command(struct srv *s, int sig)
{
	if (s->ch->sp)
		fx_spawn_kill(s->ch, sig);
	else
		kill(s->ch->pid, sig);
}

static void signals(struct srv *s)
{
	struct signalfd_siginfo si;
	int chld = 0;
	while (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			chld = 1;
			continue;
		}
		if (!s->ch->exited) {
			FX_INFO(s->c, "forwarding signal %d to the command", sig);
			stop_command(s, sig);
		}
	}
	fx_spawn_poll(s->ch);
	if (!s->ch->exited && !s->ch->sp && waitpid(s->ch->pid, &s->ch->status, WNOHANG) == s->ch->pid) {
		s->ch->exited = 1;
		FX_INFO(s->c, "command exited with status %d", fx_child_exit_code(s->ch));
	}
	/* Processes the command left, come to us (a subreaper's): reaped as
	 * they end, so that none stays a zombie. */
	if (chld && !s->ch->sp) {
		pid_t kids[256];
		int n = fx_child_adopted(s->ch, kids, 256);
		for (int i = 0; i < n; i++)
			waitpid(kids[i], NULL, WNOHANG);
	}
}

/* ---- a failed command ends the job ---- */

/* Our command has exited: if it failed, and not because we stopped it,
 * tell every other rank.  Synchronous sends, completed (received: every
 * launcher looks for them every FX_FAIL_POLL_SECONDS while it serves)
 * before this rank enters the last barrier, so none is left unmatched. */
static void fail_tell(struct srv *s)
{
	struct fx_ctx *c = s->c;
	int status = fx_child_exit_code(s->ch);
	if (!status || s->ch->stopped_for || c->nranks < 2)
		return;
	s->fail.sreqs = malloc((size_t)c->nranks * sizeof *s->fail.sreqs);
	if (!s->fail.sreqs) {
		fx_errf(c, "the command exited with status %d; out of memory telling the other ranks",
			status);
		MPI_Abort(c->world, status);
	}
	char others[32] = "the other rank";
	if (c->nranks > 2)
		snprintf(others, sizeof others, "the other %d ranks", c->nranks - 1);
	fx_errf(c, "the command exited with status %d: stopping it on %s (the job's status is %d)",
		status, others, status);
	s->fail.out[0] = c->rank;
	s->fail.out[1] = status;
	for (int r = 0; r < c->nranks; r++)
		if (r == c->rank)
			s->fail.sreqs[r] = MPI_REQUEST_NULL;
		else
			FX_MPI_CHECK(MPI_Issend(s->fail.out, 2, MPI_INT, r, FX_TAG_FAIL, c->world,
						&s->fail.sreqs[r]));
}

/* Another rank's command failed: stop ours if it still runs, escalating
 * to SIGKILL; our sends done.  Returns whether anything happened. */
static int fail_poll(struct srv *s, double now)
{
	struct fx_ctx *c = s->c;
	int did = 0, flag = 0;
	if (now - s->fail.polled < FX_FAIL_POLL_SECONDS)
		return 0;
	s->fail.polled = now;
	MPI_Status st;
	FX_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, FX_TAG_FAIL, c->world, &flag, &st));
	if (flag) {
		did = 1;
		FX_MPI_CHECK(MPI_Recv(s->fail.in, 2, MPI_INT, st.MPI_SOURCE, FX_TAG_FAIL, c->world,
				      MPI_STATUS_IGNORE));
		signals(s);   /* ours may have just exited by itself */
		if (!s->ch->exited && !s->ch->stopped_for) {
			s->ch->stopped_for = s->fail.in[1] ? s->fail.in[1] : FX_EXIT_FAIL;
			FX_INFO(c, "rank %d's command exited with status %d: sending SIGTERM to ours",
				s->fail.in[0], s->fail.in[1]);
			stop_command(s, SIGTERM);
			s->fail.stop_at = now;
		}
	}
	if (s->ch->stopped_for && !s->ch->exited && !s->fail.killed &&
	    now - s->fail.stop_at >= FX_STOP_GRACE) {
		fx_errf(c, "the command did not end within %.0f s of SIGTERM (rank %d's failed): "
			"sending SIGKILL", FX_STOP_GRACE, s->fail.in[0]);
		stop_command(s, SIGKILL);
		s->fail.killed = 1;
	}
	if (s->fail.sreqs) {
		flag = 1;
		for (int r = 0; r < c->nranks; r++) {
			int one = 0;
			FX_MPI_CHECK(MPI_Test(&s->fail.sreqs[r], &one, MPI_STATUS_IGNORE));
			flag &= one;
		}
		if (flag) {
			free(s->fail.sreqs);
			s->fail.sreqs = NULL;
			did = 1;
		}
	}
	return did;
}

/* The command has exited; what it left running (daemons, a DataLoader
 * worker stuck in its interpreter's after-fork) came to us: kill it, and
 * what that leaves in turn, so that nothing of the job outlives it (it
 * would hold the node's mapped partitions, and whatever it waits for). */
static void kill_leftovers(struct fx_ctx *c, const struct fx_child *ch)
{
	for (int round = 0; round < 100; round++) {
		pid_t kids[256];
		int n = fx_child_adopted(ch, kids, 256), killed = 0;
		for (int i = 0; i < n; i++) {
			char path[64], comm[32] = "?";
			snprintf(path, sizeof path, "/proc/%d/comm", (int)kids[i]);
			FILE *f = fopen(path, "re");
			if (f) {
				if (fgets(comm, sizeof comm, f))
					comm[strcspn(comm, "\n")] = 0;
				fclose(f);
			}
			if (kill(kids[i], SIGKILL) == 0) {
				fx_errf(c, "killed pid %d (%s), which the command left running",
					(int)kids[i], comm);
				killed++;
			}
			waitpid(kids[i], NULL, 0);
		}
		if (!killed)
			return;
	}
}

/* ---- the loop ---- */

int fx_listen(struct fx_ctx *c, int *lfd)
{
	*lfd = -1;
	if (c->node_rank != 0)
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", c->jobdir, FS_JOB_SOCK) >=
	    (int)sizeof sa.sun_path) {
		fx_errf(c, "socket path %s/%s is longer than %zu bytes: use a shorter --cache path",
			c->jobdir, FS_JOB_SOCK, sizeof sa.sun_path - 1);
		return FX_EXIT_FAIL;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);
	int r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r != 0 || chmod(sa.sun_path, 0600) != 0 || listen(fd, 512) != 0) {
		fx_errf(c, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return FX_EXIT_FAIL;
	}
	*lfd = fd;
	return 0;
}

static void close_clients(struct srv *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	for (size_t k = 0; k < s->nconn; k++)
		fx_conn_close(s, k);
}

static size_t fill_pollfds(struct srv *s, struct pollfd **pfds, size_t *cap)
{
	size_t need = 2 + s->nconn, n = 0;
	if (need > *cap) {
		struct pollfd *p = realloc(*pfds, need * sizeof *p);
		if (!p)
			need = *cap;
		else
			*pfds = p, *cap = need;
	}
	struct pollfd *p = *pfds;
	p[n++] = (struct pollfd){.fd = s->sfd, .events = POLLIN};
	p[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
	for (size_t k = 0; k < s->nconn && n < *cap; k++) {
		struct conn *cn = s->conns[k];
		short ev = (short)((fx_conn_readable(cn) ? POLLIN : 0) | (cn->head ? POLLOUT : 0));
		p[n++] = (struct pollfd){.fd = cn->fd, .events = ev};
	}
	return n;
}

int fx_serve(struct fx_ctx *c, struct fx_child *ch, int sfd, int lfd)
{
	struct srv s = {.c = c, .ch = ch, .sfd = sfd, .lfd = lfd};
	size_t vlen = fs_verified_len(c->img.hdr->nent);
	/* NULL: checked each time, as --verify always asks */
	s.verified = c->opt.verify_always ? NULL : fs_verified_map(c->jobdir, c->img.hdr->nent);
	struct pollfd *pfds = NULL;
	size_t cap = 0;
	MPI_Request bar = MPI_REQUEST_NULL;
	enum { FX_SERVING, FX_CHILD_GONE, FX_ALL_GONE, FX_LAST_BARRIER, FX_DONE } phase = FX_SERVING;
	double last = fx_now(), polled = 0;
	long wait_us = 0;
	unsigned idle = 0;   /* turns since anything happened */
	/* The command may have exited before the loop started, its SIGCHLD
	 * read (and dropped) by the setup's check for interruptions. */
	signals(&s);
	/* ppoll's timeouts as asked: the default slack (50 us) would double
	 * the shortest one (best effort: the default otherwise). */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (phase != FX_DONE) {
		int did = mpi_requests(&s) | rs_test(&s, &s.fwds, reply_arrived) |
			  rs_test(&s, &s.sends, send_done) | fx_chan_scan(&s);
		for (size_t k = 0; k < s.nconn; k++) {
			struct conn *cn = s.conns[k];
			if (cn->fd >= 0 && cn->inlen >= sizeof(struct fs_req) && fx_conn_readable(cn))
				fx_conn_drain(&s, k);
		}
		/* Spinning, the sockets are looked at every FX_POLL_SECONDS only:
		 * requests come through the channels, which cost no call. */
		double t = fx_now();
		int ready = 0;
		size_t n = 0;
		if (wait_us || t - polled >= FX_POLL_SECONDS) {
			n = fill_pollfds(&s, &pfds, &cap);
			int sleeping = wait_us != 0;
			if (sleeping && fx_chan_sleeping(&s, 1)) {
				wait_us = 0;   /* posted meanwhile: do not block */
				did = 1;
			}
			struct timespec ts = {0, wait_us * 1000};
			s.st.polls++;
			s.st.sleeps += wait_us != 0;
			ready = ppoll(pfds, n, &ts, NULL);
			if (sleeping)
				fx_chan_sleeping(&s, 0);
			polled = t;
		}
		if (ready > 0) {
			did = 1;
			if (pfds[0].revents)
				signals(&s);
			if (pfds[1].revents && s.lfd >= 0)
				fx_conn_accept(&s);
			for (size_t i = 2; i < n; i++)
				if (pfds[i].revents && pfds[i].fd >= 0)
					fx_conn_io(&s, i - 2, pfds[i].revents);
		}
		did |= fail_poll(&s, t);
		if (phase == FX_SERVING && ch->exited) {
			fail_tell(&s);
			FX_MPI_CHECK(MPI_Ibarrier(c->world, &bar));
			phase = FX_CHILD_GONE;
		}
		int flag = 0;
		if (phase == FX_CHILD_GONE || phase == FX_LAST_BARRIER)
			FX_MPI_CHECK(MPI_Test(&bar, &flag, MPI_STATUS_IGNORE));
		if (flag) {
			if (phase == FX_CHILD_GONE)
				close_clients(&s);
			phase++;
		}
		if (phase == FX_ALL_GONE && !s.fwds.live && !s.fail.sreqs) {
			FX_MPI_CHECK(MPI_Ibarrier(c->world, &bar));
			phase = FX_LAST_BARRIER;
		}
		s.st.turns++;
		if (did || s.fwds.live || s.sends.live)
			last = t, idle = 0;
		else if (idle < FX_SPIN_TURNS)
			idle++;
		/* Idle for FX_SPIN_SECONDS of the clock and FX_SPIN_TURNS turns:
		 * a launcher that was off the CPU meanwhile has not been idle. */
		if (t - last < FX_SPIN_SECONDS || idle < FX_SPIN_TURNS) {
			wait_us = 0;
			/* Nothing moved: give the CPU to whoever we wait for (on a
			 * shared core, the other side of an MPI transfer). */
			if (!did) {
				s.st.yields++;
				sched_yield();
			}
		} else if (t - last < FX_DOZE_SECONDS) {
			wait_us = FX_WAIT_MIN_US;   /* requests may still be coming */
		} else {
			long most = t - last < FX_IDLE_SECONDS ? FX_WAIT_MAX_US : FX_IDLE_WAIT_MAX_US;
			wait_us = wait_us ? (wait_us * 2 > most ? most : wait_us * 2) : FX_WAIT_MIN_US;
		}
	}
	while (s.sends.live)
		rs_test(&s, &s.sends, send_done);
	if (!ch->sp)
		kill_leftovers(c, ch);
	FX_INFO(c, "served %llu requests from other ranks, forwarded %llu, answered %llu locally",
		(unsigned long long)s.n_served, (unsigned long long)s.n_forwarded,
		(unsigned long long)s.n_local);
	FX_INFO(c, "loop: %llu turns, %llu yields, %llu polls of which %llu slept, %llu processes woken",
		(unsigned long long)s.st.turns, (unsigned long long)s.st.yields,
		(unsigned long long)s.st.polls, (unsigned long long)s.st.sleeps,
		(unsigned long long)s.st.wakes);
	close_clients(&s);
	for (size_t k = 0; k < s.nconn; k++)
		free(s.conns[k]);
	free(s.conns);
	free(pfds);
	rs_free(&s.fwds);
	rs_free(&s.sends);
	if (s.verified)
		munmap(s.verified, vlen);
	return 0;
}
