/*
 * fsread - a reader of a FanStore job directory, for testing fanstore-exec
 * without the preloaded library.  Run as the command of fanstore-exec.
 *
 *   fsread ORIG            walk every entry of $FANSTORE_JOBDIR/meta.img;
 *                          read local blobs from the job directory's
 *                          partitions and remote ones through
 *                          $FANSTORE_JOBDIR/sock; decode; compare bytes and
 *                          stat with the original tree ORIG, and check that
 *                          every path of ORIG is in the image.
 *   fsread --chan ORIG     the same, remote blobs through a shared-memory
 *                          channel (what libfanstore uses)
 *   fsread --bench SECONDS [INFLIGHT [socket|local]]
 *                          fetch and decode remote files round-robin for
 *                          SECONDS with INFLIGHT requests outstanding (a raw
 *                          blob its holder checked is only copied, as
 *                          libfanstore does),
 *                          through a channel (or the socket alone; or
 *                          local files through a channel, no MPI);
 *                          print files/s, MB/s and the mean time from a
 *                          request to its reply.  FSREAD_GAP_US=N: wait N
 *                          us after each reply before the next request (a
 *                          reader that does other work between reads).
 *   fsread --ping          one PING through the socket.
 *
 * Exit 0 when everything matched, 1 on any mismatch, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "proto.h"
#include "store.h"

struct rd {
	const char *jobdir;
	struct fs_image img;
	struct fs_part **parts;
	int sock;
	int use_chan;
	struct fs_chan ch;
	uint64_t next_id;
	uint64_t n_local, n_remote, bytes, bad;
	const char *orig;
};

static struct rd R;

static void mismatch(const char *what, const char *name)
{
	fprintf(stderr, "fsread: MISMATCH %s: %s\n", what, name);
	R.bad++;
}

static int sock_connect(void)
{
	if (R.sock >= 0)
		return R.sock;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", R.jobdir, FS_JOB_SOCK);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "fsread: connect %s: %s\n", sa.sun_path, strerror(errno));
		exit(1);
	}
	return R.sock = fd;
}

static int io_all(int fd, void *buf, size_t n, int wr)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void send_req(uint16_t type, uint64_t id, uint64_t ent, uint64_t off, uint64_t len)
{
	struct fs_req q;
	fs_req_init(&q, type, id, ent, off, len);
	if (io_all(sock_connect(), &q, sizeof q, 1)) {
		fprintf(stderr, "fsread: socket write: %s\n", strerror(errno));
		exit(1);
	}
}

/* Read one reply header; its data (if any) goes to dst. */
static int recv_rep(struct fs_rep *rep, uint64_t expect_id, uint64_t expect_len, void *dst)
{
	uint8_t hdr[sizeof *rep];
	if (io_all(R.sock, hdr, sizeof hdr, 0)) {
		fprintf(stderr, "fsread: socket read: %s\n", errno ? strerror(errno) : "closed");
		exit(1);
	}
	int e = fs_rep_check(hdr, sizeof hdr, expect_id, expect_len, rep);
	if (e)
		return e;
	if (rep->type == FS_MSG_ERROR)
		return rep->status;
	if (io_all(R.sock, dst, rep->length, 0)) {
		fprintf(stderr, "fsread: socket read: %s\n", strerror(errno));
		exit(1);
	}
	return 0;
}

static void chan_open(int nslots)
{
	char err[256];
	if (R.ch.base)
		return;
	int e = fs_chan_open(&R.ch, R.jobdir, (unsigned)nslots, FS_CHUNK_MAX - FS_CHAN_PAGE, 20, err,
			     sizeof err);
	if (e) {
		fprintf(stderr, "fsread: %s\n", err);
		exit(1);
	}
}

static int chan_fetch(uint64_t ent, uint64_t stored, uint8_t *dst)
{
	chan_open(1);
	int verified, refused;
	int e = fs_chan_fetch(&R.ch, ent, dst, stored, 20, &verified, &refused);
	if (e && !refused) {
		fprintf(stderr, "fsread: channel: %s\n", strerror(e));
		exit(1);
	}
	return e;
}

