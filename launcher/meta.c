/*
 * meta.c - the whole namespace on every node.
 *
 * A dataset packed with its image (fanstore.image) needs no per-file work
 * here: image.c copies it to every node leader.  Otherwise (datasets
 * packed by older releases, or a damaged image) the primary holder of
 * each partition slot (rank 0 for the broadcast one) turns its index into
 * records (fs_recbuf_add_part); the records reach every node leader
 * (gather within the node, allgather among the leaders), which builds
 * JOBDIR/meta.img with the part table as seen from its node.
 *
 * Sizes: records are padded to 8 bytes and gathered as 8-byte units, so
 * counts and displacements fit in an int up to 16 GiB of records (about
 * 150 million files); beyond that the launcher says so and stops.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fx.h"

/* Room for the records of the slots this rank contributes, faulted in
 * up front (records are about 56 bytes plus the name, padded to 8). */
static void reserve(struct fx_ctx *c, struct fs_recbuf *rb)
{
	size_t est = 4096;
	for (uint32_t s = 0; s < c->nslot; s++) {
		const struct fs_part *p = fx_slot_primary(c, s) == c->rank ? fx_part(c, s) : NULL;
		if (p)
			est += fs_part_header(p)->nent * 64 + fs_part_header(p)->names_size;
	}
	(void)fs_recbuf_reserve(rb, est);   /* on failure add_part grows it as needed */
}

static int contribute(struct fx_ctx *c, struct fs_recbuf *rb)
{
	reserve(c, rb);
	for (uint32_t s = 0; s < c->nslot; s++) {
		if (fx_slot_primary(c, s) != c->rank)
			continue;
		const struct fs_part *p = fx_part(c, s);
		struct fs_err err = {0};
		if (!p)
			return FX_EXIT_FAIL;
		if (fs_recbuf_add_part(rb, p, s, &err) != FS_OK) {
			fx_errf(c, "index of partition slot %u: %s", s, err.msg);
			return FX_EXIT_FAIL;
		}
	}
	if (rb->len % 8) {
		fx_errf(c, "internal: record stream of %zu bytes is not 8-byte padded", rb->len);
		return FX_EXIT_FAIL;
	}
	return 0;
}

/* Counts and displacements (in 8-byte units) for a v-collective over n
 * contributions; -1 when the total does not fit an int. */
static int layout(const uint64_t *n, int count, int *counts, int *displs, uint64_t *total)
{
	uint64_t t = 0;
	for (int i = 0; i < count; i++) {
		if (n[i] > INT_MAX || t > INT_MAX)
			return -1;
		counts[i] = (int)n[i];
		displs[i] = (int)t;
		t += n[i];
	}
	*total = t;
	return t > INT_MAX ? -1 : 0;
}

/*
 * Two steps, so that only node leaders ever hold every record: each node
 * gathers its ranks' records at its leader (MPI_Gatherv), then the
 * leaders exchange their nodes' records (MPI_Allgatherv).  A step with a
 * single participant is skipped (the records are not copied).  On the
 * leaders *out holds *outlen bytes: rb's own buffer, or one to free with
 * fs_big_free; elsewhere NULL.
 */
static int gather(struct fx_ctx *c, const struct fs_recbuf *rb, uint8_t **out, size_t *outlen)
{
	static uint64_t none;
	int leader = c->node_rank == 0, n = leader ? (c->nnodes > c->node_size ? c->nnodes : c->node_size) : 1;
	uint64_t mine = rb->len / 8, node_total = 0, total = 0;
	uint64_t *sizes = calloc((size_t)n, sizeof *sizes);
	int *counts = calloc((size_t)n, sizeof *counts), *displs = calloc((size_t)n, sizeof *displs);
	uint8_t *nodebuf = NULL, *all = NULL;
	int rc = sizes && counts && displs ? 0 : FX_EXIT_FAIL;
	MPI_Datatype unit;
	FX_MPI_CHECK(MPI_Type_contiguous(8, MPI_BYTE, &unit));
	FX_MPI_CHECK(MPI_Type_commit(&unit));

	FX_MPI_CHECK(MPI_Gather(&mine, 1, MPI_UINT64_T, sizes, 1, MPI_UINT64_T, 0, c->node));
	if (leader && !rc) {
		if (layout(sizes, c->node_size, counts, displs, &node_total) != 0) {
			fx_errf(c, "metadata of more than 16 GiB on one node: split the dataset into several");
			rc = FX_EXIT_FAIL;
		} else if (c->node_size == 1) {
			nodebuf = rb->buf;
		} else if (!(nodebuf = fs_big_alloc(node_total * 8, 1))) {
			rc = FX_EXIT_FAIL;
		}
	}
	rc = fx_agree(c->world, rc);
	if (!rc && c->node_size > 1)
		FX_MPI_CHECK(MPI_Gatherv(rb->buf ? (void *)rb->buf : (void *)&none, (int)mine, unit,
					 nodebuf, counts, displs, unit, 0, c->node));
	if (!rc && leader) {
		FX_MPI_CHECK(MPI_Allgather(&node_total, 1, MPI_UINT64_T, sizes, 1, MPI_UINT64_T,
					   c->leaders));
		if (layout(sizes, c->nnodes, counts, displs, &total) != 0) {
			fx_errf(c, "metadata of more than 16 GiB: split the dataset into several");
			rc = FX_EXIT_FAIL;
		} else if (c->nnodes == 1) {
			all = nodebuf;
		} else if (!(all = fs_big_alloc(total * 8, 1))) {
			rc = FX_EXIT_FAIL;
		}
		rc = fx_agree(c->leaders, rc);
		if (!rc && c->nnodes > 1)
			FX_MPI_CHECK(MPI_Allgatherv(nodebuf, (int)node_total, unit, all, counts, displs,
						    unit, c->leaders));
	}
	FX_MPI_CHECK(MPI_Type_free(&unit));
	if (nodebuf != rb->buf && nodebuf != all)
		fs_big_free(nodebuf);
	free(sizes);
	free(counts);
	free(displs);
	rc = fx_agree(c->world, rc);
	if (rc) {
		if (all != rb->buf && all != nodebuf)
			fs_big_free(all);
		return rc;
	}
	*out = all;
	*outlen = total * 8;
	return 0;
}

