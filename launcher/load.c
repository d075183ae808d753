/*
 * load.c - partitions from the shared file system into the job directory.
 *
 * Scatter partition slot s is held by rank s % nranks and, with
 * --replicas R, by the next R-1 ranks.  On each node the lowest rank that
 * holds a slot (its copier) puts it in the job directory (verbatim: data
 * stays compressed at rest) under a temporary name, renames it and
 * validates it (fs_part_open + fs_manifest_match).  Only the copier on
 * the primary holder's node reads the shared file system; copiers on
 * other nodes (replicas) get the bytes from it over MPI.  The broadcast
 * partition is read by rank 0 alone and sent to every node leader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fx.h"

#define FX_COPY_BUF (4u << 20)
#define FX_BCAST_CHUNK (64u << 20)

static uint32_t bcast_slot(const struct fx_ctx *c)
{
	return c->man.hdr.has_bcast ? c->man.hdr.npart : UINT32_MAX;
}

int fx_slot_primary(const struct fx_ctx *c, uint32_t s)
{
	return s < c->man.hdr.npart ? (int)(s % (uint32_t)c->nranks) : 0;
}

static unsigned copies(const struct fx_ctx *c)
{
	return c->opt.replicas < (unsigned)c->nranks ? c->opt.replicas : (unsigned)c->nranks;
}

int fx_holds(const struct fx_ctx *c, int rank, uint32_t s)
{
	if (s >= c->man.hdr.npart)
		return rank == 0;
	int n = c->nranks;
	for (unsigned k = 0; k < copies(c); k++)
		if ((fx_slot_primary(c, s) + (int)k) % n == rank)
			return 1;
	return 0;
}

int fx_slot_owner_for(const struct fx_ctx *c, uint32_t s, int node_id)
{
	unsigned k = (unsigned)node_id % copies(c);
	return (fx_slot_primary(c, s) + (int)k) % c->nranks;
}

int fx_plan(struct fx_ctx *c)
{
	c->nslot = c->man.hdr.npart + (c->man.hdr.has_bcast ? 1 : 0);
	c->held = calloc(c->nslot, 1);
	c->on_node = calloc(c->nslot, 1);
	c->parts = calloc(c->nslot, sizeof *c->parts);
	if (!c->held || !c->on_node || !c->parts)
		return FX_EXIT_FAIL;
	for (uint32_t s = 0; s < c->man.hdr.npart; s++)
		c->held[s] = (uint8_t)fx_holds(c, c->rank, s);
	return 0;
}

void fx_plan_node(struct fx_ctx *c)
{
	for (uint32_t s = 0; s < c->man.hdr.npart; s++)
		for (int i = 0; i < c->node_size; i++)
			if (fx_holds(c, c->node_ranks[i], s))
				c->on_node[s] = 1;
	if (c->man.hdr.has_bcast) {
		c->on_node[bcast_slot(c)] = 1;
		c->held[bcast_slot(c)] = c->node_rank == 0;
	}
}

/* The lowest rank on `node` that holds slot s, or -1. */
static int node_copier(const struct fx_ctx *c, uint32_t s, int node)
{
	int best = -1;
	for (unsigned k = 0; k < copies(c); k++) {
		int h = (fx_slot_primary(c, s) + (int)k) % c->nranks;
		if (c->node_of[h] == node && (best < 0 || h < best))
			best = h;
	}
	return best;
}

/* This rank puts slot s in its node's job directory. */
static int copier(const struct fx_ctx *c, uint32_t s)
{
	return c->held[s] && node_copier(c, s, c->node_id) == c->rank;
}

/* The one rank that reads slot s from the shared file system. */
static int reader(const struct fx_ctx *c, uint32_t s)
{
	return node_copier(c, s, c->node_of[fx_slot_primary(c, s)]);
}

static void slot_name(const struct fx_ctx *c, uint32_t s, char *buf, size_t len)
{
	fs_part_filename(s == bcast_slot(c) ? FS_PART_BCAST : s, buf, len);
}

/* The dataset's file for slot s: present, a regular file of the size the
 * manifest says. */
