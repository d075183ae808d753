/* image.c - the metadata image: records, build, map, lookup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "store.h"

#define ALIGN 64u

/* ------------------------------------------------------- large buffers */

/* Building an image for millions of entries touches hundreds of MB of fresh
 * memory: its work buffers come from fs_big_alloc, populated. */
static void *big_alloc(size_t n)
{
	return fs_big_alloc(n, 1);
}

/* Grow to n bytes, keeping the first `keep` bytes. */
static void *big_grow(void *p, size_t keep, size_t n)
{
	void *q = big_alloc(n);
	if (q && p)
		memcpy(q, p, keep);
	if (q)
		fs_big_free(p);
	return q;
}

/* ---------------------------------------------------------------- records */

static size_t rec_span(const struct fs_rec *r)
{
	return fs_align(sizeof(*r) + r->name_len + r->target_len, 8);
}

static int rb_reserve(struct fs_recbuf *rb, size_t more)
{
	if (rb->len + more <= rb->cap)
		return 0;
	size_t c = rb->cap ? rb->cap : 4096;
	while (c < rb->len + more)
		c *= 2;
	uint8_t *b = realloc(rb->buf, c);
	if (!b)
		return -1;
	rb->buf = b;
	rb->cap = c;
	return 0;
}

enum fs_result fs_recbuf_reserve(struct fs_recbuf *rb, size_t bytes)
{
	if (rb_reserve(rb, bytes))
		return FS_ERR_NOMEM;
#ifdef MADV_POPULATE_WRITE
	uintptr_t a = ((uintptr_t)(rb->buf + rb->len) + 4095) & ~(uintptr_t)4095;
	uintptr_t e = (uintptr_t)(rb->buf + rb->cap) & ~(uintptr_t)4095;
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#endif
	return FS_OK;
}

enum fs_result fs_recbuf_add_part(struct fs_recbuf *rb, const struct fs_part *p,
				  uint32_t slot, struct fs_err *err)
{
	const struct fs_part_hdr *h = fs_part_header(p);
	if (h->nent && !fs_part_entry(p, 0))
		return fs_seterr(err, FS_ERR_ARG, 0, NULL, "partition %u: opened without its entries", slot);
	for (uint64_t i = 0; i < h->nent; i++) {
		const struct fs_dentry *e = fs_part_entry(p, i);
		const char *name = fs_part_ename(p, e);
		uint32_t type = e->mode & S_IFMT;
		const void *target = NULL;
		struct fs_rec r;
		memset(&r, 0, sizeof(r));
		r.size = e->size;
		r.stored = e->stored;
		r.data_off = e->data_off;
		r.mtime_sec = e->mtime_sec;
		r.mtime_nsec = e->mtime_nsec;
		r.mode = e->mode;
		r.crc = e->crc;
		r.part = type == S_IFREG ? slot : FS_NOPART;
		r.name_len = (uint16_t)e->name_len;
		r.method = (uint8_t)e->method;
		if (type == S_IFLNK) {
			if (!(target = fs_part_blob(p, e)))
				return fs_seterr(err, FS_ERR_ARG, 0, NULL,
						 "partition %u: symlink %s needs the partition's data mapped",
						 slot, name);
			r.target_len = (uint16_t)e->size;
			r.stored = 0;
			r.data_off = 0;
		}
		size_t span = rec_span(&r);
		if (rb_reserve(rb, span))
			return fs_seterr(err, FS_ERR_NOMEM, 0, NULL, "out of memory for metadata records");
		uint8_t *d = rb->buf + rb->len;
		memset(d, 0, span);
		memcpy(d, &r, sizeof(r));
		memcpy(d + sizeof(r), name, r.name_len);
		if (target)
			memcpy(d + sizeof(r) + r.name_len, target, r.target_len);
		rb->len += span;
		rb->count++;
	}
	return FS_OK;
}

void fs_recbuf_release(struct fs_recbuf *rb)
{
	if (!rb)
		return;
	free(rb->buf);
	memset(rb, 0, sizeof(*rb));
}

/* ------------------------------------------------------------------ build */

struct bent {                 /* one namespace entry while building: 32 bytes */
	struct fs_skey key;        /* its name; aux 1: the name is in its record */
	uint32_t parent;           /* index into sorted array + 1 (0 = root) */
	uint32_t nchild, nsub, cfirst;
};

/* The record of b, or NULL for a directory added because a child needs it. */
static inline const struct fs_rec *bent_rec(const struct bent *b)
{
	return b->key.aux ? (const struct fs_rec *)b->key.name - 1 : NULL;
}

