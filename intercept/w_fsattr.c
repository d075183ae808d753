/*
 * w_fsattr.c - file-system and extended-attribute queries under the
 * prefix: a read-only tmpfs-like file system with no xattrs.
 */
#include <linux/magic.h>
#include <string.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

/* Which entry (dirfd, path) names: >= 0, -1 errno, -2 forward. */
static int64_t which(const char *path, int follow, struct fsi_res *r, struct fsi_ctx **cp)
{
	struct fsi_ctx *c = *cp = fsi_enter();
	r->path = path;
	if (!c || fsi_resolve(c, AT_FDCWD, path, follow ? 0 : FSI_NOFOLLOW, r) == FSI_OUT)
		return -2;
	return r->kind == FSI_ERR ? fsi_fail(r->err) : r->ent;
}

static int fd_virtual(int fd, struct fsi_ctx **cp)
{
	struct fsi_ctx *c = *cp = fsi_enter();
	return c && fsi_fd_is(fd);
}

static void fill_statfs(struct fsi_ctx *c, struct statfs *s)
{
	memset(s, 0, sizeof *s);
	s->f_type = TMPFS_MAGIC;
	s->f_bsize = 4096;
	s->f_frsize = 4096;
	s->f_blocks = (c->img.size + 4095) / 4096;
	s->f_files = c->img.hdr->nent;
	s->f_namelen = NAME_MAX;
	s->f_flags = ST_RDONLY | ST_NOSUID | ST_NODEV;
	s->f_fsid.__val[0] = (int)(c->img.hdr->dataset_id & 0x7fffffff);
}

static void fill_statvfs(struct fsi_ctx *c, struct statvfs *v)
{
	struct statfs s;
	fill_statfs(c, &s);
	memset(v, 0, sizeof *v);
	v->f_bsize = (unsigned long)s.f_bsize;
	v->f_frsize = (unsigned long)s.f_frsize;
	v->f_blocks = s.f_blocks;
	v->f_files = s.f_files;
	v->f_namemax = (unsigned long)s.f_namelen;
	v->f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	v->f_fsid = (unsigned long)s.f_fsid.__val[0];
}

int statfs(const char *path, struct statfs *s)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 1, &r, &c);
	if (i == -2)
		return fsi_real.statfs(r.path, s);
	if (i >= 0)
		fill_statfs(c, s);
	return i < 0 ? -1 : 0;
}

int statfs64(const char *path, struct statfs64 *s)
{
	return statfs(path, (struct statfs *)s);
}

int fstatfs(int fd, struct statfs *s)
{
	struct fsi_ctx *c;
	if (!fd_virtual(fd, &c))
		return fsi_real.fstatfs(fd, s);
	fill_statfs(c, s);
	return 0;
}

int fstatfs64(int fd, struct statfs64 *s)
{
	return fstatfs(fd, (struct statfs *)s);
}

int statvfs(const char *path, struct statvfs *v)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 1, &r, &c);
	if (i == -2)
		return fsi_real.statvfs(r.path, v);
	if (i >= 0)
		fill_statvfs(c, v);
	return i < 0 ? -1 : 0;
}

int statvfs64(const char *path, struct statvfs64 *v)
{
	return statvfs(path, (struct statvfs *)v);
}

int fstatvfs(int fd, struct statvfs *v)
{
	struct fsi_ctx *c;
	if (!fd_virtual(fd, &c))
		return fsi_real.fstatvfs(fd, v);
	fill_statvfs(c, v);
	return 0;
}

int fstatvfs64(int fd, struct statvfs64 *v)
{
	return fstatvfs(fd, (struct statvfs *)v);
}

/* Attributes: none.  get -> ENODATA, list -> empty. */
ssize_t getxattr(const char *path, const char *name, void *val, size_t size)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 1, &r, &c);
	return i == -2 ? fsi_real.getxattr(r.path, name, val, size) : i < 0 ? -1 : fsi_fail(ENODATA);
}

ssize_t lgetxattr(const char *path, const char *name, void *val, size_t size)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 0, &r, &c);
	return i == -2 ? fsi_real.lgetxattr(r.path, name, val, size) : i < 0 ? -1 : fsi_fail(ENODATA);
}

ssize_t fgetxattr(int fd, const char *name, void *val, size_t size)
{
	struct fsi_ctx *c;
	return fd_virtual(fd, &c) ? fsi_fail(ENODATA) : fsi_real.fgetxattr(fd, name, val, size);
}

ssize_t listxattr(const char *path, char *list, size_t size)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 1, &r, &c);
	return i == -2 ? fsi_real.listxattr(r.path, list, size) : i < 0 ? -1 : 0;
}

ssize_t llistxattr(const char *path, char *list, size_t size)
{
	struct fsi_ctx *c;
	struct fsi_res r;
	int64_t i = which(path, 0, &r, &c);
	return i == -2 ? fsi_real.llistxattr(r.path, list, size) : i < 0 ? -1 : 0;
}

ssize_t flistxattr(int fd, char *list, size_t size)
{
	struct fsi_ctx *c;
	return fd_virtual(fd, &c) ? 0 : fsi_real.flistxattr(fd, list, size);
}