static int check_source(const struct fx_ctx *c, uint32_t s, const char *src)
{
	char name[32], a[32], b[32];
	slot_name(c, s, name, sizeof name);
	struct stat st;
	uint64_t want = c->man.parts[s].file_size;
	if (stat(src, &st) != 0) {
		fx_errf(c, "partition %s of dataset %s: %s (the manifest lists it): repack the dataset or restore the file",
			name, c->opt.data, strerror(errno));
		return FX_EXIT_FAIL;
	}
	if (!S_ISREG(st.st_mode)) {
		fx_errf(c, "partition %s of dataset %s: not a regular file", name, c->opt.data);
		return FX_EXIT_FAIL;
	}
	if ((uint64_t)st.st_size != want) {
		fx_errf(c, "partition %s of dataset %s: %s: %s of %s: repack the dataset or restore the file",
			name, c->opt.data, (uint64_t)st.st_size < want ? "truncated" : "wrong size",
			fx_bytes((uint64_t)st.st_size, a, sizeof a), fx_bytes(want, b, sizeof b));
		return FX_EXIT_FAIL;
	}
	return 0;
}

/* Map the partition at path and match it against the manifest. */
static int validate(struct fx_ctx *c, uint32_t s, const char *path)
{
	char name[32];
	slot_name(c, s, name, sizeof name);
	struct fs_err err = {0};
	struct fs_part *p = NULL;
	/* With the dataset's image nothing here reads the entries (blobs are
	 * found through the image, each checked against the file's size), so
	 * the header alone is checked, not every entry. */
	if ((c->pre ? fs_part_map(path, &p, &err) : fs_part_open(path, &p, &err)) != FS_OK ||
	    fs_manifest_match(&c->man, s, fs_part_header(p), name, &err) != FS_OK) {
		fx_errf(c, "partition %s of dataset %s is damaged: %s: repack the dataset or restore the file",
			name, c->opt.data, err.msg);
		fs_part_free(&p);
		return FX_EXIT_FAIL;
	}
	fs_part_free(&c->parts[s]);
	c->parts[s] = p;
	return 0;
}

/* A write into the job directory failed (errno): say which file and
 * why, and when the cache is full how much this node needs and what to do. */
static void write_failed(struct fx_ctx *c, const char *tmp, int e)
{
	fx_errf(c, "writing %s: %s", tmp, strerror(e));
	if (e == ENOSPC || e == EDQUOT)
		fx_cache_full(c);
}

static int tmp_open(struct fx_ctx *c, const char *name, char *tmp, size_t cap)
{
	char base[48];
	snprintf(base, sizeof base, ".%s.tmp", name);
	if (fx_path(tmp, cap, c->jobdir, base))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fx_errf(c, "cannot create %s: %s", tmp, strerror(errno));
	return fd;
}

/* Rename tmp to the slot's final name, then validate it. */
static int install(struct fx_ctx *c, uint32_t s, const char *tmp)
{
	char name[32], dst[PATH_MAX];
	slot_name(c, s, name, sizeof name);
	if (fx_path(dst, sizeof dst, c->jobdir, name) || rename(tmp, dst) != 0) {
		fx_errf(c, "cannot rename %s into place: %s", tmp, strerror(errno));
		unlink(tmp);
		return FX_EXIT_FAIL;
	}
	return validate(c, s, dst);
}

/*
 * A partition received over MPI into tmp, chunk by chunk.  Once a write
 * fails the file is closed (fd -1) and later chunks are still received and
 * dropped, so that the sender never waits.
 */
struct received {
	const char *tmp;
	int fd, made, failed;
};

static void received_write(struct fx_ctx *c, struct received *r, const void *p, size_t n,
			   uint64_t off)
{
	int w = r->fd >= 0 ? fs_pwrite_all(r->fd, p, n, off) : 0;
	if (w) {
		write_failed(c, r->tmp, w);
		close(r->fd);
		r->fd = -1;
		r->failed = 1;
	}
	fx_progress(c, n);
}

/* All chunks in (or rc set): close tmp and install it as slot s, or remove it. */
static int received_end(struct fx_ctx *c, struct received *r, int rc, uint32_t s, uint64_t total)
{
	if (r->fd >= 0 && close(r->fd) != 0) {
		write_failed(c, r->tmp, errno);
		r->failed = 1;
	}
	if (rc || r->failed) {
		if (r->made)
			unlink(r->tmp);
		return FX_EXIT_FAIL;
	}
	c->held_bytes += total;
	return install(c, s, r->tmp);
}

/*
 * The next chunk of in (at most n bytes) into out at off: bytes copied, 0
 * at the end of in, or -1 with errno (*wrote: writing failed, as far as can
 * be told).  sendfile moves the bytes inside the kernel, one copy instead
 * of two through buf, which on a cache in memory is most of the work; where
 * it cannot (EINVAL, ENOSYS: a file system without splice) *kernel is
 * cleared and read and fs_pwrite_all do it.
 */