static int bent_cmp(const void *a, const void *b)
{
	const struct bent *x = a, *y = b;
	return fs_name_cmp(x->key.name, x->key.len, y->key.name, y->key.len);
}

/* Sort v by name (the records come as runs sorted by partition, which
 * fs_sort_names merges on all the node's cores). */
static int sort_bents(struct bent *v, uint64_t n)
{
	_Static_assert(sizeof(struct bent) == 32, "fs_sort_names takes 32-byte elements");
	return fs_sort_names(v, n, sizeof(*v), fs_ncores());
}

static int64_t bfind(const struct bent *v, uint64_t n, const char *name, size_t len)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int c = fs_name_cmp(v[mid].key.name, v[mid].key.len, name, len);
		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static enum fs_result rec_check(const struct fs_rec *r, size_t avail, uint32_t nparts,
				struct fs_err *err)
{
	uint32_t type = r->mode & S_IFMT;
	const char *name = (const char *)(r + 1);
	if (rec_span(r) > avail)
		return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "metadata record runs past the end");
	if (!fs_name_ok(name, r->name_len))
		return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "metadata record with an invalid name");
	int ok = r->mtime_nsec < 1000000000u && r->method <= FS_METHOD_DEFLATE;
	if (type == S_IFREG)
		ok = ok && r->part < nparts && r->target_len == 0;
	else if (type == S_IFDIR)
		ok = ok && r->part == FS_NOPART && r->target_len == 0 && !r->size;
	else if (type == S_IFLNK)
		ok = ok && r->part == FS_NOPART && r->target_len && r->target_len == r->size &&
		     !memchr(name + r->name_len, 0, r->target_len);
	else
		ok = 0;
	char show[256];
	if (!ok)
		return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "metadata record for %s is inconsistent",
				 fs_name_show(name, r->name_len, show, sizeof(show)));
	return FS_OK;
}

/* Parse records into v (room for count + synthesized parents). */
static enum fs_result parse_recs(const uint8_t *recs, size_t len, uint32_t nparts,
				 struct bent **out, uint64_t *nout, struct fs_err *err)
{
	uint64_t n = 0, cap = len / (sizeof(struct fs_rec) + 8) + 1;   /* records are >= 56 bytes */
	struct bent *v = big_alloc(cap * sizeof(*v));
	if (!v)
		return fs_seterr(err, FS_ERR_NOMEM, 0, NULL, "out of memory");
	size_t off = 0;
	while (off < len) {
		if (len - off < sizeof(struct fs_rec) || off % 8 || n == cap) {
			fs_big_free(v);
			return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "truncated metadata record");
		}
		const struct fs_rec *r = (const struct fs_rec *)(recs + off);
		enum fs_result rr = rec_check(r, len - off, nparts, err);
		if (rr) {
			fs_big_free(v);
			return rr;
		}
		v[n++] = (struct bent){.key = {(const char *)(r + 1), r->name_len, 1}};
		off += rec_span(r);
	}
	*out = v;
	*nout = n;
	return FS_OK;
}

/* Index of the parent directory of v[i] in sorted v: -1 when it is missing,
 * -2 for a top-level entry.  *hint remembers the last parent found, which
 * in sorted order is nearly always the next one asked for. */
static int64_t find_parent(const struct bent *v, uint64_t n, uint64_t i, int64_t *hint)
{
	const char *s = memrchr(v[i].key.name, '/', v[i].key.len);
	if (!s)
		return -2;
	size_t plen = (size_t)(s - v[i].key.name);
	int64_t h = *hint;
	if (h >= 0 && v[h].key.len == plen && memcmp(v[h].key.name, v[i].key.name, plen) == 0)
		return h;
	h = bfind(v, n, v[i].key.name, plen);
	if (h >= 0)
		*hint = h;
	return h;
}

static uint32_t ent_type(const struct bent *b)
{
	const struct fs_rec *r = bent_rec(b);
	return r ? (r->mode & S_IFMT) : S_IFDIR;
}

