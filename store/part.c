/* part.c - reading and checking partition files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store.h"

struct fs_part {
	const uint8_t *base;      /* whole file (NULL when index-only) */
	size_t len;
	int mapped;
	struct fs_part_hdr hdr;   /* copy: aligned and stable */
	const struct fs_dentry *ents;
	const char *names;
	void *index_buf;          /* index-only: malloc'ed index + names */
	char name[256];
};

static const char *pname(const char *name)
{
	return name ? name : "partition";
}

/* A canonical relative name: no NUL, no leading/trailing '/', no empty,
 * "." or ".." component. */
int fs_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > FS_NAME_MAX || memchr(s, 0, n))
		return 0;
	size_t i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		size_t c = j - i;
		if (c == 0 || (c == 1 && s[i] == '.') || (c == 2 && s[i] == '.' && s[i + 1] == '.'))
			return 0;
		i = j + 1;
	}
	return 1;
}

int fs_name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

const char *fs_name_show(const char *s, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
	return out;
}

struct span {
	uint64_t off, len;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Header and section layout against the real file length. */
static enum fs_result check_header(const struct fs_part_hdr *h, uint64_t flen,
				   const char *name, struct fs_err *err)
{
	name = pname(name);
	if (memcmp(h->magic, FS_PART_MAGIC, 8) != 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "not a FanStore partition (bad magic)");
	if (h->version != FS_FORMAT_VERSION)
		return fs_seterr(err, FS_ERR_VERSION, 0, name,
				 "format version %u, this build reads version %u: repack the dataset with this fanstore-prep",
				 h->version, FS_FORMAT_VERSION);
	if (h->hdr_size != sizeof(*h))
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "bad header size %u", h->hdr_size);
	if (fs_crc32(0, h, offsetof(struct fs_part_hdr, hdr_crc)) != h->hdr_crc)
		return fs_seterr(err, FS_ERR_CRC, 0, name, "header checksum mismatch (damaged partition)");
	if (flen < h->file_size)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "truncated: %llu of %llu bytes",
				 (unsigned long long)flen, (unsigned long long)h->file_size);
	if (flen != h->file_size)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "has %llu bytes, header says %llu",
				 (unsigned long long)flen, (unsigned long long)h->file_size);
	if (h->npart == 0 || (h->part_index >= h->npart && h->part_index != FS_PART_BCAST))
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "bad partition number %u of %u",
				 h->part_index, h->npart);
	uint64_t dend;
	if (h->data_off != sizeof(*h) || __builtin_add_overflow(h->data_off, h->data_size, &dend) ||
	    dend > h->index_off || h->index_off % FS_BLOB_ALIGN ||
	    h->nent > (UINT64_MAX / sizeof(struct fs_dentry)) ||
	    h->index_size != h->nent * sizeof(struct fs_dentry) ||
	    __builtin_add_overflow(h->index_off, h->index_size, &dend) || h->names_off != dend ||
	    __builtin_add_overflow(h->names_off, h->names_size, &dend) || dend != h->file_size ||
	    h->flags != 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "inconsistent section offsets in header");
	for (size_t i = 0; i < sizeof(h->reserved); i++)
		if (h->reserved[i])
			return fs_seterr(err, FS_ERR_FORMAT, 0, name, "reserved header bytes set");
	return FS_OK;
}

