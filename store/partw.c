/* partw.c - writing partition files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store.h"

#define WBUF (4u << 20)
#define WDIRECT (256u << 10)   /* blobs this large skip the buffer */

struct fs_partw {
	int fd;
	char *path;
	uint32_t part_index, npart;
	uint64_t pos;             /* file offset of wbuf[0] + wlen */
	uint8_t *wbuf;
	size_t wlen;
	uint64_t wstart;          /* file offset of wbuf[0] */
	struct fs_dentry *ents;   /* name_off points into tnames until finish */
	uint64_t n, cap;
	char *tnames;
	uint64_t tlen, tcap;
	int finished;
};

int fs_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t k = pwrite(fd, p, len, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (k == 0)
			return ENOSPC;
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static enum fs_result ioerr(struct fs_partw *w, int e, struct fs_err *err)
{
	if (e == ENOSPC || e == EDQUOT)
		return fs_seterr(err, FS_ERR_IO, e, w->path,
				 "no space left on the device (%llu bytes written so far): free space or write elsewhere",
				 (unsigned long long)w->pos);
	return fs_seterr(err, FS_ERR_IO, e, w->path, "write failed: %s", strerror(e));
}

static int flush(struct fs_partw *w)
{
	int e = fs_pwrite_all(w->fd, w->wbuf, w->wlen, w->wstart);
	w->wstart += w->wlen;
	w->wlen = 0;
	return e;
}

/* Append bytes at w->pos through the buffer (large writes go direct). */
static int put(struct fs_partw *w, const void *buf, size_t len)
{
	if (w->wlen + len > WBUF) {
		int e = flush(w);
		if (e)
			return e;
	}
	if (len >= WDIRECT) {
		int e = w->wlen ? flush(w) : 0;
		if (e)
			return e;
		e = fs_pwrite_all(w->fd, buf, len, w->wstart);
		w->wstart += len;
		w->pos += len;
		return e;
	}
	memcpy(w->wbuf + w->wlen, buf, len);
	w->wlen += len;
	w->pos += len;
	return 0;
}

static int pad(struct fs_partw *w)
{
	static const uint8_t zero[FS_BLOB_ALIGN];
	uint64_t to = fs_align(w->pos, FS_BLOB_ALIGN);
	return to > w->pos ? put(w, zero, to - w->pos) : 0;
}

enum fs_result fs_partw_new(const char *path, uint32_t part_index, uint32_t npart,
			    struct fs_partw **out, struct fs_err *err)
{
	*out = NULL;
	if (npart == 0 || (part_index >= npart && part_index != FS_PART_BCAST))
		return fs_seterr(err, FS_ERR_ARG, 0, path, "bad partition number %u of %u",
				 part_index, npart);
	struct fs_partw *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->wbuf = malloc(WBUF))) {
		if (w) {
			free(w->path);
			free(w);
		}
		return fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory");
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int e = errno;
		free(w->wbuf);
		free(w->path);
		free(w);
		return fs_seterr(err, FS_ERR_IO, e, path, "cannot create: %s", strerror(e));
	}
	w->part_index = part_index;
	w->npart = npart;
	w->pos = w->wstart = sizeof(struct fs_part_hdr);
	*out = w;
	return FS_OK;
}

