/* manifest.c - the dataset manifest (fanstore.manifest). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store.h"

void fs_part_filename(uint32_t i, char *buf, size_t len)
{
	if (i == FS_PART_BCAST)
		snprintf(buf, len, "%s", FS_BCAST_NAME);
	else
		snprintf(buf, len, "fs_%04u", i);
}

static size_t nslots(const struct fs_manifest_hdr *h)
{
	return (size_t)h->npart + (h->has_bcast ? 1 : 0);
}

/* The header as written: magic, version and size are the writer's. */
static struct fs_manifest_hdr written_hdr(const struct fs_manifest *m)
{
	struct fs_manifest_hdr h = m->hdr;
	memcpy(h.magic, FS_MANIFEST_MAGIC, 8);
	h.version = FS_FORMAT_VERSION;
	h.hdr_size = sizeof(h);
	return h;
}

uint32_t fs_manifest_crc(const struct fs_manifest *m)
{
	struct fs_manifest_hdr h = written_hdr(m);
	uint32_t crc = fs_crc32(0, &h, sizeof(h));
	return fs_crc32(crc, m->parts, nslots(&h) * sizeof(struct fs_manifest_part));
}

enum fs_result fs_manifest_write(const char *dir, const struct fs_manifest *m,
				 struct fs_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, FS_MANIFEST_NAME) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, FS_MANIFEST_NAME, (long)getpid()) >=
		    (int)sizeof(tmp))
		return fs_seterr(err, FS_ERR_ARG, 0, dir, "path too long");
	struct fs_manifest_hdr h = written_hdr(m);
	size_t plen = nslots(&h) * sizeof(struct fs_manifest_part);
	size_t len = sizeof(h) + plen + 4;
	uint8_t *buf = malloc(len);
	if (!buf)
		return fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory");
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), m->parts, plen);
	uint32_t crc = fs_manifest_crc(m);
	memcpy(buf + len - 4, &crc, 4);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int e = fd < 0 ? errno : fs_pwrite_all(fd, buf, len, 0);
	free(buf);
	if (!e && fsync(fd) < 0)
		e = errno;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return fs_seterr(err, FS_ERR_IO, e, path, "cannot write: %s", strerror(e));
	}
	return FS_OK;
}

enum fs_result fs_manifest_parse(const void *buf, size_t len, const char *name,
				 struct fs_manifest *m, struct fs_err *err)
{
	memset(m, 0, sizeof(*m));
	struct fs_manifest_hdr h;
	if (len < sizeof(h) + 4)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "truncated manifest (%zu bytes)", len);
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, FS_MANIFEST_MAGIC, 8) != 0)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "not a FanStore dataset manifest");
	if (h.version != FS_FORMAT_VERSION)
		return fs_seterr(err, FS_ERR_VERSION, 0, name,
				 "dataset format version %u, this build reads version %u: repack the dataset with this fanstore-prep",
				 h.version, FS_FORMAT_VERSION);
	if (h.hdr_size != sizeof(h) || h.npart == 0 || h.has_bcast > 1 || h.reserved)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "malformed manifest header");
	if (h.npart > (len - sizeof(h) - 4) / sizeof(struct fs_manifest_part) ||
	    len != sizeof(h) + nslots(&h) * sizeof(struct fs_manifest_part) + 4)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "manifest size %zu does not match %u partitions", len, h.npart);
	uint32_t crc;
	memcpy(&crc, (const uint8_t *)buf + len - 4, 4);
	if (fs_crc32(0, buf, len - 4) != crc)
		return fs_seterr(err, FS_ERR_CRC, 0, name, "manifest checksum mismatch (damaged)");
	size_t plen = nslots(&h) * sizeof(struct fs_manifest_part);
	m->parts = malloc(plen);
	if (!m->parts)
		return fs_seterr(err, FS_ERR_NOMEM, 0, name, "out of memory");
	memcpy(m->parts, (const uint8_t *)buf + sizeof(h), plen);
	m->hdr = h;
	return FS_OK;
}

enum fs_result fs_manifest_read(const char *dir, struct fs_manifest *m, struct fs_err *err)
{
	memset(m, 0, sizeof(*m));
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, FS_MANIFEST_NAME) >= (int)sizeof(path))
		return fs_seterr(err, FS_ERR_ARG, 0, dir, "path too long");
	struct stat st;
	if (stat(dir, &st) < 0)
		return fs_seterr(err, FS_ERR_IO, errno, dir, "dataset directory: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fs_seterr(err, FS_ERR_FORMAT, 0, dir, "not a directory (give the output directory of fanstore-prep)");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return fs_seterr(err, FS_ERR_FORMAT, e, dir,
					 "not a FanStore dataset (no %s): pack it with fanstore-prep first",
					 FS_MANIFEST_NAME);
		return fs_seterr(err, FS_ERR_IO, e, path, "cannot open: %s", strerror(e));
	}
	if (fstat(fd, &st) < 0 || st.st_size > (1 << 30)) {
		close(fd);
		return fs_seterr(err, FS_ERR_FORMAT, 0, path, "unreadable or oversized manifest");
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return fs_seterr(err, FS_ERR_NOMEM, 0, path, "out of memory");
	}
	size_t got = 0;
	while (got < len) {
		ssize_t k = pread(fd, buf + got, len - got, (off_t)got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	enum fs_result r = fs_manifest_parse(buf, got, path, m, err);
	free(buf);
	return r;
}

void fs_manifest_release(struct fs_manifest *m)
{
	if (!m)
		return;
	free(m->parts);
	m->parts = NULL;
}

enum fs_result fs_manifest_match(const struct fs_manifest *m, uint32_t slot,
				 const struct fs_part_hdr *h, const char *name,
				 struct fs_err *err)
{
	if (slot >= nslots(&m->hdr))
		return fs_seterr(err, FS_ERR_ARG, 0, name, "no partition slot %u in the manifest", slot);
	const struct fs_manifest_part *p = &m->parts[slot];
	uint32_t want = slot == m->hdr.npart ? FS_PART_BCAST : slot;
	if (h->dataset_id != m->hdr.dataset_id)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "belongs to another dataset (repack, or copy the whole dataset directory again)");
	if (h->part_index != want || h->npart != m->hdr.npart)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name, "is partition %u of %u, expected %u of %u",
				 h->part_index, h->npart, want, m->hdr.npart);
	if (h->file_size != p->file_size || h->hdr_crc != p->hdr_crc ||
	    h->index_crc != p->index_crc || h->nent != p->nent)
		return fs_seterr(err, FS_ERR_FORMAT, 0, name,
				 "does not match the manifest (size %llu, manifest says %llu): damaged or replaced",
				 (unsigned long long)h->file_size, (unsigned long long)p->file_size);
	return FS_OK;
}