/* Every entry; index/names are in memory, blobs are not read. */
static enum fs_result check_entries(const struct fs_part_hdr *h, const struct fs_dentry *ents,
				    const char *names, const char *name, struct fs_err *err)
{
	name = pname(name);
	if (fs_crc32(0, ents, h->index_size + h->names_size) != h->index_crc)
		return fs_seterr(err, FS_ERR_CRC, 0, name, "index checksum mismatch (damaged partition)");
	struct span *sp = NULL;
	if (h->nent && !(sp = malloc(h->nent * sizeof(*sp))))
		return fs_seterr(err, FS_ERR_NOMEM, 0, name, "out of memory checking %llu entries",
				 (unsigned long long)h->nent);
	uint64_t nsp = 0, dstart = h->data_off, dend = h->data_off + h->data_size;
	enum fs_result r = FS_OK;
	const char *prev = NULL;
	size_t prevn = 0;
	for (uint64_t i = 0; i < h->nent; i++) {
		const struct fs_dentry *e = &ents[i];
		uint64_t end;
		if (e->name_len == 0 || e->name_len > FS_NAME_MAX || e->name_off >= h->names_size ||
		    h->names_size - e->name_off <= e->name_len || names[e->name_off + e->name_len] != 0) {
			r = fs_seterr(err, FS_ERR_FORMAT, 0, name, "entry %llu: name outside the name table",
				      (unsigned long long)i);
			break;
		}
		const char *en = names + e->name_off;
		if (!fs_name_ok(en, e->name_len)) {
			r = fs_seterr(err, FS_ERR_FORMAT, 0, name, "entry %llu: invalid path name",
				      (unsigned long long)i);
			break;
		}
		if (prev && fs_name_cmp(prev, prevn, en, e->name_len) >= 0) {
			char show[256];
			r = fs_seterr(err, FS_ERR_FORMAT, 0, name, "entry %llu (%s): index not sorted or duplicate name",
				      (unsigned long long)i, fs_name_show(en, e->name_len, show, sizeof(show)));
			break;
		}
		prev = en;
		prevn = e->name_len;
		uint32_t type = e->mode & S_IFMT;
		const char *bad = NULL;
		if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
			bad = "unknown file type";
		else if (e->method > FS_METHOD_DEFLATE)
			bad = "unknown compression method";
		else if (e->mtime_nsec >= 1000000000u || e->reserved)
			bad = "bad field";
		else if (type != S_IFREG && h->part_index != 0)
			bad = "directory or symlink outside partition 0";
		else if (type == S_IFDIR && (e->size || e->stored || e->data_off || e->method))
			bad = "directory with data";
		else if (type == S_IFLNK && (e->method != FS_METHOD_RAW || e->size == 0 ||
					     e->size > FS_NAME_MAX))
			bad = "bad symlink target";
		else if (type != S_IFDIR && e->method == FS_METHOD_RAW && e->stored != e->size)
			bad = "raw blob size differs from file size";
		else if (type != S_IFDIR && e->stored &&
			 (e->data_off < dstart || e->data_off % FS_BLOB_ALIGN ||
			  __builtin_add_overflow(e->data_off, e->stored, &end) || end > dend))
			bad = "blob outside the data area";
		else if (type == S_IFREG && e->method == FS_METHOD_DEFLATE && e->stored == 0 && e->size)
			bad = "empty compressed blob";
		if (bad) {
			char show[256];
			r = fs_seterr(err, FS_ERR_FORMAT, 0, name, "entry %llu (%s): %s",
				      (unsigned long long)i, fs_name_show(en, e->name_len, show, sizeof(show)), bad);
			break;
		}
		if (type != S_IFDIR && e->stored)
			sp[nsp++] = (struct span){e->data_off, e->stored};
	}
	if (r == FS_OK && nsp > 1) {
		qsort(sp, nsp, sizeof(*sp), span_cmp);
		for (uint64_t i = 1; i < nsp; i++)
			if (sp[i - 1].off + sp[i - 1].len > sp[i].off) {
				r = fs_seterr(err, FS_ERR_FORMAT, 0, name,
					      "overlapping blobs at offset %llu",
					      (unsigned long long)sp[i].off);
				break;
			}
	}
	free(sp);
	return r;
}