static int grow(void **p, uint64_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint64_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

enum fs_result fs_partw_add(struct fs_partw *w, const struct fs_winfo *in,
			    const void *blob, uint64_t stored, struct fs_err *err)
{
	uint32_t type = in->mode & S_IFMT;
	if (!fs_name_ok(in->name, in->name_len))
		return fs_seterr(err, FS_ERR_ARG, 0, w->path, "invalid entry name");
	if ((type != S_IFREG && type != S_IFDIR && type != S_IFLNK) ||
	    in->method > FS_METHOD_DEFLATE || in->mtime_nsec >= 1000000000u ||
	    (type == S_IFDIR && (stored || in->size)) ||
	    (type != S_IFREG && in->method != FS_METHOD_RAW) ||
	    (type != S_IFREG && type != S_IFDIR && w->part_index != 0) ||
	    (type == S_IFDIR && w->part_index != 0) ||
	    (in->method == FS_METHOD_RAW && stored != in->size)) {
		char show[256];
		return fs_seterr(err, FS_ERR_ARG, 0, w->path, "%s: inconsistent entry",
				 fs_name_show(in->name, in->name_len, show, sizeof(show)));
	}
	if (grow((void **)&w->ents, &w->cap, w->n + 1, sizeof(*w->ents)) ||
	    grow((void **)&w->tnames, &w->tcap, w->tlen + in->name_len + 1, 1))
		return fs_seterr(err, FS_ERR_NOMEM, 0, w->path, "out of memory");
	struct fs_dentry *e = &w->ents[w->n];
	memset(e, 0, sizeof(*e));
	e->name_off = w->tlen;
	e->name_len = in->name_len;
	e->mode = in->mode;
	e->size = in->size;
	e->stored = stored;
	e->mtime_sec = in->mtime_sec;
	e->mtime_nsec = in->mtime_nsec;
	e->crc = in->crc;
	e->method = in->method;
	if (type != S_IFDIR) {
		e->data_off = w->pos;
		int r = stored ? put(w, blob, stored) : 0;
		if (!r)
			r = pad(w);
		if (r)
			return ioerr(w, r, err);
	}
	memcpy(w->tnames + w->tlen, in->name, in->name_len);
	w->tnames[w->tlen + in->name_len] = 0;
	w->tlen += in->name_len + 1;
	w->n++;
	return FS_OK;
}

static int ent_cmp(const void *a, const void *b, void *arg)
{
	const struct fs_dentry *x = a, *y = b;
	const char *sort_names = arg;
	return fs_name_cmp(sort_names + x->name_off, x->name_len, sort_names + y->name_off,
			   y->name_len);
}

enum fs_result fs_partw_finish(struct fs_partw *w, uint64_t dataset_id,
			       struct fs_manifest_part *mp, struct fs_err *err)
{
	int e = flush(w);
	if (e)
		return ioerr(w, e, err);
	/* sort by name (qsort is not stable, but names are unique) */
	if (w->n > 1)
		qsort_r(w->ents, w->n, sizeof(*w->ents), ent_cmp, w->tnames);
	char *names = malloc(w->tlen ? w->tlen : 1);
	if (!names)
		return fs_seterr(err, FS_ERR_NOMEM, 0, w->path, "out of memory");
	uint64_t nl = 0;
	for (uint64_t i = 0; i < w->n; i++) {
		struct fs_dentry *d = &w->ents[i];
		const char *s = w->tnames + d->name_off;
		if (i && fs_name_cmp(names + w->ents[i - 1].name_off, w->ents[i - 1].name_len, s,
				     d->name_len) == 0) {
			free(names);
			char show[256];
			return fs_seterr(err, FS_ERR_ARG, 0, w->path, "duplicate entry %s",
					 fs_name_show(s, d->name_len, show, sizeof(show)));
		}
		memcpy(names + nl, s, d->name_len + 1);
		d->name_off = nl;
		nl += d->name_len + 1;
	}
	struct fs_part_hdr h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, FS_PART_MAGIC, 8);
	h.version = FS_FORMAT_VERSION;
	h.hdr_size = sizeof(h);
	h.dataset_id = dataset_id;
	h.part_index = w->part_index;
	h.npart = w->npart;
	h.nent = w->n;
	h.data_off = sizeof(h);
	h.data_size = w->pos - h.data_off;
	h.index_off = w->pos;   /* pos is 64-aligned after every blob */
	h.index_size = w->n * sizeof(struct fs_dentry);
	h.names_off = h.index_off + h.index_size;
	h.names_size = nl;
	h.file_size = h.names_off + h.names_size;
	uint32_t crc = fs_crc32(0, w->ents, h.index_size);
	h.index_crc = fs_crc32(crc, names, nl);
	h.hdr_crc = fs_crc32(0, &h, offsetof(struct fs_part_hdr, hdr_crc));
	e = fs_pwrite_all(w->fd, w->ents, h.index_size, h.index_off);
	if (!e)
		e = fs_pwrite_all(w->fd, names, nl, h.names_off);
	free(names);
	if (!e)
		e = fs_pwrite_all(w->fd, &h, sizeof(h), 0);
	if (!e && fsync(w->fd) < 0)
		e = errno;
	if (!e && close(w->fd) < 0)
		e = errno;
	if (e) {
		return ioerr(w, e, err);
	}
	w->fd = -1;
	w->finished = 1;
	if (mp) {
		mp->file_size = h.file_size;
		mp->nent = h.nent;
		mp->hdr_crc = h.hdr_crc;
		mp->index_crc = h.index_crc;
	}
	return FS_OK;
}

void fs_partw_free(struct fs_partw **wp)
{
	if (!wp || !*wp)
		return;
	struct fs_partw *w = *wp;
	if (w->fd >= 0)
		close(w->fd);
	if (!w->finished)
		unlink(w->path);
	free(w->ents);
	free(w->tnames);
	free(w->wbuf);
	free(w->path);
	free(w);
	*wp = NULL;
}
