/*
 * w_stat.c - the stat family (glibc >= 2.33 names, the older __xstat
 * names, statx) and access checks.
 */
#include <string.h>
#include <sys/sysmacros.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

static inline int at_flags(int atflags)
{
	return ((atflags & AT_SYMLINK_NOFOLLOW) ? FSI_NOFOLLOW : 0) |
	       ((atflags & AT_EMPTY_PATH) ? FSI_EMPTY : 0);
}

/* Entry for (dirfd, path): >= 0, -1 with errno, or FSI_FWD with r set. */
static int64_t lookup(int dirfd, const char *path, int atflags, struct fsi_res *r,
		      struct fsi_ctx **cp)
{
	struct fsi_ctx *c = *cp = fsi_enter();
	if (!c) {
		r->dirfd = dirfd;
		r->path = path;
		return FSI_FWD;
	}
	switch (fsi_resolve(c, dirfd, path, at_flags(atflags), r)) {
	case FSI_OUT: return FSI_FWD;
	case FSI_ERR: return fsi_fail(r->err);
	default: return r->ent;
	}
}

static inline __attribute__((always_inline)) int stat_try(int dirfd, const char *path, int atflags, struct stat *st, struct fsi_res *r)
{
	struct fsi_ctx *c;
	uint64_t t0 = fsi_st_begin();
	int64_t i = lookup(dirfd, path, atflags, r, &c);
	if (i >= 0)
		fsi_stat(c, (uint64_t)i, st);
	fsi_st_end(t0, i != FSI_FWD);
	return i < 0 ? (int)i : 0;
}

static int fstat_try(int fd, struct stat *st)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return FSI_FWD;
	uint64_t t0 = fsi_st_begin();
	fsi_stat(c, f->ent, st);
	fsi_file_put(&f);
	fsi_st_end(t0, 1);
	return 0;
}

static inline int fwd_at(const struct fsi_res *r, struct stat *st, int atflags)
{
	return fsi_real.fstatat(r->dirfd, r->path, st, atflags);
}

/* Paths outside the mount go straight to libc: the cheapest test first,
 * before any resolution state is set up (this is what every stat of a
 * path outside the dataset pays). */
static inline int plainly_outside(const char *path)
{
	struct fsi_ctx *c = fsi_enter();
	return !c || (path && path[0] == '/' && !fsi_maybe_in(c, path));
}