enum fs_result fs_part_check(const void *buf, size_t len, const char *name, struct fs_err *err)
{
	struct fs_part_hdr h;
	if (len < sizeof(h))
		return fs_seterr(err, FS_ERR_FORMAT, 0, pname(name),
				 "truncated: %zu bytes, shorter than a header", len);
	memcpy(&h, buf, sizeof(h));
	enum fs_result r = check_header(&h, len, name, err);
	if (r)
		return r;
	if ((uintptr_t)buf % 8)
		return fs_seterr(err, FS_ERR_ARG, 0, pname(name), "buffer not 8-byte aligned");
	const uint8_t *b = buf;
	return check_entries(&h, (const struct fs_dentry *)(b + h.index_off),
			     (const char *)(b + h.names_off), name, err);
}

static void set_name(struct fs_part *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", pname(name));
}

enum fs_result fs_part_from_buffer(const void *buf, size_t len, const char *name,
				   struct fs_part **out, struct fs_err *err)
{
	*out = NULL;
	enum fs_result r = fs_part_check(buf, len, name, err);
	if (r)
		return r;
	struct fs_part *p = calloc(1, sizeof(*p));
	if (!p)
		return fs_seterr(err, FS_ERR_NOMEM, 0, pname(name), "out of memory");
	p->base = buf;
	p->len = len;
	memcpy(&p->hdr, buf, sizeof(p->hdr));
	p->ents = (const struct fs_dentry *)(p->base + p->hdr.index_off);
	p->names = (const char *)(p->base + p->hdr.names_off);
	set_name(p, name);
	*out = p;
	return FS_OK;
}

static enum fs_result open_fd(const char *path, int *fd, uint64_t *len, struct fs_err *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fs_seterr(err, FS_ERR_IO, errno, path, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		close(*fd);
		return fs_seterr(err, FS_ERR_IO, e, path, "not a regular file");
	}
	*len = (uint64_t)st.st_size;
	return FS_OK;
}

enum fs_result fs_part_open(const char *path, struct fs_part **out, struct fs_err *err)
{
	*out = NULL;
	int fd;
	uint64_t len;
	enum fs_result r = open_fd(path, &fd, &len, err);
	if (r)
		return r;
	if (len < sizeof(struct fs_part_hdr)) {
		close(fd);
		return fs_seterr(err, FS_ERR_FORMAT, 0, path,
				 "truncated: %llu bytes, shorter than a header", (unsigned long long)len);
	}
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return fs_seterr(err, FS_ERR_IO, e, path, "cannot map: %s", strerror(e));
	r = fs_part_from_buffer(m, len, path, out, err);
	if (r) {
		munmap(m, len);
		return r;
	}
	(*out)->mapped = 1;
	return FS_OK;
}

/* Open path and read and check its header (not its entries): *fd open
 * on it, *len its length, or an error with nothing left open. */
