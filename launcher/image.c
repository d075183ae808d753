/*
 * image.c - the dataset's own namespace into every node's job directory,
 * with no per-file work at job start.
 *
 * fanstore-prep writes DATASET/fanstore.image beside the partitions: the
 * metadata image of the whole dataset, node-neutral (no rank or node in
 * it).  Rank 0 alone reads it from the shared file system, as it reads the
 * broadcast partition, and first checks from its header that it is this
 * dataset's (fs_image_match).  Its bytes then reach every node leader,
 * FX_IMG_CHUNK at a time: on one node in a thread beside the partitions'
 * copy; across nodes over MPI among the leaders.  Each leader writes them
 * to a temporary file in its job directory, computing the body's crc as
 * they pass, makes the part table and the header its node's
 * (fs_image_set_node) and renames the file to meta.img.
 *
 * An image that is absent (datasets packed by older releases) or unusable
 * (damaged; another dataset's, packing's or version) leaves the namespace
 * to be built
 * from the partitions' indexes (meta.c), with one line on rank 0 saying so
 * and how to rebuild it.  The partitions, matched against the manifest,
 * are the dataset; the image is a faster way to its namespace, so a bad
 * one costs start-up time, never the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

#define FX_IMG_CHUNK (4u << 20)

/* What a leader's copy came to (agreed as the worst over all ranks). */
enum { COPY_OK = 0, COPY_DAMAGED = 1, COPY_FAILED = 2 };

struct fx_prebuilt {
	uint64_t size, body_off;      /* every rank: the image's size, where its body starts */
	uint32_t body_crc;            /* every rank: what the body's crc must be */
	char src[PATH_MAX];           /* rank 0: DATASET/fanstore.image */
	int src_fd;                   /* rank 0: open on it */
	int short_read;               /* rank 0: it ended early (or could not be read) */
	/* a node leader's copy */
	char tmp[PATH_MAX];
	int fd;
	uint32_t crc;                 /* of the body bytes seen so far */
	uint64_t done;
	int werr;                     /* errno of a failed write, or 0 */
	struct fs_img_partinfo *pi;   /* this node's part table */
	/* one node: the copy runs in a thread during the partitions' load */
	pthread_t th;
	int th_running;
	atomic_int stop;              /* the job ends before the copy does */
};

static void unusable(const struct fx_ctx *c, const char *why)
{
	fx_say(c, "%s: building the namespace from the partitions instead (a slower start); "
		  "rebuild it with fanstore-prep --image %s", why, c->opt.data);
}

/* Rank 0: is DATASET/fanstore.image this dataset's?  Its header and part
 * table say (a few pages of it are read); then it is read in chunks (pread:
 * only a buffer's worth of it is ever in this process's memory). */