/* Sort, merge duplicate directories, add missing parents (repeat until none). */
static enum fs_result normalise(struct bent **vp, uint64_t *np, struct fs_err *err)
{
	for (;;) {
		struct bent *v = *vp;
		uint64_t n = *np;
		if (sort_bents(v, n))
			return fs_seterr(err, FS_ERR_NOMEM, 0, NULL, "out of memory sorting %llu names",
					 (unsigned long long)n);
		uint64_t w = 0;
		for (uint64_t i = 0; i < n; i++) {
			if (w && bent_cmp(&v[w - 1], &v[i]) == 0) {
				if (ent_type(&v[w - 1]) == S_IFDIR && ent_type(&v[i]) == S_IFDIR) {
					if (!v[w - 1].key.aux)
						v[w - 1] = v[i];
					continue;
				}
				char show[256];
				return fs_seterr(err, FS_ERR_FORMAT, 0, NULL,
						 "path %s appears twice in the dataset",
						 fs_name_show(v[i].key.name, v[i].key.len, show, sizeof(show)));
			}
			v[w++] = v[i];
		}
		n = w;
		uint64_t missing = 0;
		int64_t hint = -1;
		for (uint64_t i = 0; i < n; i++) {
			int64_t p = find_parent(v, n, i, &hint);
			v[i].parent = p >= 0 ? (uint32_t)p + 1 : 0;
			if (p == -1)
				missing++;
			else if (p >= 0 && ent_type(&v[p]) != S_IFDIR) {
				char show[256];
				return fs_seterr(err, FS_ERR_FORMAT, 0, NULL,
						 "%s is inside a path that is not a directory",
						 fs_name_show(v[i].key.name, v[i].key.len, show, sizeof(show)));
			}
		}
		if (!missing) {
			*np = n;
			return FS_OK;
		}
		struct bent *nv = big_grow(v, n * sizeof(*v), (n + missing) * sizeof(*v));
		if (!nv)
			return fs_seterr(err, FS_ERR_NOMEM, 0, NULL, "out of memory");
		v = nv;
		uint64_t k = n;
		hint = -1;
		for (uint64_t i = 0; i < n; i++)
			if (find_parent(v, n, i, &hint) == -1)
				v[k++] = (struct bent){.key = {v[i].key.name,
							       (uint32_t)((const char *)memrchr(v[i].key.name, '/',
												v[i].key.len) -
									  v[i].key.name), 0}};
		*vp = v;
		*np = k;
	}
}

/* The part table of an image as parts describes it. */
static void fill_parts(struct fs_img_part *ip, const struct fs_img_partinfo *parts, uint32_t nparts)
{
	for (uint32_t i = 0; i < nparts; i++) {
		memset(&ip[i], 0, sizeof(ip[i]));
		fs_part_filename(parts[i].bcast ? FS_PART_BCAST : i, ip[i].name, sizeof(ip[i].name));
		ip[i].file_size = parts[i].file_size;
		ip[i].local = parts[i].local;
		ip[i].owner = parts[i].owner;
		ip[i].bcast = parts[i].bcast;
	}
}

/* What an image's header says besides its layout, and the file's mode. */
struct head {
	uint64_t dataset_id;
	uint32_t manifest_crc, nranks, node;
	mode_t mode;
};