static int fetch(uint64_t ent, uint64_t stored, uint8_t *dst)
{
	if (R.use_chan)
		return chan_fetch(ent, stored, dst);
	for (uint64_t off = 0; off < stored;) {
		uint64_t n = stored - off < FS_CHUNK_MAX ? stored - off : FS_CHUNK_MAX;
		struct fs_rep rep;
		uint64_t id = ++R.next_id;
		send_req(FS_MSG_FETCH, id, ent, off, n);
		int e = recv_rep(&rep, id, n, dst + off);
		if (e)
			return e;
		off += n;
	}
	return 0;
}

static const struct fs_part *part(uint32_t slot)
{
	if (!R.parts[slot]) {
		char path[PATH_MAX];
		struct fs_err err;
		snprintf(path, sizeof path, "%s/%s", R.jobdir, R.img.parts[slot].name);
		/* as the library: blobs are found through the image, so the
		 * header is checked, not the entries (with the dataset's image
		 * the job's copy has no index) */
		if (fs_part_map(path, &R.parts[slot], &err) != FS_OK) {
			fprintf(stderr, "fsread: %s\n", err.msg);
			exit(1);
		}
	}
	return R.parts[slot];
}

/* The stored blob of a file entry, local or fetched; *tofree set when
 * malloc'ed. */
static const uint8_t *blob(uint64_t i, uint8_t **tofree)
{
	const struct fs_ment *e = fs_image_ent(&R.img, i);
	*tofree = NULL;
	if (R.img.parts[e->part].local) {
		R.n_local++;
		return (const uint8_t *)fs_part_base(part(e->part)) + e->off;
	}
	R.n_remote++;
	uint8_t *b = malloc(e->stored ? e->stored : 1);
	if (!b)
		exit(1);
	int err = fetch(i, e->stored, b);
	if (err) {
		fprintf(stderr, "fsread: fetching %s: %s\n", fs_image_name(&R.img, e), strerror(err));
		mismatch("remote fetch failed", fs_image_name(&R.img, e));
	}
	return *tofree = b;
}

static void check_file(uint64_t i, const char *orig)
{
	const struct fs_ment *e = fs_image_ent(&R.img, i);
	const char *name = fs_image_name(&R.img, e);
	uint8_t *tofree, *got = malloc(e->size ? e->size : 1), *want = malloc(e->size + 1);
	const uint8_t *src = blob(i, &tofree);
	if (fs_blob_decode(e->method, src, e->stored, got, e->size, e->crc) != FS_OK)
		mismatch("decode/crc", name);
	int fd = open(orig, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, want, e->size + 1);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)e->size || memcmp(got, want, e->size) != 0)
		mismatch("content", name);
	R.bytes += e->size;
	free(tofree);
	free(got);
	free(want);
}

static void check_entry(uint64_t i)
{
	const struct fs_ment *e = fs_image_ent(&R.img, i);
	const char *name = fs_image_name(&R.img, e);
	char orig[PATH_MAX * 2];
	snprintf(orig, sizeof orig, "%s%s%s", R.orig, e->name_len ? "/" : "", name);
	struct stat a, b;
	if (lstat(orig, &b) != 0) {
		mismatch("not in the original tree", name);
		return;
	}
	fs_image_stat(&R.img, i, getuid(), getgid(), &a);
	if (i != 0 && a.st_mode != b.st_mode)
		mismatch("st_mode", name);
	if (!S_ISDIR(b.st_mode) && a.st_size != b.st_size)
		mismatch("st_size", name);
	if (!S_ISDIR(b.st_mode) && (a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec))
		mismatch("st_mtime", name);
	if (S_ISDIR(b.st_mode) && a.st_nlink != b.st_nlink)
		mismatch("st_nlink of a directory", name);
	if (S_ISREG(b.st_mode) && a.st_nlink != 1)
		mismatch("st_nlink of a file", name);
	if (S_ISREG(a.st_mode))
		check_file(i, orig);
	if (S_ISLNK(a.st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(orig, t, sizeof t);
		if (n != (ssize_t)e->size || memcmp(t, R.img.names + e->off, e->size) != 0)
			mismatch("symlink target", name);
	}
}

static uint64_t walked;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0)
		return 0;
	const char *rel = path + strlen(R.orig) + 1;
	walked++;
	if (fs_image_lookup(&R.img, rel, strlen(rel), NULL) < 0)
		mismatch("missing from the image", rel);
	return 0;
}

