/*
 * w_ro.c - calls that would change the tree fail under the prefix: EROFS
 * for an existing name, EEXIST/ENOENT/ENOTDIR as the kernel orders them
 * for names to create, EXDEV for a rename or link across the boundary.
 * Everything outside the prefix is forwarded untouched.
 */
#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

enum ro_how { RO_FOLLOW, RO_NOFOLLOW, RO_CREATE };

/* 0: forward r->dirfd/r->path; 1: under the prefix, errno set. */
static int ro_check(int dirfd, const char *path, enum ro_how how, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	r->dirfd = dirfd;
	r->path = path;
	if (!c)
		return 0;
	enum fsi_kind k = how == RO_CREATE ? fsi_resolve_parent(c, dirfd, path, r)
					   : fsi_resolve(c, dirfd, path, how == RO_NOFOLLOW ? FSI_NOFOLLOW : 0, r);
	if (k == FSI_OUT)
		return 0;
	if (k == FSI_ERR)
		errno = r->err;
	else
		errno = how == RO_CREATE && r->ent >= 0 ? EEXIST : EROFS;
	return 1;
}

static inline int ro_at(int atflags)
{
	return (atflags & AT_SYMLINK_NOFOLLOW) ? RO_NOFOLLOW : RO_FOLLOW;
}

/* An fd-based change: 1 with errno e when fd is virtual. */
static int ro_fd(int fd, int e)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && fsi_fd_is(fd)) {
		errno = e;
		return 1;
	}
	return 0;
}

/* Two names: EROFS/EXDEV when either is in the tree. */
static int ro_pair(int d1, const char *p1, int d2, const char *p2, struct fsi_res *r1,
		   struct fsi_res *r2)
{
	int in1 = ro_check(d1, p1, RO_NOFOLLOW, r1), e1 = errno;
	int in2 = ro_check(d2, p2, RO_CREATE, r2), e2 = errno;
	if (!in1 && !in2)
		return 0;
	if (in1 && e1 != EROFS)
		errno = e1;               /* the source does not exist */
	else if (in1 != in2)
		errno = EXDEV;
	else
		errno = e2 == EEXIST ? EROFS : e2;
	return 1;
}

int mkdir(const char *path, mode_t mode)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_CREATE, &r) ? -1 : fsi_real.mkdirat(r.dirfd, r.path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	struct fsi_res r;
	return ro_check(dirfd, path, RO_CREATE, &r) ? -1 : fsi_real.mkdirat(r.dirfd, r.path, mode);
}

int mknod(const char *path, mode_t mode, dev_t dev)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_CREATE, &r) ? -1 : fsi_real.mknodat(r.dirfd, r.path, mode, dev);
}

int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	struct fsi_res r;
	return ro_check(dirfd, path, RO_CREATE, &r) ? -1 : fsi_real.mknodat(r.dirfd, r.path, mode, dev);
}

int unlink(const char *path)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1 : fsi_real.unlinkat(r.dirfd, r.path, 0);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	struct fsi_res r;
	return ro_check(dirfd, path, RO_NOFOLLOW, &r) ? -1 : fsi_real.unlinkat(r.dirfd, r.path, flags);
}

int rmdir(const char *path)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1
							 : fsi_real.unlinkat(r.dirfd, r.path, AT_REMOVEDIR);
}

int symlink(const char *target, const char *path)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_CREATE, &r) ? -1 : fsi_real.symlinkat(target, r.dirfd, r.path);
}

int symlinkat(const char *target, int dirfd, const char *path)
{
	struct fsi_res r;
	return ro_check(dirfd, path, RO_CREATE, &r) ? -1 : fsi_real.symlinkat(target, r.dirfd, r.path);
}

int rename(const char *from, const char *to)
{
	struct fsi_res a, b;
	return ro_pair(AT_FDCWD, from, AT_FDCWD, to, &a, &b) ? -1
			: fsi_real.renameat(a.dirfd, a.path, b.dirfd, b.path);
}

int renameat(int d1, const char *from, int d2, const char *to)
{
	struct fsi_res a, b;
	return ro_pair(d1, from, d2, to, &a, &b) ? -1 : fsi_real.renameat(a.dirfd, a.path, b.dirfd, b.path);
}

int renameat2(int d1, const char *from, int d2, const char *to, unsigned int flags)
{
	struct fsi_res a, b;
	return ro_pair(d1, from, d2, to, &a, &b) ? -1
			: fsi_real.renameat2(a.dirfd, a.path, b.dirfd, b.path, flags);
}