static enum fs_result build(const void *recs, size_t len, const struct head *hd,
			    const struct fs_img_partinfo *parts, uint32_t nparts,
			    const char *path, struct fs_err *err)
{
	struct bent *v = NULL;
	uint64_t n = 0;
	enum fs_result r = parse_recs(recs, len, nparts, &v, &n, err);
	if (r)
		return r;
	if ((r = normalise(&v, &n, err)))
		goto out;
	if (n + 1 >= UINT32_MAX) {
		r = fs_seterr(err, FS_ERR_RANGE, 0, NULL, "too many entries (%llu)", (unsigned long long)n);
		goto out;
	}
	/* parents, child counts (entry i of the image is v[i-1]; 0 is the root) */
	uint32_t root_nchild = 0, root_nsub = 0;
	uint64_t names_size = 1, nchild = n;
	for (uint64_t i = 0; i < n; i++) {   /* v[i].parent was set by normalise */
		uint32_t *cnt = &root_nchild, *sub = &root_nsub;
		if (v[i].parent) {
			cnt = &v[v[i].parent - 1].nchild;
			sub = &v[v[i].parent - 1].nsub;
		}
		(*cnt)++;
		if (ent_type(&v[i]) == S_IFDIR)
			(*sub)++;
		names_size += v[i].key.len + 1;
		if (v[i].key.aux && bent_rec(&v[i])->target_len)
			names_size += bent_rec(&v[i])->target_len + 1u;
	}
	uint64_t nent = n + 1, nbucket = 1;
	while (nbucket < nent)
		nbucket <<= 1;
	struct fs_img_hdr h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, FS_IMAGE_MAGIC, 8);
	h.version = FS_IMAGE_VERSION;
	h.hdr_size = sizeof(h);
	h.dataset_id = hd->dataset_id;
	h.manifest_crc = hd->manifest_crc;
	h.nent = nent;
	h.nbucket = nbucket;
	h.nchild = nchild;
	h.nparts = nparts;
	h.nranks = hd->nranks;
	h.node = hd->node;
	uint64_t o = fs_align(sizeof(h), ALIGN);
	h.part_off = o;
	o = fs_align(o + (uint64_t)nparts * sizeof(struct fs_img_part), ALIGN);
	h.ent_off = o;
	o = fs_align(o + nent * sizeof(struct fs_ment), ALIGN);
	h.bucket_off = o;
	o = fs_align(o + nbucket * 4, ALIGN);
	h.child_off = o;
	o = fs_align(o + nchild * 4, ALIGN);
	h.names_off = o;
	h.names_size = names_size;
	h.image_size = o + names_size;
	/* Build in place in the output file: space reserved first (fallocate,
	 * so a full file system is ENOSPC, never SIGBUS), pages faulted in one
	 * call (a page fault each can cost more than filling the page). */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, hd->mode);
	int werr = fd < 0 ? errno : 0;
	if (!werr && (werr = posix_fallocate(fd, 0, (off_t)h.image_size)) == EOPNOTSUPP)
		werr = ftruncate(fd, (off_t)h.image_size) < 0 ? errno : 0;
	uint8_t *img = MAP_FAILED;
	if (!werr) {
		img = mmap(NULL, h.image_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		werr = img == MAP_FAILED ? errno : 0;
	}
	if (fd >= 0)
		close(fd);
	if (werr) {
		if (fd >= 0)
			unlink(tmp);
		r = fs_seterr(err, FS_ERR_IO, werr, path,
			      "cannot create the metadata image (%llu bytes): %s",
			      (unsigned long long)h.image_size, strerror(werr));
		goto out;
	}
#ifdef MADV_POPULATE_WRITE
	(void)madvise(img, h.image_size, MADV_POPULATE_WRITE);
#endif
	fill_parts((struct fs_img_part *)(img + h.part_off), parts, nparts);
	struct fs_ment *ents = (struct fs_ment *)(img + h.ent_off);
	uint32_t *buckets = (uint32_t *)(img + h.bucket_off);
	uint32_t *children = (uint32_t *)(img + h.child_off);
	char *names = (char *)(img + h.names_off);
	uint64_t nl = 1, cpos = 0, next = 1;
	/* root */
	ents[0] = (struct fs_ment){.mode = S_IFDIR | 0755, .part = FS_NOPART, .off = cpos,
				   .stored = root_nchild, .crc = root_nsub};
	cpos += root_nchild;
	/* Directories first, then the rest, each in path order (v[i] becomes
	 * entry pos[i]): a listing of a directory of directories, such as the
	 * 21,000 classes of ImageNet-21k, then reads one run of entries and
	 * names instead of a page for each. */
	uint32_t *pos = fs_big_alloc(n * sizeof(*pos) + 1, 0);
	if (!pos) {
		munmap(img, h.image_size);
		unlink(tmp);
		r = fs_seterr(err, FS_ERR_NOMEM, ENOMEM, NULL, "no memory for the image's order");
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = 0; i < n; i++) {
			struct bent *b = &v[i];
			if ((ent_type(b) == S_IFDIR) != (pass == 0))
				continue;
			pos[i] = (uint32_t)next;
			struct fs_ment *e = &ents[next++];
			e->name_off = nl;
			e->name_len = (uint16_t)b->key.len;
			memcpy(names + nl, b->key.name, b->key.len);
			nl += b->key.len + 1;
			if (!b->key.aux) {
				e->mode = S_IFDIR | 0755;
				e->part = FS_NOPART;
			} else {
				const struct fs_rec *rc = bent_rec(b);
				e->size = rc->size;
				e->mtime_sec = rc->mtime_sec;
				e->mtime_nsec = rc->mtime_nsec;
				e->mode = rc->mode;
				e->crc = rc->crc;
				e->part = rc->part;
				e->method = rc->method;
				if (S_ISREG(rc->mode)) {
					e->off = rc->data_off;
					e->stored = rc->stored;
				} else if (S_ISLNK(rc->mode)) {
					e->off = nl;
					memcpy(names + nl, b->key.name + b->key.len, rc->target_len);
					nl += rc->target_len + 1u;
				}
			}
			if (S_ISDIR(e->mode)) {
				e->off = cpos;
				e->stored = b->nchild;
				e->crc = b->nsub;
				e->size = 0;
				b->cfirst = (uint32_t)cpos;
				cpos += b->nchild;
			}
		}
	}
	/* children, in sorted order (== sorted by basename within a directory) */
	uint32_t rfill = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t p = v[i].parent;
		if (p == 0)
			children[ents[0].off + rfill++] = pos[i];
		else
			children[v[p - 1].cfirst++] = pos[i];
	}
	fs_big_free(pos);
	/* hash chains; insert in reverse so chains are in index order */
	for (uint64_t i = nent; i-- > 0;) {
		uint64_t hb = fs_hash(names + ents[i].name_off, ents[i].name_len) & (nbucket - 1);
		ents[i].hnext = buckets[hb];
		buckets[hb] = (uint32_t)(i + 1);
	}
	h.body_crc = fs_crc32(0, img + h.ent_off, h.image_size - h.ent_off);
	h.hdr_crc = fs_crc32(0, &h, offsetof(struct fs_img_hdr, hdr_crc));
	memcpy(img, &h, sizeof(h));
	/* readers check each entry as they reach it; the whole is checked
	 * once, here, where it is made */
	struct fs_image built;
	if (!(r = fs_image_from_buffer(img, h.image_size, path, &built, err)))
		r = fs_image_verify(&built, err);
	if (munmap(img, h.image_size) < 0 || (!r && rename(tmp, path) < 0)) {
		werr = errno;
		r = fs_seterr(err, FS_ERR_IO, werr, path, "cannot write the metadata image (%llu bytes): %s",
			      (unsigned long long)h.image_size, strerror(werr));
	}
	if (r)
		unlink(tmp);