static ssize_t copy_chunk(int in, int out, uint64_t off, uint8_t *buf, size_t n, int *kernel,
			  int *wrote)
{
	*wrote = 0;
	if (*kernel) {
		ssize_t r = sendfile(out, in, NULL, n);
		if (r >= 0 || (errno != EINVAL && errno != ENOSYS)) {
			*wrote = r < 0 && (errno == ENOSPC || errno == EDQUOT || errno == EFBIG);
			return r;
		}
		*kernel = 0;
	}
	ssize_t r = read(in, buf, n);
	int e = r > 0 ? fs_pwrite_all(out, buf, (size_t)r, off) : 0;
	if (e) {
		errno = e;
		*wrote = 1;
		return -1;
	}
	return r;
}

/* Partitions copied without their index: the dataset's image serves the
 * namespace and blobs are found through it, so the index at the end of
 * each file is never read in this job and stays a hole.  Only where the
 * reader's copy is the node's only one (no --replicas), so that
 * fx_load_indexes can fill every hole in should the image be unusable. */
static int sparse(const struct fx_ctx *c)
{
	return c->pre && copies(c) == 1;
}

/* Where the index of the partition file `in` starts (its length when the
 * header cannot say: the copy is then whole, and checked as usual). */
static uint64_t index_start(int in, uint64_t total)
{
	struct fs_part_hdr h;
	if (pread(in, &h, sizeof h, 0) != (ssize_t)sizeof h || h.index_off > total)
		return total;
	return h.index_off;
}

static int copy_slot(struct fx_ctx *c, uint32_t s, uint8_t *buf)
{
	char name[32], src[PATH_MAX], tmp[PATH_MAX];
	slot_name(c, s, name, sizeof name);
	if (fx_path(src, sizeof src, c->opt.data, name))
		return FX_EXIT_FAIL;
	int rc = check_source(c, s, src);
	if (rc)
		return rc;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fx_errf(c, "cannot open partition %s: %s", src, strerror(errno));
		return FX_EXIT_FAIL;
	}
	int out = tmp_open(c, name, tmp, sizeof tmp);
	if (out < 0) {
		close(in);
		return FX_EXIT_FAIL;
	}
	uint64_t size = c->man.parts[s].file_size, done = 0;
	uint64_t total = sparse(c) ? index_start(in, size) : size;
	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	int kernel = 1, wrote;
	while (done < total) {
		size_t n = total - done < FX_COPY_BUF ? (size_t)(total - done) : FX_COPY_BUF;
		ssize_t r = copy_chunk(in, out, done, buf, n, &kernel, &wrote);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && wrote) {
			write_failed(c, tmp, errno);
			goto fail;
		}
		if (r <= 0) {
			fx_errf(c, "reading partition %s: %s", src, r ? strerror(errno) : "file shrank while copying");
			goto fail;
		}
		done += (uint64_t)r;
		fx_progress(c, (uint64_t)r);
	}
	close(in);
	/* The index left out is in place as a hole: the progress line counts
	 * whole partitions, whatever is copied of them. */
	fx_progress(c, size - total);
	if ((total < size && ftruncate(out, (off_t)size) != 0) || close(out) != 0) {
		write_failed(c, tmp, errno);
		unlink(tmp);
		return FX_EXIT_FAIL;
	}
	c->held_bytes += total;
	FX_DEBUG(c, "copied %s (%llu bytes)", name, (unsigned long long)total);
	return install(c, s, tmp);
fail:
	close(in);
	close(out);
	unlink(tmp);
	return FX_EXIT_FAIL;
}

/* fn on each scatter slot this rank reads from the dataset, in order,
 * with one copy buffer; stops at the first failure. */
static int each_read(struct fx_ctx *c, int (*fn)(struct fx_ctx *, uint32_t, uint8_t *))
{
	uint8_t *buf = NULL;
	int rc = 0;
	for (uint32_t s = 0; s < c->man.hdr.npart && !rc; s++) {
		if (!copier(c, s) || reader(c, s) != c->rank)
			continue;
		if (!buf && !(buf = malloc(FX_COPY_BUF)))
			return FX_EXIT_FAIL;
		rc = fn(c, s, buf);
	}
	free(buf);
	return rc;
}

static int load_scatter(struct fx_ctx *c)
{
	return each_read(c, copy_slot);
}

/* Rank 0 maps and checks fs_bcast from the dataset; everyone learns
 * whether that worked. */