int stat(const char *path, struct stat *st)
{
	if (plainly_outside(path))
		return fsi_real.stat(path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, 0, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.stat(path, st) : fwd_at(&r, st, 0);
}

int stat64(const char *path, struct stat64 *st)
{
	if (plainly_outside(path))
		return fsi_real.stat64(path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, 0, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.stat64(path, st) : fwd_at(&r, (struct stat *)st, 0);
}

int lstat(const char *path, struct stat *st)
{
	if (plainly_outside(path))
		return fsi_real.lstat(path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.lstat(path, st) : fwd_at(&r, st, AT_SYMLINK_NOFOLLOW);
}

int lstat64(const char *path, struct stat64 *st)
{
	if (plainly_outside(path))
		return fsi_real.lstat64(path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.lstat64(path, st)
			      : fwd_at(&r, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

int fstat(int fd, struct stat *st)
{
	int rc = fstat_try(fd, st);
	return rc != FSI_FWD ? rc : fsi_real.fstat(fd, st);
}

int fstat64(int fd, struct stat64 *st)
{
	int rc = fstat_try(fd, (struct stat *)st);
	return rc != FSI_FWD ? rc : fsi_real.fstat64(fd, st);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct fsi_res r;
	int rc = stat_try(dirfd, path, flags, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.fstatat(dirfd, path, st, flags) : fwd_at(&r, st, flags);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	struct fsi_res r;
	int rc = stat_try(dirfd, path, flags, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.fstatat64(dirfd, path, st, flags)
			      : fwd_at(&r, (struct stat *)st, flags);
}

/* The pre-2.33 names: `ver` is _STAT_VER (1), one layout on x86_64. */
int __xstat(int ver, const char *path, struct stat *st)
{
	if (plainly_outside(path))
		return fsi_real.__xstat(ver, path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, 0, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__xstat(ver, path, st) : fwd_at(&r, st, 0);
}

int __xstat64(int ver, const char *path, struct stat64 *st)
{
	if (plainly_outside(path))
		return fsi_real.__xstat64(ver, path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, 0, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__xstat64(ver, path, st) : fwd_at(&r, (struct stat *)st, 0);
}

int __lxstat(int ver, const char *path, struct stat *st)
{
	if (plainly_outside(path))
		return fsi_real.__lxstat(ver, path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__lxstat(ver, path, st) : fwd_at(&r, st, AT_SYMLINK_NOFOLLOW);
}

int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	if (plainly_outside(path))
		return fsi_real.__lxstat64(ver, path, st);
	struct fsi_res r;
	int rc = stat_try(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__lxstat64(ver, path, st)
			      : fwd_at(&r, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

int __fxstat(int ver, int fd, struct stat *st)
{
	int rc = fstat_try(fd, st);
	return rc != FSI_FWD ? rc : fsi_real.__fxstat(ver, fd, st);
}

int __fxstat64(int ver, int fd, struct stat64 *st)
{
	int rc = fstat_try(fd, (struct stat *)st);
	return rc != FSI_FWD ? rc : fsi_real.__fxstat64(ver, fd, st);
}

int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	struct fsi_res r;
	int rc = stat_try(dirfd, path, flags, st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__fxstatat(ver, dirfd, path, st, flags) : fwd_at(&r, st, flags);
}

int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	struct fsi_res r;
	int rc = stat_try(dirfd, path, flags, (struct stat *)st, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.__fxstatat64(ver, dirfd, path, st, flags)
			      : fwd_at(&r, (struct stat *)st, flags);
}

static inline struct statx_timestamp sx_time(struct timespec ts)
{
	return (struct statx_timestamp){ .tv_sec = ts.tv_sec, .tv_nsec = (uint32_t)ts.tv_nsec };
}

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx)
{
	struct fsi_res r;
	struct stat st;
	int rc = stat_try(dirfd, path, flags, &st, &r);
	if (rc == FSI_FWD)
		return fsi_real.statx(r.dirfd, r.path, flags, mask, sx);
	if (rc < 0)
		return rc;
	memset(sx, 0, sizeof *sx);
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st.st_blksize;
	sx->stx_nlink = (uint32_t)st.st_nlink;
	sx->stx_uid = st.st_uid;
	sx->stx_gid = st.st_gid;
	sx->stx_mode = (uint16_t)st.st_mode;
	sx->stx_ino = st.st_ino;
	sx->stx_size = (uint64_t)st.st_size;
	sx->stx_blocks = (uint64_t)st.st_blocks;
	sx->stx_atime = sx_time(st.st_atim);
	sx->stx_mtime = sx_time(st.st_mtim);
	sx->stx_ctime = sx_time(st.st_ctim);
	sx->stx_dev_major = major(st.st_dev);
	sx->stx_dev_minor = minor(st.st_dev);
	return 0;
}

/* access(2) on an entry: files appear owned by the caller; never writable. */
static int vaccess(struct fsi_ctx *c, uint64_t i, int mode)
{
	uint32_t m = fsi_ent(c, i)->mode;
	if (mode & W_OK)
		return fsi_fail(EROFS);
	if (((mode & R_OK) && !(m & S_IRUSR)) || ((mode & X_OK) && !(m & S_IXUSR)))
		return c->uid == 0 && !((mode & X_OK) && !S_ISDIR(m) && !(m & 0111)) ? 0
										     : fsi_fail(EACCES);
	return 0;
}

static int access_try(int dirfd, const char *path, int mode, int atflags, struct fsi_res *r)
{
	struct fsi_ctx *c;
	uint64_t t0 = fsi_st_begin();
	int64_t i = lookup(dirfd, path, atflags, r, &c);
	int rc = i < 0 ? (int)i : vaccess(c, (uint64_t)i, mode);
	fsi_st_end(t0, i != FSI_FWD);
	return rc;
}

int access(const char *path, int mode)
{
	struct fsi_res r;
	int rc = access_try(AT_FDCWD, path, mode, 0, &r);
	if (rc != FSI_FWD)
		return rc;
	return r.path == path ? fsi_real.access(path, mode) : fsi_real.faccessat(r.dirfd, r.path, mode, 0);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct fsi_res r;
	int rc = access_try(dirfd, path, mode, flags, &r);
	return rc != FSI_FWD ? rc : fsi_real.faccessat(r.dirfd, r.path, mode, flags);
}

int euidaccess(const char *path, int mode)
{
	struct fsi_res r;
	int rc = access_try(AT_FDCWD, path, mode, 0, &r);
	return rc != FSI_FWD ? rc : fsi_real.euidaccess(r.path, mode);
}

int eaccess(const char *path, int mode)
{
	struct fsi_res r;
	int rc = access_try(AT_FDCWD, path, mode, 0, &r);
	return rc != FSI_FWD ? rc : fsi_real.eaccess(r.path, mode);
}