out:
	fs_big_free(v);
	return r;
}

enum fs_result fs_image_build(const void *recs, size_t len, uint64_t dataset_id,
			      const struct fs_img_partinfo *parts, uint32_t nparts,
			      uint32_t nranks, uint32_t node, const char *path,
			      struct fs_err *err)
{
	struct head hd = {dataset_id, 0, nranks, node, 0600};
	return build(recs, len, &hd, parts, nparts, path, err);
}

enum fs_result fs_image_build_for(const struct fs_manifest *m, const void *recs, size_t len,
				  const struct fs_img_partinfo *parts, uint32_t nranks,
				  uint32_t node, const char *path, struct fs_err *err)
{
	struct head hd = {m->hdr.dataset_id, fs_manifest_crc(m), nranks, node, 0600};
	return build(recs, len, &hd, parts, m->hdr.npart + m->hdr.has_bcast, path, err);
}

/* The part table a manifest implies, node-neutral. */
static struct fs_img_partinfo *neutral_parts(const struct fs_manifest *m)
{
	uint32_t n = m->hdr.npart + m->hdr.has_bcast;
	struct fs_img_partinfo *pi = calloc(n, sizeof(*pi));
	for (uint32_t s = 0; pi && s < n; s++)
		pi[s] = (struct fs_img_partinfo){.file_size = m->parts[s].file_size,
						 .bcast = s >= m->hdr.npart};
	return pi;
}

enum fs_result fs_image_build_dataset(const struct fs_manifest *m, struct fs_part *const *parts,
				      const char *path, struct fs_err *err)
{
	uint32_t n = m->hdr.npart + m->hdr.has_bcast;
	struct fs_recbuf rb = {0};
	struct fs_img_partinfo *pi = neutral_parts(m);
	size_t want = 4096;
	for (uint32_t s = 0; s < n; s++)
		want += fs_part_count(parts[s]) * 64 + fs_part_header(parts[s])->names_size;
	enum fs_result r = pi && !fs_recbuf_reserve(&rb, want) ? FS_OK :
			   fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory");
	for (uint32_t s = 0; !r && s < n; s++)
		r = fs_recbuf_add_part(&rb, parts[s], s, err);
	/* read by every user's jobs, as the partitions are (umask applies) */
	struct head hd = {m->hdr.dataset_id, fs_manifest_crc(m), 0, 0, 0644};
	if (!r)
		r = build(rb.buf, rb.len, &hd, pi, n, path, err);
	fs_recbuf_release(&rb);
	free(pi);
	return r;
}

uint32_t fs_image_body_crc(const struct fs_image *img)
{
	const struct fs_img_hdr *h = img->hdr;
	return fs_crc32(0, img->base + h->ent_off, h->image_size - h->ent_off);
}