static int verify(const char *orig)
{
	R.orig = orig;
	for (uint64_t i = 0; i < R.img.hdr->nent; i++)
		check_entry(i);
	nftw(orig, walk_one, 16, FTW_PHYS);
	if (walked + 1 != R.img.hdr->nent)
		mismatch("entry count differs from the original tree", orig);
	printf("fsread: %llu entries, files %llu local %llu remote, %llu bytes, %llu mismatches\n",
	       (unsigned long long)R.img.hdr->nent, (unsigned long long)R.n_local,
	       (unsigned long long)R.n_remote, (unsigned long long)R.bytes, (unsigned long long)R.bad);
	return R.bad ? 1 : 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A transport for the bench: post a FETCH of a whole blob in slot k; take
 * the next reply (in *k) and its bytes; give slot k back. */
struct xport {
	const char *name;
	void (*post)(int k, uint64_t ent);
	const uint8_t *(*take)(int *k, const uint64_t *slot_ent, int inflight);
	void (*done)(int k);
};

static uint64_t *chan_ids;
static uint8_t **sock_bufs;
static uint32_t take_flags;     /* of the reply take() returned */

static void chan_post(int k, uint64_t ent)
{
	chan_ids[k] = fs_chan_post(&R.ch, (unsigned)k, ent, 0, R.img.ents[ent].stored);
}

/* Replies are taken in slot order; the others keep coming meanwhile. */
static const uint8_t *chan_take(int *k, const uint64_t *slot_ent, int inflight)
{
	static int next;
	while (!chan_ids[next])
		next = (next + 1) % inflight;
	*k = next;
	next = (next + 1) % inflight;
	struct fs_rep rep;
	int e = fs_chan_wait(&R.ch, (unsigned)*k, chan_ids[*k], R.img.ents[slot_ent[*k]].stored, 20, &rep);
	if (e || rep.type != FS_MSG_DATA) {
		fprintf(stderr, "fsread: channel: %s\n", strerror(e ? e : rep.status));
		return NULL;
	}
	take_flags = rep.flags;
	return fs_chan_bytes(&R.ch, (unsigned)*k);
}

static void chan_done(int k)
{
	fs_chan_release(&R.ch, (unsigned)k);
	chan_ids[k] = 0;
}

static void sock_post(int k, uint64_t ent)
{
	send_req(FS_MSG_FETCH, (uint64_t)k, ent, 0, R.img.ents[ent].stored);
}

/* Replies come back in completion order: the id names the slot. */
static const uint8_t *sock_take(int *k, const uint64_t *slot_ent, int inflight)
{
	uint8_t hdr[sizeof(struct fs_rep)];
	struct fs_rep rep;
	if (io_all(R.sock, hdr, sizeof hdr, 0))
		return NULL;
	memcpy(&rep, hdr, sizeof rep);
	if (rep.id >= (uint64_t)inflight || rep.type != FS_MSG_DATA ||
	    fs_rep_check(hdr, sizeof hdr, rep.id, R.img.ents[slot_ent[rep.id]].stored, &rep)) {
		fprintf(stderr, "fsread: bad reply (id %llu type %u status %d)\n", (unsigned long long)rep.id,
			rep.type, rep.status);
		return NULL;
	}
	*k = (int)rep.id;
	take_flags = rep.flags;
	return io_all(R.sock, sock_bufs[*k], rep.length, 0) ? NULL : sock_bufs[*k];
}

static void sock_done(int k)
{
	(void)k;
}

static int bench(double seconds, int inflight, int socket_only, int local)
{
	uint64_t n = 0, *ents = malloc(R.img.hdr->nent * sizeof *ents);
	for (uint64_t i = 0; i < R.img.hdr->nent; i++) {
		const struct fs_ment *e = fs_image_ent(&R.img, i);
		if (S_ISREG(e->mode) && e->stored && e->stored <= FS_CHUNK_MAX - FS_CHAN_PAGE &&
		    !R.img.parts[e->part].local == !local)
			ents[n++] = i;
	}
	if (!n) {
		fprintf(stderr, "fsread: no %s files to read\n", local ? "local" : "remote");
		return 1;
	}
	if (inflight < 1 || inflight > (int)FS_CHAN_SLOTS_MAX) {
		fprintf(stderr, "fsread: INFLIGHT must be 1..%u\n", FS_CHAN_SLOTS_MAX);
		return 2;
	}
	static const struct xport chan = {"channel", chan_post, chan_take, chan_done};
	static const struct xport sock = {"socket", sock_post, sock_take, sock_done};
	const struct xport *x = socket_only ? &sock : &chan;
	if (socket_only) {
		sock_bufs = calloc((size_t)inflight, sizeof *sock_bufs);
		for (int k = 0; k < inflight; k++)
			sock_bufs[k] = malloc(FS_CHUNK_MAX);
	} else {
		chan_open(inflight);
		chan_ids = calloc((size_t)inflight, sizeof *chan_ids);
	}
	uint8_t *out = malloc(FS_CHUNK_MAX);
	uint64_t *slot_ent = calloc((size_t)inflight, sizeof *slot_ent);
	double *posted = calloc((size_t)inflight, sizeof *posted), waited = 0;
	const char *g = getenv("FSREAD_GAP_US");
	long gap_us = g ? atol(g) : 0;
	uint64_t files = 0, bytes = 0, next = 0;
	double t0 = now(), t1 = t0;
	for (int k = 0; k < inflight; k++) {
		slot_ent[k] = ents[next++ % n];
		posted[k] = now();
		x->post(k, slot_ent[k]);
	}
	for (int outstanding = inflight; outstanding; outstanding--) {
		int k;
		const uint8_t *blob = x->take(&k, slot_ent, inflight);
		const struct fs_ment *e = blob ? fs_image_ent(&R.img, slot_ent[k]) : NULL;
		/* As libfanstore: a raw blob its holder checked is only copied. */
		if (e && e->method == FS_METHOD_RAW && (take_flags & FS_REP_VERIFIED))
			memcpy(out, blob, e->size);
		else if (!blob || fs_blob_decode(e->method, blob, e->stored, out, e->size, e->crc) != FS_OK) {
			fprintf(stderr, "fsread: bad reply%s%s\n", e ? " for " : "", e ? fs_image_name(&R.img, e) : "");
			return 1;
		}
		x->done(k);
		files++;
		bytes += e->size;
		t1 = now();
		waited += t1 - posted[k];
		if (t1 - t0 < seconds) {
			if (gap_us > 0) {
				struct timespec ts = {gap_us / 1000000, gap_us % 1000000 * 1000};
				nanosleep(&ts, NULL);
			}
			slot_ent[k] = ents[next++ % n];
			posted[k] = now();
			x->post(k, slot_ent[k]);
			outstanding++;
		}
	}
	double dt = t1 - t0;
	printf("fsread: bench %d in flight (%s): %llu files in %.3f s: %.0f files/s %.1f MB/s, %.1f us a reply\n",
	       inflight, x->name, (unsigned long long)files, dt, (double)files / dt, (double)bytes / dt / 1e6,
	       files ? waited / (double)files * 1e6 : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	R.sock = -1;
	R.ch.sock = -1;
	R.jobdir = getenv(FS_ENV_JOBDIR);
	if (argc < 2 || !R.jobdir) {
		fprintf(stderr, "usage: fsread ORIG | --bench SECONDS [INFLIGHT] | --ping  (under fanstore-exec)\n");
		return 2;
	}
	char path[PATH_MAX];
	struct fs_err err;
	snprintf(path, sizeof path, "%s/%s", R.jobdir, FS_JOB_IMAGE);
	if (fs_image_open(path, &R.img, &err) != FS_OK || fs_image_verify(&R.img, &err) != FS_OK) {
		fprintf(stderr, "fsread: %s\n", err.msg);
		return 1;
	}
	R.parts = calloc(R.img.hdr->nparts, sizeof *R.parts);
	if (strcmp(argv[1], "--bench") == 0)
		return bench(argc > 2 ? atof(argv[2]) : 2.0, argc > 3 ? atoi(argv[3]) : 1,
			     argc > 4 && strcmp(argv[4], "socket") == 0, argc > 4 && strcmp(argv[4], "local") == 0);
	if (strcmp(argv[1], "--ping") == 0) {
		struct fs_rep rep;
		send_req(FS_MSG_PING, 7, 0, 0, 0);
		int e = recv_rep(&rep, 7, 0, NULL);
		printf("fsread: ping %s\n", e ? strerror(e) : "ok");
		return e ? 1 : 0;
	}
	if (strcmp(argv[1], "--chan") == 0 && argc > 2) {
		R.use_chan = 1;
		return verify(argv[2]);
	}
	return verify(argv[1]);
}