static int bcast_source(struct fx_ctx *c, struct fs_part **src)
{
	int rc = 0;
	if (c->rank == 0) {
		uint32_t s = bcast_slot(c);
		char path[PATH_MAX];
		rc = fx_path(path, sizeof path, c->opt.data, FS_BCAST_NAME) ? FX_EXIT_FAIL : check_source(c, s, path);
		struct fs_err err = {0};
		if (!rc && (fs_part_open(path, src, &err) != FS_OK ||
			    fs_manifest_match(&c->man, s, fs_part_header(*src), FS_BCAST_NAME, &err) != FS_OK)) {
			fx_errf(c, "partition %s of dataset %s is damaged: %s: repack the dataset or restore the file",
				FS_BCAST_NAME, c->opt.data, err.msg);
			rc = FX_EXIT_FAIL;
		}
	}
	return fx_agree(c->world, rc);
}

static int load_bcast(struct fx_ctx *c)
{
	struct fs_part *src = NULL;
	int rc = bcast_source(c, &src);
	if (rc || c->node_rank != 0) {
		fs_part_free(&src);
		return rc;
	}
	uint32_t s = bcast_slot(c);
	uint64_t total = c->man.parts[s].file_size, done = 0;
	char tmp[PATH_MAX];
	struct received r = { .tmp = tmp, .fd = tmp_open(c, FS_BCAST_NAME, tmp, sizeof tmp) };
	r.made = r.fd >= 0;
	uint8_t *buf = c->rank == 0 ? NULL : malloc(total < FX_BCAST_CHUNK ? total + 1 : FX_BCAST_CHUNK);
	/* Leaders agree that they can all receive before the first chunk; a
	 * later write failure does not stop the broadcast, so nobody waits. */
	rc = fx_agree(c->leaders, r.fd >= 0 && (c->rank == 0 || buf) ? 0 : FX_EXIT_FAIL);
	while (!rc && done < total) {
		size_t n = total - done < FX_BCAST_CHUNK ? (size_t)(total - done) : FX_BCAST_CHUNK;
		uint8_t *p = c->rank == 0 ? (uint8_t *)fs_part_base(src) + done : buf;
		FX_MPI_CHECK(MPI_Bcast(p, (int)n, MPI_BYTE, 0, c->leaders));
		received_write(c, &r, p, n, done);
		done += n;
	}
	free(buf);
	fs_part_free(&src);
	return received_end(c, &r, rc, s, total);
}

/* Receive slot s from rank `from` into the job directory.  Every chunk is
 * received even after a local failure, so that the sender never waits. */
static int recv_slot(struct fx_ctx *c, uint32_t s, int from, uint8_t *buf)
{
	char name[32], tmp[PATH_MAX];
	slot_name(c, s, name, sizeof name);
	struct received r = { .tmp = tmp, .fd = tmp_open(c, name, tmp, sizeof tmp) };
	r.made = r.fd >= 0;
	r.failed = r.fd < 0;
	uint64_t total = c->man.parts[s].file_size;
	for (uint64_t done = 0; done < total;) {
		size_t n = total - done < FX_COPY_BUF ? (size_t)(total - done) : FX_COPY_BUF;
		FX_MPI_CHECK(MPI_Recv(buf, (int)n, MPI_BYTE, from, FX_TAG_BCAST, c->world,
				      MPI_STATUS_IGNORE));
		received_write(c, &r, buf, n, done);
		done += n;
	}
	if (!r.failed)
		FX_DEBUG(c, "received %s from rank %d", name, from);
	return received_end(c, &r, 0, s, total);
}

static void send_slot(struct fx_ctx *c, uint32_t s, int to)
{
	const struct fs_part *p = fx_part(c, s);
	const uint8_t *base = fs_part_base(p);
	uint64_t total = c->man.parts[s].file_size;
	for (uint64_t done = 0; done < total;) {
		size_t n = total - done < FX_COPY_BUF ? (size_t)(total - done) : FX_COPY_BUF;
		FX_MPI_CHECK(MPI_Send(base + done, (int)n, MPI_BYTE, to, FX_TAG_BCAST, c->world));
		done += n;
	}
}

/* Holder k of slot s gets it over MPI from the reader (*from) when it is
 * its node's copier on a node other than the reader's. */
static int replica_target(const struct fx_ctx *c, uint32_t s, unsigned k, int *from)
{
	int h = (fx_slot_primary(c, s) + (int)k) % c->nranks;
	*from = reader(c, s);
	if (c->node_of[h] == c->node_of[*from] || node_copier(c, s, c->node_of[h]) != h)
		return -1;
	return h;
}

/*
 * Replicas on other nodes: slot by slot, in the same order on every rank,
 * the reader sends the partition to each other node's copier, so every
 * transfer has its two ends in the same step and none can wait on another.
 */