static int probe(struct fx_ctx *c, struct fx_prebuilt *pb)
{
	struct fs_err err = {0};
	struct fs_image img;
	if (fx_path(pb->src, sizeof pb->src, c->opt.data, FS_DATASET_IMAGE))
		return 0;
	enum fs_result r = fs_image_open(pb->src, &img, &err);
	if (r == FS_ERR_IO && err.sys == ENOENT) {
		FX_INFO(c, "no %s: the namespace comes from the partitions", pb->src);
		return 0;
	}
	if (!r && !(r = fs_image_match(&img, &c->man, pb->src, &err))) {
		pb->size = img.hdr->image_size;
		pb->body_off = img.hdr->ent_off;
		pb->body_crc = img.hdr->body_crc;
		if ((pb->src_fd = open(pb->src, O_RDONLY | O_CLOEXEC)) < 0)
			r = fs_seterr(&err, FS_ERR_IO, errno, pb->src, "cannot open: %s", strerror(errno));
	}
	if (!r)
		(void)posix_fadvise(pb->src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	fs_image_close(&img);
	if (r)
		unusable(c, err.msg);
	return !r;
}

/* Rank 0: the image's next n bytes into buf.  A short read (the file
 * changed under us) leaves zeros, and the copy damaged. */
static void take(struct fx_prebuilt *pb, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(pb->src_fd, buf + got, n - got, (off_t)(pb->done + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n) {
		memset(buf + got, 0, n - got);
		pb->short_read = 1;
	}
}

/* The next n bytes of the image: into the crc (the body's) and the file. */
static void put(struct fx_prebuilt *pb, const uint8_t *p, size_t n)
{
	if (pb->done + n > pb->body_off) {
		size_t skip = pb->done < pb->body_off ? (size_t)(pb->body_off - pb->done) : 0;
		pb->crc = fs_crc32(pb->crc, p + skip, n - skip);
	}
	if (!pb->werr)
		pb->werr = fs_pwrite_all(pb->fd, p, n, pb->done);
	pb->done += n;
}

/* One node: rank 0 reads and writes it alone, all of it. */
static void *copy_local(void *arg)
{
	struct fx_prebuilt *pb = arg;
	uint8_t *buf = malloc(FX_IMG_CHUNK);
	if (!buf)
		pb->werr = ENOMEM;
	while (buf && pb->done < pb->size && !atomic_load(&pb->stop)) {
		size_t n = pb->size - pb->done < FX_IMG_CHUNK ? (size_t)(pb->size - pb->done) : FX_IMG_CHUNK;
		take(pb, buf, n);
		put(pb, buf, n);
	}
	free(buf);
	return NULL;
}

/* Node leaders: the temporary file and this node's part table. */
static int sink_open(struct fx_ctx *c, struct fx_prebuilt *pb)
{
	pb->fd = -1;
	if (fx_path(pb->tmp, sizeof pb->tmp, c->jobdir, "." FS_JOB_IMAGE ".tmp") ||
	    !(pb->pi = fx_meta_partinfo(c)))
		return FX_EXIT_FAIL;
	pb->fd = open(pb->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (pb->fd < 0) {
		fx_errf(c, "cannot create %s: %s", pb->tmp, strerror(errno));
		return FX_EXIT_FAIL;
	}
	return 0;
}

int fx_image_start(struct fx_ctx *c)
{
	struct fx_prebuilt *pb = calloc(1, sizeof *pb);
	int rc = fx_agree(c->world, pb ? 0 : FX_EXIT_FAIL);
	if (rc) {
		free(pb);
		return rc;
	}
	pb->fd = pb->src_fd = -1;
	uint64_t said[4] = {0};
	if (c->rank == 0 && probe(c, pb))
		said[0] = 1, said[1] = pb->size, said[2] = pb->body_off, said[3] = pb->body_crc;
	FX_MPI_CHECK(MPI_Bcast(said, 4, MPI_UINT64_T, 0, c->world));
	if (!said[0]) {
		free(pb);
		return 0;
	}
	pb->size = said[1];
	pb->body_off = said[2];
	pb->body_crc = (uint32_t)said[3];
	c->pre = pb;
	if (c->node_rank == 0)
		rc = sink_open(c, pb);
	rc = fx_agree(c->world, rc);
	if (!rc && c->nnodes == 1 && c->rank == 0) {
		if (pthread_create(&pb->th, NULL, copy_local, pb) == 0)
			pb->th_running = 1;
		else
			copy_local(pb);
	}
	return rc;
}

/* Leaders, every byte written: make the image this node's, put it in
 * place.  COPY_OK, COPY_DAMAGED (the body's crc differs), COPY_FAILED. */
static int install(struct fx_ctx *c, struct fx_prebuilt *pb)
{
	if (!pb->werr && (pb->crc != pb->body_crc || pb->done != pb->size || pb->short_read))
		return COPY_DAMAGED;
	char dst[PATH_MAX];
	struct fs_err err = {0};
	uint8_t *head = pb->werr ? NULL : malloc(pb->body_off);
	if (!pb->werr && !head)
		pb->werr = ENOMEM;
	if (!pb->werr && pread(pb->fd, head, pb->body_off, 0) != (ssize_t)pb->body_off)
		pb->werr = errno ? errno : EIO;
	/* the header is not in the body's crc: it must still be the one rank 0
	 * checked (its own crc, the same layout) */
	if (!pb->werr && (fs_image_set_node(head, pb->body_off, pb->pi, c->nslot, (uint32_t)c->nranks,
					    (uint32_t)c->node_id, &err) != FS_OK ||
			  ((struct fs_img_hdr *)head)->image_size != pb->size ||
			  ((struct fs_img_hdr *)head)->ent_off != pb->body_off)) {
		FX_INFO(c, "%s: %s", pb->tmp, err.msg[0] ? err.msg : "not the header rank 0 read");
		free(head);
		return COPY_DAMAGED;
	}
	if (!pb->werr)
		pb->werr = fs_pwrite_all(pb->fd, head, pb->body_off, 0);
	free(head);
	int fd = pb->fd;
	pb->fd = -1;
	if (close(fd) != 0 && !pb->werr)
		pb->werr = errno;
	if (pb->werr) {
		unlink(pb->tmp);
		fx_errf(c, "writing %s: %s", pb->tmp, strerror(pb->werr));
		if (pb->werr == ENOSPC || pb->werr == EDQUOT)
			fx_cache_full(c);
		return COPY_FAILED;
	}
	if (fx_path(dst, sizeof dst, c->jobdir, FS_JOB_IMAGE) || rename(pb->tmp, dst) != 0) {
		fx_errf(c, "cannot rename %s into place: %s", pb->tmp, strerror(errno));
		unlink(pb->tmp);
		return COPY_FAILED;
	}
	return COPY_OK;
}

/* Across nodes: rank 0 reads the image and broadcasts it to every
 * leader, chunk by chunk. */
static void copy_leaders(struct fx_ctx *c, struct fx_prebuilt *pb)
{
	uint8_t *buf = malloc(FX_IMG_CHUNK);
	/* all leaders can receive before the first chunk; a later failure
	 * (a write, a short read) does not stop the broadcast, so that nobody
	 * waits, and shows as a failed or damaged copy */
	if (fx_agree(c->leaders, buf ? 0 : FX_EXIT_FAIL)) {
		pb->werr = ENOMEM;
		free(buf);
		return;
	}
	while (pb->done < pb->size) {
		size_t n = pb->size - pb->done < FX_IMG_CHUNK ? (size_t)(pb->size - pb->done) : FX_IMG_CHUNK;
		if (c->rank == 0)
			take(pb, buf, n);
		FX_MPI_CHECK(MPI_Bcast(buf, (int)n, MPI_BYTE, 0, c->leaders));
		put(pb, buf, n);
	}
	free(buf);
}

int fx_image_finish(struct fx_ctx *c, int *used)
{
	struct fx_prebuilt *pb = c->pre;
	*used = 0;
	if (!pb)
		return 0;
	double t = fx_now();
	int st = COPY_OK;
	if (c->node_rank == 0) {
		if (pb->th_running) {
			pthread_join(pb->th, NULL);
			pb->th_running = 0;
		} else if (c->nnodes > 1) {
			copy_leaders(c, pb);
		}
		st = install(c, pb);
	}
	st = fx_agree(c->world, st);
	if (st == COPY_DAMAGED) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof why, "%s: checksum mismatch (damaged)", pb->src);
		unusable(c, why);
	}
	if (st == COPY_OK && c->node_rank == 0)
		c->held_bytes += pb->size;   /* what the node loaded, in the summary */
	if (st == COPY_OK)
		FX_INFO(c, "the dataset's metadata image (%llu bytes) in place after %.3f s more",
			(unsigned long long)pb->size, fx_now() - t);
	*used = st == COPY_OK;
	int rc = st == COPY_FAILED ? FX_EXIT_FAIL : 0;
	if (!rc && !*used) {
		/* the partitions were loaded for the image's use (without their
		 * index, checked by header only): the records need them whole,
		 * and checked whole as fx_part opens them */
		for (uint32_t s = 0; s < c->nslot; s++)
			fs_part_free(&c->parts[s]);
		rc = fx_agree(c->world, fx_load_indexes(c));
	}
	fx_image_release(c);
	return rc;
}

void fx_image_release(struct fx_ctx *c)
{
	struct fx_prebuilt *pb = c->pre;
	if (!pb)
		return;
	atomic_store(&pb->stop, 1);   /* a load that failed or was interrupted */
	if (pb->th_running)
		pthread_join(pb->th, NULL);
	if (pb->fd >= 0) {
		close(pb->fd);
		unlink(pb->tmp);
	}
	if (pb->src_fd >= 0)
		close(pb->src_fd);
	free(pb->pi);
	free(pb);
	c->pre = NULL;
}