static enum fs_result open_header(const char *path, int *fd, uint64_t *len,
				  struct fs_part_hdr *h, struct fs_err *err)
{
	enum fs_result r = open_fd(path, fd, len, err);
	if (r)
		return r;
	if (pread(*fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
		r = fs_seterr(err, FS_ERR_FORMAT, 0, path, "truncated: %llu bytes, shorter than a header",
			      (unsigned long long)*len);
	else
		r = check_header(h, *len, path, err);
	if (r)
		close(*fd);
	return r;
}

enum fs_result fs_part_map(const char *path, struct fs_part **out, struct fs_err *err)
{
	*out = NULL;
	int fd;
	uint64_t len;
	struct fs_part_hdr h;
	enum fs_result r = open_header(path, &fd, &len, &h, err);
	if (r)
		return r;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	struct fs_part *p = m == MAP_FAILED ? NULL : calloc(1, sizeof(*p));
	if (!p) {
		if (m != MAP_FAILED)
			munmap(m, len);
		return m == MAP_FAILED ? fs_seterr(err, FS_ERR_IO, e, path, "cannot map: %s", strerror(e))
				       : fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory");
	}
	p->base = m;
	p->len = len;
	p->mapped = 1;
	p->hdr = h;   /* no entries: ents stays NULL, and fs_part_entry says so */
	set_name(p, path);
	*out = p;
	return FS_OK;
}

enum fs_result fs_part_open_index(const char *path, struct fs_part **out, struct fs_err *err)
{
	*out = NULL;
	int fd;
	uint64_t len;
	struct fs_part_hdr h;
	enum fs_result r = open_header(path, &fd, &len, &h, err);
	if (r)
		return r;
	uint64_t ilen = h.index_size + h.names_size;
	void *ib = malloc(ilen ? ilen : 1);
	struct fs_part *p = calloc(1, sizeof(*p));
	if (!ib || !p) {
		close(fd);
		free(ib);
		free(p);
		return fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory reading the index");
	}
	uint64_t got = 0;
	while (got < ilen) {
		ssize_t n = pread(fd, (char *)ib + got, ilen - got, (off_t)(h.index_off + got));
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);
	if (got != ilen) {
		free(ib);
		free(p);
		return fs_seterr(err, FS_ERR_IO, errno, path, "short read of the index");
	}
	p->hdr = h;
	p->index_buf = ib;
	p->ents = ib;
	p->names = (const char *)ib + h.index_size;
	p->len = len;
	set_name(p, path);
	if ((r = check_entries(&h, p->ents, p->names, path, err))) {
		fs_part_free(&p);
		return r;
	}
	*out = p;
	return FS_OK;
}

void fs_part_free(struct fs_part **pp)
{
	if (!pp || !*pp)
		return;
	struct fs_part *p = *pp;
	if (p->mapped)
		munmap((void *)p->base, p->len);
	free(p->index_buf);
	free(p);
	*pp = NULL;
}

const struct fs_part_hdr *fs_part_header(const struct fs_part *p) { return &p->hdr; }
const void *fs_part_base(const struct fs_part *p) { return p->base; }
uint64_t fs_part_count(const struct fs_part *p) { return p->hdr.nent; }

const struct fs_dentry *fs_part_entry(const struct fs_part *p, uint64_t i)
{
	return i < p->hdr.nent && p->ents ? &p->ents[i] : NULL;
}

const char *fs_part_ename(const struct fs_part *p, const struct fs_dentry *e)
{
	return p->names + e->name_off;
}

const void *fs_part_blob(const struct fs_part *p, const struct fs_dentry *e)
{
	return p->base ? p->base + e->data_off : NULL;
}

enum fs_result fs_part_extract(const struct fs_part *p, uint64_t i, void *dst, struct fs_err *err)
{
	const struct fs_dentry *e = fs_part_entry(p, i);
	if (!e)
		return fs_seterr(err, FS_ERR_RANGE, 0, p->name, "no entry %llu", (unsigned long long)i);
	if (!p->base)
		return fs_seterr(err, FS_ERR_ARG, 0, p->name, "index-only partition has no data");
	if (S_ISDIR(e->mode))
		return FS_OK;
	enum fs_result r = fs_blob_decode(e->method, p->base + e->data_off, e->stored, dst,
					  e->size, e->crc);
	char show[256];
	if (r)
		fs_name_show(fs_part_ename(p, e), e->name_len, show, sizeof(show));
	if (r == FS_ERR_CRC)
		return fs_seterr(err, r, 0, p->name, "%s: checksum mismatch (damaged data)", show);
	if (r)
		return fs_seterr(err, r, 0, p->name, "%s: %s", show, fs_result_str(r));
	return FS_OK;
}

enum fs_result fs_part_verify(const struct fs_part *p, struct fs_err *err)
{
	void *buf = NULL;
	uint64_t cap = 0;
	enum fs_result r = FS_OK;
	for (uint64_t i = 0; i < p->hdr.nent && r == FS_OK; i++) {
		const struct fs_dentry *e = &p->ents[i];
		if (S_ISDIR(e->mode))
			continue;
		if (e->size > cap) {
			free(buf);
			cap = e->size;
			if (!(buf = malloc(cap)))
				return fs_seterr(err, FS_ERR_NOMEM, 0, p->name,
						 "out of memory for %llu bytes", (unsigned long long)cap);
		}
		r = fs_part_extract(p, i, buf, err);
	}
	free(buf);
	return r;
}
