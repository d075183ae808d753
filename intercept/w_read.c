/*
 * w_read.c - reads and seeks on virtual fds, served in user space.
 */
#include <sys/uio.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

/* Read at the shared offset (cur) or at off. */
static ssize_t vread(struct fsi_ctx *c, struct fsi_file *f, void *buf, size_t n, int64_t off)
{
	int cur = off < 0;
	uint64_t at = cur ? atomic_load_explicit(&f->off, memory_order_relaxed) : (uint64_t)off;
	ssize_t k = fsi_pread(c, f, buf, n, at);
	if (k > 0 && cur)
		atomic_store_explicit(&f->off, at + (uint64_t)k, memory_order_relaxed);
	fsi_file_put(&f);
	return k;
}

static inline struct fsi_file *virt(int fd, struct fsi_ctx **cp)
{
	struct fsi_ctx *c = fsi_enter();
	*cp = c;
	return c ? fsi_fd_get(fd) : NULL;
}

ssize_t read(int fd, void *buf, size_t n)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vread(c, f, buf, n, -1) : fsi_real.read(fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	struct fsi_ctx *c;
	struct fsi_file *f = n <= buflen ? virt(fd, &c) : NULL;   /* glibc reports overflows */
	return f ? vread(c, f, buf, n, -1) : fsi_real.__read_chk(fd, buf, n, buflen);
}

/* pread on a virtual fd: a negative offset is EINVAL. */
static ssize_t vpread(struct fsi_ctx *c, struct fsi_file *f, void *buf, size_t n, off64_t off)
{
	if (off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return vread(c, f, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vpread(c, f, buf, n, off) : fsi_real.pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vpread(c, f, buf, n, off) : fsi_real.pread64(fd, buf, n, off);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	struct fsi_ctx *c;
	struct fsi_file *f = n <= buflen ? virt(fd, &c) : NULL;
	return f ? vpread(c, f, buf, n, off) : fsi_real.__pread_chk(fd, buf, n, off, buflen);
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	struct fsi_ctx *c;
	struct fsi_file *f = n <= buflen ? virt(fd, &c) : NULL;
	return f ? vpread(c, f, buf, n, off) : fsi_real.__pread64_chk(fd, buf, n, off, buflen);
}

/* Scatter read at the shared offset (off < 0) or at off. */
static ssize_t vreadv(struct fsi_ctx *c, struct fsi_file *f, const struct iovec *iov, int cnt,
		      int64_t off)
{
	if (cnt < 0 || cnt > IOV_MAX) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	int cur = off < 0;
	uint64_t at = cur ? atomic_load(&f->off) : (uint64_t)off;
	ssize_t total = 0;
	for (int i = 0; i < cnt; i++) {
		ssize_t k = fsi_pread(c, f, iov[i].iov_base, iov[i].iov_len, at);
		if (k < 0) {
			if (total == 0)
				total = -1;
			break;
		}
		total += k;
		at += (uint64_t)k;
		if ((size_t)k < iov[i].iov_len)
			break;
	}
	if (total > 0 && cur)
		atomic_store(&f->off, at);
	fsi_file_put(&f);
	return total;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vreadv(c, f, iov, cnt, -1) : fsi_real.readv(fd, iov, cnt);
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, iov, cnt, off) : fsi_real.preadv(fd, iov, cnt, off);
}

ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, iov, cnt, off) : fsi_real.preadv64(fd, iov, cnt, off);
}

ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < -1) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, iov, cnt, off) : fsi_real.preadv2(fd, iov, cnt, off, flags);
}

ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < -1) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, iov, cnt, off) : fsi_real.preadv64v2(fd, iov, cnt, off, flags);
}

static off64_t vseek(struct fsi_ctx *c, struct fsi_file *f, off64_t off, int whence)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	int64_t size = S_ISDIR(e->mode) ? 0 : (int64_t)e->size;
	int64_t cur = (int64_t)atomic_load(&f->off), to;
	switch (whence) {
	case SEEK_SET: to = off; break;
	case SEEK_CUR: to = cur + off; break;
	case SEEK_END: to = size + off; break;
	case SEEK_DATA: to = off < size ? off : -2; break;
	case SEEK_HOLE: to = off < size ? size : -2; break;
	default: to = -1; break;
	}
	int rc = f->flags & O_PATH ? EBADF : to == -2 ? ENXIO : to < 0 ? EINVAL : 0;
	if (!rc)
		atomic_store(&f->off, (uint64_t)to);
	fsi_file_put(&f);
	return rc ? fsi_fail(rc) : to;
}

off_t lseek(int fd, off_t off, int whence)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vseek(c, f, off, whence) : fsi_real.lseek(fd, off, whence);
}

off64_t lseek64(int fd, off64_t off, int whence)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vseek(c, f, off, whence) : fsi_real.lseek64(fd, off, whence);
}
