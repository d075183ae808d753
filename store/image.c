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
 * memory; on some machines each page fault costs more than filling the
 * page.  Large work buffers are therefore mapped with huge pages where
 * allowed and faulted in with one call.  A 64-byte header keeps the size. */
#define BIG_HDR 64u

static void *big_alloc(size_t n)
{
	size_t len = BIG_HDR + (n ? n : 1);
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(m, len, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	(void)madvise(m, len, MADV_POPULATE_WRITE);
#endif
	memcpy(m, &len, sizeof(len));
	return m + BIG_HDR;
}

static void big_free(void *p)
{
	if (!p)
		return;
	uint8_t *m = (uint8_t *)p - BIG_HDR;
	size_t len;
	memcpy(&len, m, sizeof(len));
	munmap(m, len);
}

/* Grow to n bytes, keeping the first `keep` bytes. */
static void *big_grow(void *p, size_t keep, size_t n)
{
	void *q = big_alloc(n);
	if (q && p)
		memcpy(q, p, keep);
	if (q)
		big_free(p);
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

int fs_recbuf_reserve(struct fs_recbuf *rb, size_t bytes)
{
	if (rb_reserve(rb, bytes))
		return -1;
#ifdef MADV_POPULATE_WRITE
	uintptr_t a = ((uintptr_t)(rb->buf + rb->len) + 4095) & ~(uintptr_t)4095;
	uintptr_t e = (uintptr_t)(rb->buf + rb->cap) & ~(uintptr_t)4095;
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#endif
	return 0;
}

enum fs_result fs_recbuf_add_part(struct fs_recbuf *rb, const struct fs_part *p,
				  uint32_t slot, struct fs_err *err)
{
	const struct fs_part_hdr *h = fs_part_header(p);
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
			big_free(v);
			return fs_seterr(err, FS_ERR_FORMAT, 0, NULL, "truncated metadata record");
		}
		const struct fs_rec *r = (const struct fs_rec *)(recs + off);
		enum fs_result rr = rec_check(r, len - off, nparts, err);
		if (rr) {
			big_free(v);
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

enum fs_result fs_image_build(const void *recs, size_t len, uint64_t dataset_id,
			      const struct fs_img_partinfo *parts, uint32_t nparts,
			      uint32_t nranks, uint32_t node, const char *path,
			      struct fs_err *err)
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
	h.version = FS_FORMAT_VERSION;
	h.hdr_size = sizeof(h);
	h.dataset_id = dataset_id;
	h.nent = nent;
	h.nbucket = nbucket;
	h.nchild = nchild;
	h.nparts = nparts;
	h.nranks = nranks;
	h.node = node;
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
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	struct fs_img_part *ip = (struct fs_img_part *)(img + h.part_off);
	for (uint32_t i = 0; i < nparts; i++) {
		fs_part_filename(parts[i].bcast ? FS_PART_BCAST : i, ip[i].name, sizeof(ip[i].name));
		ip[i].file_size = parts[i].file_size;
		ip[i].local = parts[i].local;
		ip[i].owner = parts[i].owner;
		ip[i].bcast = parts[i].bcast;
	}
	struct fs_ment *ents = (struct fs_ment *)(img + h.ent_off);
	uint32_t *buckets = (uint32_t *)(img + h.bucket_off);
	uint32_t *children = (uint32_t *)(img + h.child_off);
	char *names = (char *)(img + h.names_off);
	uint64_t nl = 1, cpos = 0;
	/* root */
	ents[0] = (struct fs_ment){.mode = S_IFDIR | 0755, .part = FS_NOPART, .off = cpos,
				   .stored = root_nchild, .crc = root_nsub};
	cpos += root_nchild;
	for (uint64_t i = 0; i < n; i++) {
		struct bent *b = &v[i];
		struct fs_ment *e = &ents[i + 1];
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
	/* children, in sorted order (== sorted by basename within a directory) */
	uint32_t rfill = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t p = v[i].parent;
		if (p == 0)
			children[ents[0].off + rfill++] = (uint32_t)(i + 1);
		else
			children[v[p - 1].cfirst++] = (uint32_t)(i + 1);
	}
	/* hash chains; insert in reverse so chains are in index order */
	for (uint64_t i = nent; i-- > 0;) {
		uint64_t hb = fs_hash(names + ents[i].name_off, ents[i].name_len) & (nbucket - 1);
		ents[i].hnext = buckets[hb];
		buckets[hb] = (uint32_t)(i + 1);
	}
	h.hdr_crc = fs_crc32(0, &h, offsetof(struct fs_img_hdr, hdr_crc));
	memcpy(img, &h, sizeof(h));
	if (munmap(img, h.image_size) < 0 || rename(tmp, path) < 0) {
		werr = errno;
		unlink(tmp);
		r = fs_seterr(err, FS_ERR_IO, werr, path, "cannot write the metadata image (%llu bytes): %s",
			      (unsigned long long)h.image_size, strerror(werr));
	}
out:
	big_free(v);
	return r;
}

/* ------------------------------------------------------------ map & check */

static int sect_ok(uint64_t off, uint64_t count, uint64_t elem, uint64_t size)
{
	uint64_t bytes, end;
	return off % 8 == 0 && !__builtin_mul_overflow(count, elem, &bytes) &&
	       !__builtin_add_overflow(off, bytes, &end) && end <= size && off >= sizeof(struct fs_img_hdr);
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
	if (h->version != FS_FORMAT_VERSION)
		return fs_seterr(err, FS_ERR_VERSION, 0, name, "metadata image version %u, expected %u",
				 h->version, FS_FORMAT_VERSION);
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
	const char *names = img->names;
	for (uint32_t i = 0; i < h->nparts; i++)
		if (memchr(img->parts[i].name, 0, sizeof(img->parts[i].name)) == NULL ||
		    strchr(img->parts[i].name, '/') || img->parts[i].name[0] == 0 ||
		    img->parts[i].name[0] == '.')
			goto bad;
	for (uint64_t i = 0; i < h->nent; i++) {
		const struct fs_ment *e = &img->ents[i];
		uint64_t end;
		if (e->name_off >= h->names_size || h->names_size - e->name_off <= e->name_len ||
		    names[e->name_off + e->name_len] != 0 || e->hnext > h->nent)
			goto bad;
		if ((i == 0) != (e->name_len == 0))
			goto bad;
		switch (e->mode & S_IFMT) {
		case S_IFREG:
			if (e->part >= h->nparts || e->method > FS_METHOD_DEFLATE ||
			    __builtin_add_overflow(e->off, e->stored, &end) ||
			    end > img->parts[e->part].file_size ||
			    (e->method == FS_METHOD_RAW && e->stored != e->size))
				goto bad;
			break;
		case S_IFDIR:
			if (__builtin_add_overflow(e->off, e->stored, &end) || end > h->nchild)
				goto bad;
			break;
		case S_IFLNK:
			if (e->off >= h->names_size || h->names_size - e->off <= e->size ||
			    names[e->off + e->size] != 0 || e->size == 0)
				goto bad;
			break;
		default:
			goto bad;
		}
		if (i == 0 && !S_ISDIR(e->mode))
			goto bad;
	}
	for (uint64_t i = 0; i < h->nchild; i++)
		if (img->children[i] == 0 || img->children[i] >= h->nent)
			goto bad;
	uint64_t steps = 0;
	for (uint64_t bk = 0; bk < h->nbucket; bk++)
		for (uint32_t k = img->buckets[bk]; k; k = img->ents[k - 1].hnext)
			if (k > h->nent || ++steps > h->nent)
				goto bad;
	return FS_OK;
bad:
	memset(img, 0, sizeof(*img));
	return fs_seterr(err, FS_ERR_FORMAT, 0, name, "metadata image is malformed");
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

int64_t fs_image_lookup(const struct fs_image *img, const char *rel, size_t len)
{
	uint32_t k = img->buckets[fs_hash(rel, len) & (img->hdr->nbucket - 1)];
	while (k) {
		const struct fs_ment *e = &img->ents[k - 1];
		if (e->name_len == len && memcmp(img->names + e->name_off, rel, len) == 0)
			return (int64_t)k - 1;
		k = e->hnext;
	}
	return -1;
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