static int load_replicas(struct fx_ctx *c)
{
	if (copies(c) < 2)
		return 0;
	int need = 0, from;
	for (uint32_t s = 0; s < c->man.hdr.npart; s++)
		for (unsigned k = 0; k < copies(c); k++)
			need |= replica_target(c, s, k, &from) == c->rank;
	uint8_t *buf = need ? malloc(FX_COPY_BUF) : NULL;
	if (fx_agree(c->world, need && !buf ? FX_EXIT_FAIL : 0)) {
		free(buf);
		return FX_EXIT_FAIL;
	}
	int rc = 0;
	for (uint32_t s = 0; s < c->man.hdr.npart; s++) {
		for (unsigned k = 0; k < copies(c); k++) {
			int h = replica_target(c, s, k, &from);
			if (h >= 0 && c->rank == from)
				send_slot(c, s, h);
			if (h >= 0 && c->rank == h && recv_slot(c, s, from, buf))
				rc = FX_EXIT_FAIL;
		}
	}
	free(buf);
	return rc;
}

/* Bytes the whole job puts into node caches: each scatter slot once on
 * every node that holds it (by its copier there), the broadcast one on
 * every node. */
static uint64_t job_bytes(const struct fx_ctx *c)
{
	uint64_t sum = 0;
	for (uint32_t s = 0; s < c->man.hdr.npart; s++)
		for (unsigned k = 0; k < copies(c); k++) {
			int h = (fx_slot_primary(c, s) + (int)k) % c->nranks;
			if (node_copier(c, s, c->node_of[h]) == h)
				sum += c->man.parts[s].file_size;
		}
	if (c->man.hdr.has_bcast)
		sum += (uint64_t)c->nnodes * c->man.parts[bcast_slot(c)].file_size;
	return sum;
}

int fx_load(struct fx_ctx *c)
{
	double t = fx_now();
	fx_progress_begin(c, c->rank == 0 && c->opt.progress ? job_bytes(c) : 0);
	int rc = fx_progress_agree(c, load_scatter(c));
	if (!rc)
		rc = fx_progress_agree(c, load_replicas(c));
	if (!rc && c->man.hdr.has_bcast)
		rc = fx_progress_agree(c, load_bcast(c));
	fx_progress_end(c, !rc);
	if (rc)
		return rc;
	FX_INFO(c, "copied %llu bytes in %.3f s", (unsigned long long)c->held_bytes, fx_now() - t);
	return 0;
}

/* The index of slot s from the dataset into the job directory's copy. */
static int fill_index(struct fx_ctx *c, uint32_t s, uint8_t *buf)
{
	char name[32], src[PATH_MAX], dst[PATH_MAX];
	slot_name(c, s, name, sizeof name);
	if (fx_path(src, sizeof src, c->opt.data, name) || fx_path(dst, sizeof dst, c->jobdir, name))
		return FX_EXIT_FAIL;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CLOEXEC);
	int rc = in < 0 || out < 0 ? FX_EXIT_FAIL : 0;
	uint64_t size = c->man.parts[s].file_size;
	int e = rc ? errno : 0;   /* a failed open or read; a failed write says so itself */
	for (uint64_t off = rc ? size : index_start(in, size); off < size;) {
		size_t n = size - off < FX_COPY_BUF ? (size_t)(size - off) : FX_COPY_BUF;
		ssize_t r = pread(in, buf, n, (off_t)off);
		if (r <= 0) {
			e = r ? errno : EIO;   /* the source is shorter than its manifest says */
			rc = FX_EXIT_FAIL;
			break;
		}
		int w = fs_pwrite_all(out, buf, (size_t)r, off);
		if (w) {
			write_failed(c, dst, w);   /* with how much room a full cache needs */
			rc = FX_EXIT_FAIL;
			break;
		}
		off += (uint64_t)r;
	}
	if (e)
		fx_errf(c, "cannot copy the index of partition %s into %s: %s", src, dst, strerror(e));
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && !rc) {
		write_failed(c, dst, errno);
		rc = FX_EXIT_FAIL;
	}
	return rc;
}

int fx_load_indexes(struct fx_ctx *c)
{
	return sparse(c) ? each_read(c, fill_index) : 0;
}

const struct fs_part *fx_part(struct fx_ctx *c, uint32_t s)
{
	if (s >= c->nslot || !c->on_node[s])
		return NULL;
	if (!c->parts[s]) {
		char name[32], path[PATH_MAX];
		struct fs_err err = {0};
		slot_name(c, s, name, sizeof name);
		if (fx_path(path, sizeof path, c->jobdir, name) ||
		    fs_part_open(path, &c->parts[s], &err) != FS_OK) {
			fx_errf(c, "cannot map %s: %s", path, err.msg);
			return NULL;
		}
	}
	return c->parts[s];
}