int link(const char *from, const char *to)
{
	struct fsi_res a, b;
	return ro_pair(AT_FDCWD, from, AT_FDCWD, to, &a, &b) ? -1
			: fsi_real.linkat(a.dirfd, a.path, b.dirfd, b.path, 0);
}

int linkat(int d1, const char *from, int d2, const char *to, int flags)
{
	struct fsi_res a, b;
	return ro_pair(d1, from, d2, to, &a, &b) ? -1 : fsi_real.linkat(a.dirfd, a.path, b.dirfd, b.path, flags);
}

int chmod(const char *path, mode_t mode)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.fchmodat(r.dirfd, r.path, mode, 0);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	struct fsi_res r;
	return ro_check(dirfd, path, ro_at(flags), &r) ? -1 : fsi_real.fchmodat(r.dirfd, r.path, mode, flags);
}

int fchmod(int fd, mode_t mode)
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.fchmod(fd, mode);
}

int chown(const char *path, uid_t u, gid_t g)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.fchownat(r.dirfd, r.path, u, g, 0);
}

int lchown(const char *path, uid_t u, gid_t g)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1
			: fsi_real.fchownat(r.dirfd, r.path, u, g, AT_SYMLINK_NOFOLLOW);
}

int fchownat(int dirfd, const char *path, uid_t u, gid_t g, int flags)
{
	struct fsi_res r;
	return ro_check(dirfd, path, ro_at(flags), &r) ? -1 : fsi_real.fchownat(r.dirfd, r.path, u, g, flags);
}

int fchown(int fd, uid_t u, gid_t g)
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.fchown(fd, u, g);
}

/* truncate: a directory gives EISDIR, as the kernel does. */
static int ro_truncate(const char *path, struct fsi_res *r)
{
	if (!ro_check(AT_FDCWD, path, RO_FOLLOW, r))
		return 0;
	struct fsi_ctx *c = fsi_enter();
	if (errno == EROFS && c && r->kind == FSI_IN && fsi_is_dir(c, (uint64_t)r->ent))
		errno = EISDIR;
	return 1;
}

int truncate(const char *path, off_t len)
{
	struct fsi_res r;
	return ro_truncate(path, &r) ? -1 : fsi_real.truncate(r.path, len);
}

int truncate64(const char *path, off64_t len)
{
	struct fsi_res r;
	return ro_truncate(path, &r) ? -1 : fsi_real.truncate64(r.path, len);
}

/* ftruncate on a descriptor not open for writing is EINVAL. */
int ftruncate(int fd, off_t len)
{
	return ro_fd(fd, EINVAL) ? -1 : fsi_real.ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
	return ro_fd(fd, EINVAL) ? -1 : fsi_real.ftruncate64(fd, len);
}

int utime(const char *path, const struct utimbuf *t)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.utime(r.path, t);
}

int utimes(const char *path, const struct timeval t[2])
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.utimes(r.path, t);
}

int lutimes(const char *path, const struct timeval t[2])
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1 : fsi_real.lutimes(r.path, t);
}

int futimes(int fd, const struct timeval t[2])
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.futimes(fd, t);
}

int utimensat(int dirfd, const char *path, const struct timespec t[2], int flags)
{
	struct fsi_res r;
	return ro_check(dirfd, path, ro_at(flags), &r) ? -1 : fsi_real.utimensat(r.dirfd, r.path, t, flags);
}

int futimens(int fd, const struct timespec t[2])
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.futimens(fd, t);
}

int setxattr(const char *path, const char *name, const void *v, size_t n, int flags)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.setxattr(r.path, name, v, n, flags);
}

int lsetxattr(const char *path, const char *name, const void *v, size_t n, int flags)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1 : fsi_real.lsetxattr(r.path, name, v, n, flags);
}

int fsetxattr(int fd, const char *name, const void *v, size_t n, int flags)
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.fsetxattr(fd, name, v, n, flags);
}

int removexattr(const char *path, const char *name)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_FOLLOW, &r) ? -1 : fsi_real.removexattr(r.path, name);
}

int lremovexattr(const char *path, const char *name)
{
	struct fsi_res r;
	return ro_check(AT_FDCWD, path, RO_NOFOLLOW, &r) ? -1 : fsi_real.lremovexattr(r.path, name);
}

int fremovexattr(int fd, const char *name)
{
	return ro_fd(fd, EROFS) ? -1 : fsi_real.fremovexattr(fd, name);
}
