/*
 * w_fd.c - descriptor calls: close, close_range, dup*, fcntl, isatty,
 * ioctl.  dup'ed virtual fds share one open-file object.  In a vfork
 * child the table (the parent's memory) is left alone: only the kernel
 * fds change, and what a dup2 there made is remembered for the exec
 * (share.c).
 */
#include <linux/fs.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int close(int fd)
{
	struct fsi_ctx *c = fsi_enter();
	if (c) {
		if (fsi_fd_is(fd)) {
			if (fsi_in_vfork(c)) {
				fsi_vfork_dup(fd, NULL);
			} else {
				uint64_t t0 = fsi_st_begin();
				fsi_tab_rdlock();
				struct fsi_file *f = fsi_fd_take(fd);
				int rc = fsi_real.close(fd);
				fsi_tab_rdunlock();
				fsi_file_put(&f);
				fsi_st_end(t0, 1);
				return rc;
			}
		} else if (fsi_own_fd(c, fd) && !fsi_in_vfork(c)) {
			fsi_fd_gone(c, fd);
		}
	}
	return fsi_real.close(fd);
}

struct range {
	unsigned lo, hi;
};

static void drop_in_range(int fd, struct fsi_file *f, void *arg)
{
	const struct range *rg = arg;
	(void)f;
	if ((unsigned)fd >= rg->lo && (unsigned)fd <= rg->hi) {
		struct fsi_file *t = fsi_fd_take(fd);
		fsi_file_put(&t);
	}
}

/* The program is closing [first, last]: forget what we had there. */
static void closing_range(unsigned first, unsigned last)
{
	struct fsi_ctx *c = fsi_enter();
	if (!c || fsi_in_vfork_slow(c))
		return;
	struct range rg = { first, last };
	fsi_tab_rdlock();
	fsi_fd_each(drop_in_range, &rg);
	fsi_tab_rdunlock();
	fsi_fds_gone(c, first, last);
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		closing_range(first, last);
	return fsi_real.close_range(first, last, flags);
}

void closefrom(int lowfd)
{
	closing_range(lowfd < 0 ? 0 : (unsigned)lowfd, ~0U);
	fsi_real.closefrom(lowfd);
}

/* Around a call that makes a kernel copy of a virtual fd: the table may
 * not be changed (offsets moved into carriers) in between.  A vfork child
 * takes no locks. */
static int dup_begin(struct fsi_ctx *c)
{
	if (fsi_in_vfork_slow(c))
		return 0;
	fsi_tab_rdlock();
	return 1;
}

/* After the kernel made newfd a copy of a virtual oldfd. */
static int share(struct fsi_ctx *c, struct fsi_file *f, int newfd, int locked)
{
	if (newfd >= 0) {
		if (!locked) {
			/* a vfork child: remember it for the exec; else its own bytes */
			if (fsi_vfork_dup(newfd, f) < 0)
				fsi_materialise(c, newfd, f, 1);
		} else if (fsi_file_tryget(f)) {
			fsi_fd_set(newfd, f);
		}
	}
	if (locked)
		fsi_tab_rdunlock();
	fsi_file_put(&f);
	return newfd;
}

int dup(int fd)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return fsi_real.dup(fd);
	int locked = dup_begin(c);
	return share(c, f, fsi_real.dup(fd), locked);
}

/* newfd is about to be replaced by a copy of a non-virtual fd. */
static void replaced(struct fsi_ctx *c, int newfd)
{
	if (fsi_in_vfork_slow(c)) {
		if (fsi_fd_is(newfd))
			fsi_vfork_dup(newfd, NULL);
		return;
	}
	struct fsi_file *t = fsi_fd_take(newfd);
	fsi_file_put(&t);
	fsi_fd_gone(c, newfd);
}

int dup2(int oldfd, int newfd)
{
	struct fsi_ctx *c = fsi_enter();
	if (!c || oldfd == newfd)
		return fsi_real.dup2(oldfd, newfd);
	struct fsi_file *f = fsi_fd_get(oldfd);
	if (fsi_own_fd(c, newfd) && !fsi_in_vfork_slow(c))
		fsi_fd_gone(c, newfd);
	if (!f) {
		int rc = fsi_real.dup2(oldfd, newfd);
		if (rc >= 0)
			replaced(c, newfd);
		return rc;
	}
	int locked = dup_begin(c);
	return share(c, f, fsi_real.dup2(oldfd, newfd), locked);
}

int dup3(int oldfd, int newfd, int flags)
{
	struct fsi_ctx *c = fsi_enter();
	if (!c || oldfd == newfd)
		return fsi_real.dup3(oldfd, newfd, flags);
	struct fsi_file *f = fsi_fd_get(oldfd);
	if (fsi_own_fd(c, newfd) && !fsi_in_vfork_slow(c))
		fsi_fd_gone(c, newfd);
	if (!f) {
		int rc = fsi_real.dup3(oldfd, newfd, flags);
		if (rc >= 0)
			replaced(c, newfd);
		return rc;
	}
	int locked = dup_begin(c);
	return share(c, f, fsi_real.dup3(oldfd, newfd, flags), locked);
}

/* fcntl on a virtual fd; FSI_FWD to let the kernel answer. */
static int fcntl_virtual(struct fsi_ctx *c, struct fsi_file *f, int fd, int cmd, void *arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (!fsi_file_tryget(f))
			return fsi_fail(EBADF);
		int locked = dup_begin(c);
		return share(c, f, fsi_real.fcntl(fd, cmd, arg), locked);
	case F_GETFL:
		return (f->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | 0100000;
	case F_SETFL:
		return 0;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fsi_lock_fcntl(c, f, fd, cmd, arg);
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return fsi_fail(EINVAL);
	default:
		return FSI_FWD;
	}
}

static int fcntl_common(int fd, int cmd, void *arg, int is64)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (f) {
		int rc = fcntl_virtual(c, f, fd, cmd, arg);
		fsi_file_put(&f);
		if (rc != FSI_FWD)
			return rc;
	}
	return is64 ? fsi_real.fcntl64(fd, cmd, arg) : fsi_real.fcntl(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, 0);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, 1);
}

int isatty(int fd)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && fsi_fd_is(fd)) {
		errno = ENOTTY;
		return 0;
	}
	return fsi_real.isatty(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return fsi_real.ioctl(fd, req, arg);
	int rc;
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (req == FIONREAD && !S_ISDIR(e->mode)) {
		uint64_t off = fsi_off_get(f, fd);
		*(int *)arg = off < e->size ? (int)(e->size - off) : 0;
		rc = 0;
	} else {
		rc = fsi_fail(req == FICLONE || req == FICLONERANGE ? EOPNOTSUPP : ENOTTY);
	}
	fsi_file_put(&f);
	return rc;
}