enum fs_result fs_image_match(const struct fs_image *img, const struct fs_manifest *m,
			      const char *name, struct fs_err *err)
{
	const struct fs_img_hdr *h = img->hdr;
	uint32_t n = m->hdr.npart + m->hdr.has_bcast;
	if (h->nranks != 0 || h->node != 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "made for a job (node %u of %u ranks), not by fanstore-prep",
				 h->node, h->nranks);
	if (h->dataset_id != m->hdr.dataset_id)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "built for another dataset (id %016llx, the manifest says %016llx)",
				 (unsigned long long)h->dataset_id, (unsigned long long)m->hdr.dataset_id);
	if (h->manifest_crc != fs_manifest_crc(m))
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "built for another packing of this dataset (manifest crc %08x, the manifest's is %08x)",
				 h->manifest_crc, fs_manifest_crc(m));
	if (h->nparts != n)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "%u partition slots, the manifest has %u",
				 h->nparts, n);
	for (uint32_t s = 0; s < n; s++) {
		const struct fs_img_part *p = &img->parts[s];
		char want[16];
		fs_part_filename(s == m->hdr.npart ? FS_PART_BCAST : s, want, sizeof(want));
		if (strncmp(p->name, want, sizeof(p->name)) || p->file_size != m->parts[s].file_size ||
		    p->local || p->owner || p->bcast != (s >= m->hdr.npart) || p->reserved)
			return fs_seterr(err, FS_ERR_FORMAT, 0, name,
					 "partition slot %u (%s) differs from the manifest's", s, want);
	}
	return FS_OK;
}

enum fs_result fs_image_set_node(void *head, size_t len, const struct fs_img_partinfo *parts,
				 uint32_t nparts, uint32_t nranks, uint32_t node,
				 struct fs_err *err)
{
	struct fs_img_hdr *h = head;
	uint64_t end;
	if (len < sizeof(*h) || fs_crc32(0, h, offsetof(struct fs_img_hdr, hdr_crc)) != h->hdr_crc)
		return fs_seterr(err, FS_ERR_CRC, 0, NULL, "metadata image header damaged");
	/* the table is rewritten: it must be the image's own bytes, before
	 * every other section (which therefore stays as it was) */
	if (memcmp(h->magic, FS_IMAGE_MAGIC, 8) || h->nparts != nparts || h->part_off < sizeof(*h) ||
	    h->part_off % 8 ||
	    __builtin_add_overflow(h->part_off, (uint64_t)nparts * sizeof(struct fs_img_part), &end) ||
	    end > len || end > h->ent_off || end > h->bucket_off || end > h->child_off ||
	    end > h->names_off)
		return fs_seterr(err, FS_ERR_ARG, 0, NULL, "not an image of %u partition slots", nparts);
	fill_parts((struct fs_img_part *)((uint8_t *)head + h->part_off), parts, nparts);
	h->nranks = nranks;
	h->node = node;
	h->hdr_crc = fs_crc32(0, h, offsetof(struct fs_img_hdr, hdr_crc));
	return FS_OK;
}

/* ------------------------------------------------------------ map & check */

/*
 * An image is checked in two steps.  Opening checks what every use needs,
 * in time that does not grow with the number of files: the header, the
 * sections' bounds, the partition table and the root.  Each entry is
 * checked when it is reached (ent_fault), before any of its fields is
 * used, and so is each slot of the child table; a hash chain only moves
 * to higher entry indices, so a walk ends whatever the image holds.
 * fs_image_verify runs the same checks over everything at once.
 */

static int sect_ok(uint64_t off, uint64_t count, uint64_t elem, uint64_t size)
{
	uint64_t bytes, end;
	return off % 8 == 0 && !__builtin_mul_overflow(count, elem, &bytes) &&
	       !__builtin_add_overflow(off, bytes, &end) && end <= size && off >= sizeof(struct fs_img_hdr);
}

/* Is the string of len bytes at off, and its NUL, inside the name table? */
static int name_ok(const struct fs_image *img, uint64_t off, uint64_t len)
{
	uint64_t n = img->hdr->names_size;
	return off < n && n - off > len && img->names[off + len] == 0;
}

/* What makes entry i unusable, or NULL.  O(1): the entry's own fields
 * against the header and the partition table. */
static const char *ent_fault(const struct fs_image *img, uint64_t i)
{
	const struct fs_img_hdr *h = img->hdr;
	if (i >= h->nent)
		return "no such entry";
	const struct fs_ment *e = &img->ents[i];
	uint64_t end;
	if (!name_ok(img, e->name_off, e->name_len))
		return "name outside the name table";
	if ((i == 0) != (e->name_len == 0))
		return i ? "empty name" : "the root has a name";
	if (e->hnext && (e->hnext <= i + 1 || e->hnext > h->nent))
		return "hash chain link out of order";
	if (e->mtime_nsec >= 1000000000u)
		return "mtime nanoseconds out of range";
	switch (e->mode & S_IFMT) {
	case S_IFREG:
		if (i == 0)
			return "the root is not a directory";
		if (e->part >= h->nparts)
			return "partition slot out of range";
		if (e->method > FS_METHOD_DEFLATE)
			return "unknown compression method";
		if (__builtin_add_overflow(e->off, e->stored, &end) ||
		    end > img->parts[e->part].file_size)
			return "blob outside its partition";
		if (e->method == FS_METHOD_RAW && e->stored != e->size)
			return "raw blob and file sizes differ";
		return NULL;
	case S_IFDIR:
		if (__builtin_add_overflow(e->off, e->stored, &end) || end > h->nchild)
			return "children outside the child table";
		return NULL;
	case S_IFLNK:
		if (i == 0)
			return "the root is not a directory";
		if (e->size == 0 || !name_ok(img, e->off, e->size))
			return "symlink target outside the name table";
		return NULL;
	default:
		return "unknown file type";
	}
}

