/*
 * w_open.c - the open family.  A virtual open returns a real kernel fd (a
 * dup of the placeholder) and installs an open-file object for it.
 */
#include <stdarg.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

static inline mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* Serve an open under the prefix: an fd, -1 with errno, or FSI_FWD with
 * r->dirfd/r->path to give libc. */
static int open_serve(struct fsi_ctx *c, int dirfd, const char *path, int flags, struct fsi_res *r)
{
	int saved = errno;
	enum fsi_kind k = (flags & O_CREAT) ? fsi_resolve_parent(c, dirfd, path, r)
					    : fsi_resolve(c, dirfd, path,
							  (flags & O_NOFOLLOW) ? FSI_NOFOLLOW : 0, r);
	if (k == FSI_OUT)
		return FSI_FWD;
	if (k == FSI_ERR)
		return fsi_fail(r->err);
	if (r->ent < 0)   /* O_CREAT of a new name in a directory of the tree */
		return fsi_fail(EROFS);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return fsi_fail(EEXIST);
	if ((flags & O_CREAT) && !(flags & O_NOFOLLOW)) {
		/* resolved without following: follow the final link now */
		if (S_ISLNK(fsi_ent(c, (uint64_t)r->ent)->mode) &&
		    fsi_resolve(c, dirfd, path, 0, r) != FSI_IN)
			return r->kind == FSI_OUT ? FSI_FWD : fsi_fail(r->err == ENOENT ? EROFS : r->err);
	}
	const struct fs_ment *e = fsi_ent(c, (uint64_t)r->ent);
	int acc = flags & O_ACCMODE;
	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return fsi_fail(S_ISDIR(e->mode) ? EROFS : ENOTDIR);
	if (S_ISLNK(e->mode) && !(flags & O_PATH))
		return fsi_fail(ELOOP);
	if (S_ISDIR(e->mode)) {
		if (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
			return fsi_fail(EISDIR);
	} else {
		if ((flags & O_DIRECTORY) && !(S_ISLNK(e->mode) && (flags & O_PATH)))
			return fsi_fail(ENOTDIR);
		if (acc != O_RDONLY || (flags & O_TRUNC))
			return fsi_fail(EROFS);
	}
	struct fsi_file *f = fsi_file_new((uint32_t)r->ent, flags);
	if (!f)
		return fsi_fail(ENOMEM);
	if (fsi_prepare(c, f) < 0) {
		int err = errno;
		fsi_file_put(&f);
		return fsi_fail(err);
	}
	fsi_tab_rdlock();
	int fd = fsi_newfd(c, flags & O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		fsi_tab_rdunlock();
		fsi_file_put(&f);
		return fsi_fail(err);
	}
	if (fsi_fd_set(fd, f) < 0) {
		fsi_real.close(fd);
		fsi_tab_rdunlock();
		return fsi_fail(ENOMEM);
	}
	fsi_tab_rdunlock();
	if (S_ISREG(e->mode) && !(flags & O_PATH))
		fsi_st_open(c, (uint32_t)r->ent);
	errno = saved;
	return fd;
}

static int open_try(int dirfd, const char *path, int flags, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	if (!c) {
		r->dirfd = dirfd;
		r->path = path;
		return FSI_FWD;
	}
	uint64_t t0 = fsi_st_begin();
	int fd = open_serve(c, dirfd, path, flags, r);
	fsi_st_end(t0, fd != FSI_FWD);
	return fd;
}

static inline int fwd_open(const struct fsi_res *r, int flags, mode_t mode)
{
	return fsi_real.openat(r->dirfd, r->path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	struct fsi_res r;
	int fd = open_try(AT_FDCWD, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.open(path, flags, mode) : fwd_open(&r, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	struct fsi_res r;
	int fd = open_try(AT_FDCWD, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.open64(path, flags, mode) : fwd_open(&r, flags, mode);
}

int __open_2(const char *path, int flags)
{
	struct fsi_res r;
	int fd = open_try(AT_FDCWD, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.__open_2(path, flags) : fwd_open(&r, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	struct fsi_res r;
	int fd = open_try(AT_FDCWD, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.__open64_2(path, flags) : fwd_open(&r, flags, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	struct fsi_res r;
	int fd = open_try(dirfd, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.openat(dirfd, path, flags, mode) : fwd_open(&r, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	struct fsi_res r;
	int fd = open_try(dirfd, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.openat64(dirfd, path, flags, mode) : fwd_open(&r, flags, mode);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	struct fsi_res r;
	int fd = open_try(dirfd, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.__openat_2(dirfd, path, flags) : fwd_open(&r, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	struct fsi_res r;
	int fd = open_try(dirfd, path, flags, &r);
	if (fd != FSI_FWD)
		return fd;
	return r.path == path ? fsi_real.__openat64_2(dirfd, path, flags) : fwd_open(&r, flags, 0);
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode)
{
	return open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
