/*
 * meta.c - the whole namespace on every node.
 *
 * The primary holder of each partition slot (rank 0 for the broadcast
 * one) turns its index into records (fs_recbuf_add_part); MPI_Allgatherv
 * gives every rank all records; each node leader builds JOBDIR/meta.img
 * with the part table as seen from its node.
 *
 * Sizes: records are padded to 8 bytes and gathered as 8-byte units, so
 * per-rank counts and displacements fit in an int up to 16 GiB of records
 * (about 150 million files); beyond that the launcher says so and stops.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fx.h"

static int contribute(struct fx_ctx *c, struct fs_recbuf *rb)
{
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

/* Gather every rank's records; *out is malloc'ed, *outlen bytes. */
static int gather(struct fx_ctx *c, const struct fs_recbuf *rb, uint8_t **out, size_t *outlen)
{
	uint64_t mine = rb->len / 8;
	int rc = mine > INT_MAX ? FX_EXIT_FAIL : 0;
	uint64_t *all = calloc((size_t)c->nranks, sizeof *all);
	int *counts = calloc((size_t)c->nranks, sizeof *counts);
	int *displs = calloc((size_t)c->nranks, sizeof *displs);
	if (!all || !counts || !displs)
		rc = FX_EXIT_FAIL;
	else
		MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, c->world);
	uint64_t total = 0;
	for (int i = 0; !rc && i < c->nranks; i++) {
		if (total > INT_MAX) {
			fx_errf(c, "metadata of more than 16 GiB: split the dataset into several");
			rc = FX_EXIT_FAIL;
			break;
		}
		counts[i] = (int)all[i];
		displs[i] = (int)total;
		total += all[i];
	}
	uint8_t *buf = rc ? NULL : malloc(total ? total * 8 : 8);
	if (!rc && !buf)
		rc = FX_EXIT_FAIL;
	rc = fx_agree(c->world, rc);
	if (!rc) {
		MPI_Datatype unit;
		MPI_Type_contiguous(8, MPI_BYTE, &unit);
		MPI_Type_commit(&unit);
		static uint64_t none;
		MPI_Allgatherv(rb->buf ? (void *)rb->buf : (void *)&none, (int)mine, unit, buf, counts, displs, unit,
			       c->world);
		MPI_Type_free(&unit);
		*out = buf;
		*outlen = total * 8;
		buf = NULL;
	}
	free(buf);
	free(all);
	free(counts);
	free(displs);
	return rc;
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

static int build(struct fx_ctx *c, const uint8_t *recs, size_t len)
{
	struct fs_img_partinfo *pi = calloc(c->nslot, sizeof *pi);
	if (!pi)
		return FX_EXIT_FAIL;
	for (uint32_t s = 0; s < c->nslot; s++) {
		int lh = local_holder(c, s);
		pi[s].file_size = c->man.parts[s].file_size;
		pi[s].local = c->on_node[s];
		pi[s].owner = (uint32_t)(lh >= 0 ? lh : fx_slot_owner_for(c, s, c->node_id));
		pi[s].bcast = s >= c->man.hdr.npart;
	}
	char path[PATH_MAX];
	struct fs_err err = {0};
	int rc = 0;
	if (fx_path(path, sizeof path, c->jobdir, FS_JOB_IMAGE) ||
	    fs_image_build(recs, len, c->man.hdr.dataset_id, pi, c->nslot, (uint32_t)c->nranks,
			   (uint32_t)c->node_id, path, &err) != FS_OK) {
		fx_errf(c, "cannot build the metadata image %s: %s", path, err.msg);
		rc = FX_EXIT_FAIL;
	}
	free(pi);
	return rc;
}

int fx_meta_build(struct fx_ctx *c)
{
	double t = fx_now();
	struct fs_recbuf rb = {0};
	int rc = fx_agree(c->world, contribute(c, &rb));
	uint8_t *recs = NULL;
	size_t len = 0;
	if (!rc)
		rc = gather(c, &rb, &recs, &len);
	fs_recbuf_release(&rb);
	if (rc)
		return rc;
	FX_INFO(c, "gathered %zu bytes of records in %.3f s", len, fx_now() - t);
	if (c->node_rank == 0)
		rc = build(c, recs, len);
	free(recs);
	rc = fx_agree(c->world, rc);
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