/* FS_ERR_FORMAT: "entry I (NAME): what" (the name when it can be shown). */
static enum fs_result ent_err(const struct fs_image *img, uint64_t i, const char *what,
			      struct fs_err *err)
{
	char show[256];
	const struct fs_ment *e = i < img->hdr->nent ? &img->ents[i] : NULL;
	if (e && e->name_len && name_ok(img, e->name_off, e->name_len))
		return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "entry %llu (%s): %s",
				 (unsigned long long)i,
				 fs_name_show(img->names + e->name_off, e->name_len, show, sizeof(show)),
				 what);
	return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "entry %llu: %s", (unsigned long long)i, what);
}

enum fs_result fs_image_check_ent(const struct fs_image *img, uint64_t i, struct fs_err *err)
{
	const char *why = ent_fault(img, i);
	return why ? ent_err(img, i, why, err) : FS_OK;
}

enum fs_result fs_image_from_buffer(const void *buf, size_t len, const char *name,
				    struct fs_image *img, struct fs_err *err)
{
	memset(img, 0, sizeof(*img));
	const struct fs_img_hdr *h = buf;
	if (len < sizeof(*h) || (uintptr_t)buf % 8)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "truncated metadata image");
	if (memcmp(h->magic, FS_IMAGE_MAGIC, 8) != 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "not a FanStore metadata image");
	if (h->version != FS_IMAGE_VERSION)
		return fs_seterr(err, FS_ERR_VERSION, 0, name, "metadata image version %u, this build reads %u",
				 h->version, FS_IMAGE_VERSION);
	if (h->hdr_size != sizeof(*h) || fs_crc32(0, h, offsetof(struct fs_img_hdr, hdr_crc)) != h->hdr_crc)
		return fs_seterr(err, FS_ERR_CRC, 0, name, "metadata image header damaged");
	if (h->image_size != len)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "metadata image truncated: %zu of %llu bytes",
				 len, (unsigned long long)h->image_size);
	if (h->nent == 0 || h->nent >= UINT32_MAX || h->nbucket == 0 ||
	    (h->nbucket & (h->nbucket - 1)) || h->nbucket > (1ull << 33) ||
	    !sect_ok(h->part_off, h->nparts, sizeof(struct fs_img_part), len) ||
	    !sect_ok(h->ent_off, h->nent, sizeof(struct fs_ment), len) ||
	    !sect_ok(h->bucket_off, h->nbucket, 4, len) ||
	    !sect_ok(h->child_off, h->nchild, 4, len) ||
	    !sect_ok(h->names_off, h->names_size, 1, len) || h->names_size == 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "metadata image sections out of bounds");
	const uint8_t *b = buf;
	img->base = b;
	img->size = len;
	img->hdr = h;
	img->parts = (const struct fs_img_part *)(b + h->part_off);
	img->ents = (const struct fs_ment *)(b + h->ent_off);
	img->buckets = (const uint32_t *)(b + h->bucket_off);
	img->children = (const uint32_t *)(b + h->child_off);
	img->names = (const char *)(b + h->names_off);
	for (uint32_t i = 0; i < h->nparts; i++) {
		const struct fs_img_part *p = &img->parts[i];
		if (memchr(p->name, 0, sizeof(p->name)) == NULL || strchr(p->name, '/') ||
		    p->name[0] == 0 || p->name[0] == '.') {
			memset(img, 0, sizeof(*img));
			return fs_seterr(err, FS_ERR_FORMAT, 0, name,
					 "metadata image: partition slot %u has a bad file name", i);
		}
	}
	const char *why = ent_fault(img, 0);
	if (why) {
		memset(img, 0, sizeof(*img));
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "metadata image: root entry: %s", why);
	}
	return FS_OK;
}