/* Which rank of this node holds slot s (lowest), or -1. */
static int local_holder(const struct fx_ctx *c, uint32_t s)
{
	if (s >= c->man.hdr.npart)
		return c->node_ranks[0];
	for (int i = 0; i < c->node_size; i++)
		if (fx_holds(c, c->node_ranks[i], s))
			return c->node_ranks[i];
	return -1;
}

struct fs_img_partinfo *fx_meta_partinfo(const struct fx_ctx *c)
{
	struct fs_img_partinfo *pi = calloc(c->nslot, sizeof *pi);
	for (uint32_t s = 0; pi && s < c->nslot; s++) {
		int lh = local_holder(c, s);
		pi[s].file_size = c->man.parts[s].file_size;
		pi[s].local = c->on_node[s];
		pi[s].owner = (uint32_t)(lh >= 0 ? lh : fx_slot_owner_for(c, s, c->node_id));
		pi[s].bcast = s >= c->man.hdr.npart;
	}
	return pi;
}

static int build(struct fx_ctx *c, const uint8_t *recs, size_t len)
{
	struct fs_img_partinfo *pi = fx_meta_partinfo(c);
	if (!pi)
		return FX_EXIT_FAIL;
	char path[PATH_MAX];
	struct fs_err err = {0};
	int rc = 0;
	if (fx_path(path, sizeof path, c->jobdir, FS_JOB_IMAGE) ||
	    fs_image_build_for(&c->man, recs, len, pi, (uint32_t)c->nranks, (uint32_t)c->node_id,
			       path, &err) != FS_OK) {
		fx_errf(c, "cannot build the metadata image %s: %s", path, err.msg);
		if (err.sys == ENOSPC || err.sys == EDQUOT)
			fx_cache_full(c);
		rc = FX_EXIT_FAIL;
	}
	free(pi);
	return rc;
}

/* meta.img on every node leader from the partitions' indexes. */
static int from_records(struct fx_ctx *c, double t)
{
	struct fs_recbuf rb = {0};
	int rc = contribute(c, &rb);
	FX_DEBUG(c, "%zu bytes of records from this rank after %.3f s", rb.len, fx_now() - t);
	rc = fx_agree(c->world, rc);
	uint8_t *recs = NULL;
	size_t len = 0;
	if (!rc)
		rc = gather(c, &rb, &recs, &len);
	if (recs != rb.buf)   /* gathered elsewhere: ours are no longer needed */
		fs_recbuf_release(&rb);
	if (!rc)
		FX_INFO(c, "records ready after %.3f s (%zu bytes here)", fx_now() - t, len);
	if (!rc && c->node_rank == 0)
		rc = build(c, recs, len);
	if (recs != rb.buf)
		fs_big_free(recs);
	fs_recbuf_release(&rb);
	return fx_agree(c->world, rc);
}

int fx_meta_build(struct fx_ctx *c)
{
	double t = fx_now();
	int used = 0;
	int rc = fx_image_finish(c, &used);
	if (!rc && !used)
		rc = from_records(c, t);
	if (rc)
		return rc;
	char path[PATH_MAX];
	struct fs_err err = {0};
	if (fx_path(path, sizeof path, c->jobdir, FS_JOB_IMAGE) ||
	    fs_image_open(path, &c->img, &err) != FS_OK) {
		fx_errf(c, "cannot map the metadata image %s: %s", path, err.msg);
		rc = FX_EXIT_FAIL;
	} else {
		c->have_img = 1;
	}
	FX_INFO(c, "metadata image ready after %.3f s", fx_now() - t);
	return fx_agree(c->world, rc);
}