enum fs_result fs_image_verify(const struct fs_image *img, struct fs_err *err)
{
	const struct fs_img_hdr *h = img->hdr;
	for (uint64_t i = 0; i < h->nent; i++) {
		const char *why = ent_fault(img, i);
		if (why)
			return ent_err(img, i, why, err);
	}
	for (uint64_t i = 0; i < h->nchild; i++)
		if (img->children[i] == 0 || img->children[i] >= h->nent)
			return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "child slot %llu out of range",
					 (unsigned long long)i);
	for (uint64_t i = 0; i < h->nbucket; i++)
		if (img->buckets[i] > h->nent)
			return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "hash bucket %llu out of range",
					 (unsigned long long)i);
	return FS_OK;
}

enum fs_result fs_image_open(const char *path, struct fs_image *img, struct fs_err *err)
{
	memset(img, 0, sizeof(*img));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fs_seterr(err, FS_ERR_IO, errno, path, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct fs_img_hdr)) {
		close(fd);
		return fs_seterr(err, FS_ERR_FORMAT, 0, path, "truncated metadata image");
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return fs_seterr(err, FS_ERR_IO, e, path, "cannot map: %s", strerror(e));
	enum fs_result r = fs_image_from_buffer(m, (size_t)st.st_size, path, img, err);
	if (r) {
		munmap(m, (size_t)st.st_size);
		return r;
	}
	img->mapped = 1;
	return FS_OK;
}

void fs_image_close(struct fs_image *img)
{
	if (img && img->mapped)
		munmap((void *)img->base, img->size);
	if (img)
		memset(img, 0, sizeof(*img));
}

/* ---------------------------------------------------------------- lookups */

int64_t fs_image_lookup(const struct fs_image *img, const char *rel, size_t len,
			struct fs_err *err)
{
	uint64_t b = fs_hash(rel, len) & (img->hdr->nbucket - 1);
	uint32_t k = img->buckets[b];
	if (k > img->hdr->nent) {
		fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "hash bucket %llu out of range",
			  (unsigned long long)b);
		return FS_IMG_DAMAGED;
	}
	/* Entries passed on the way are checked for what the walk uses (the
	 * name, the link onwards); the one found is checked whole. */
	while (k) {
		const struct fs_ment *e = &img->ents[k - 1];
		const char *why = NULL;
		if (!name_ok(img, e->name_off, e->name_len))
			why = "name outside the name table";
		else if (e->name_len == len && memcmp(img->names + e->name_off, rel, len) == 0 &&
			 !(why = ent_fault(img, k - 1)))
			return (int64_t)k - 1;
		if (!why && e->hnext && (e->hnext <= k || e->hnext > img->hdr->nent))
			why = "hash chain link out of order";
		if (why) {
			ent_err(img, k - 1, why, err);
			return FS_IMG_DAMAGED;
		}
		k = e->hnext;
	}
	return FS_IMG_ABSENT;
}

int64_t fs_image_child(const struct fs_image *img, uint64_t dir, uint64_t k, struct fs_err *err)
{
	const struct fs_ment *d = &img->ents[dir];
	if (!S_ISDIR(d->mode) || k >= d->stored)
		return FS_IMG_ABSENT;
	uint32_t c = img->children[d->off + k];
	const char *why = c == 0 ? "is the root" : ent_fault(img, c);
	if (why) {
		char what[96];
		snprintf(what, sizeof(what), "child %llu (entry %u): %s", (unsigned long long)k, c, why);
		ent_err(img, dir, what, err);
		return FS_IMG_DAMAGED;
	}
	return c;
}

const char *fs_image_basename(const struct fs_image *img, const struct fs_ment *e, size_t *len)
{
	const char *s = img->names + e->name_off;
	const char *slash = memrchr(s, '/', e->name_len);
	const char *b = slash ? slash + 1 : s;
	*len = e->name_len - (size_t)(b - s);
	return b;
}

void fs_image_stat(const struct fs_image *img, uint64_t i, uid_t uid, gid_t gid, struct stat *st)
{
	const struct fs_ment *e = &img->ents[i];
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0xfa, (unsigned)(img->hdr->dataset_id & 0xffff));
	st->st_ino = (ino_t)i + 2;
	st->st_mode = e->mode;
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_blksize = 4096;
	if (S_ISDIR(e->mode)) {
		st->st_nlink = 2 + e->crc;
		st->st_size = 4096;
	} else {
		st->st_nlink = 1;
		st->st_size = (off_t)e->size;
	}
	/* tmpfs-like: whole pages; a short symlink's target lives in its inode */
	st->st_blocks = S_ISLNK(e->mode) ? 0 : (blkcnt_t)((st->st_size + 4095) / 4096 * 8);
	st->st_mtim.tv_sec = e->mtime_sec;
	st->st_mtim.tv_nsec = e->mtime_nsec;
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
}
