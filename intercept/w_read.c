/*
 * w_read.c - reads and seeks on virtual fds, served in user space.
 */
#include <sys/uio.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

/* Read at the file's offset (off < 0: the bytes are reserved first, so
 * concurrent readers never get the same ones) or at off. */
static ssize_t vread_plain(struct fsi_ctx *c, struct fsi_file *f, int fd, void *buf, size_t n, int64_t off)
{
	ssize_t k;
	if (off >= 0) {
		k = fsi_pread(c, f, buf, n, (uint64_t)off);
	} else {
		uint64_t at;
		ssize_t took = fsi_off_take(c, f, fd, n, &at);
		k = took > 0 ? fsi_pread(c, f, buf, (size_t)took, at) : took;
		if (took >= 0)
			fsi_off_done(f, fd, at, (size_t)took, k);
	}
	fsi_file_put(&f);
	return k;
}

/* The same, counted for the job report. */
static __attribute__((noinline)) ssize_t vread_counted(struct fsi_ctx *c, struct fsi_file *f, int fd,
						       void *buf, size_t n, int64_t off)
{
	uint32_t ent = f->ent;
	uint64_t t0 = fsi_st_begin_n(c, ent, n);
	ssize_t k = vread_plain(c, f, fd, buf, n, off);
	fsi_st_bytes(c, ent, k);
	fsi_st_end(t0, 1);
	return k;
}

/* The hottest path: with the report off it pays one branch, no more. */
static inline __attribute__((always_inline)) ssize_t vread(struct fsi_ctx *c, struct fsi_file *f, int fd,
							    void *buf, size_t n, int64_t off)
{
	return FSI_ST_ON ? vread_counted(c, f, fd, buf, n, off) : vread_plain(c, f, fd, buf, n, off);
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
	return f ? vread(c, f, fd, buf, n, -1) : fsi_real.read(fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	struct fsi_ctx *c;
	struct fsi_file *f = n <= buflen ? virt(fd, &c) : NULL;   /* glibc reports overflows */
	return f ? vread(c, f, fd, buf, n, -1) : fsi_real.__read_chk(fd, buf, n, buflen);
}

/* pread on a virtual fd: a negative offset is EINVAL. */
static ssize_t vpread(struct fsi_ctx *c, struct fsi_file *f, void *buf, size_t n, off64_t off)
{
	if (off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return vread(c, f, -1, buf, n, off);
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

/* Scatter read at the file's offset (off < 0) or at off. */
static ssize_t vreadv(struct fsi_ctx *c, struct fsi_file *f, int fd, const struct iovec *iov, int cnt,
		      int64_t off)
{
	if (cnt < 0 || cnt > IOV_MAX) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	size_t want = 0;
	for (int i = 0; i < cnt; i++)
		want = iov[i].iov_len > SSIZE_MAX - want ? SSIZE_MAX : want + iov[i].iov_len;
	uint64_t t0 = fsi_st_begin_n(c, f->ent, want);
	uint64_t at = (uint64_t)off;
	ssize_t took = (ssize_t)want;
	if (off < 0 && (took = fsi_off_take(c, f, fd, want, &at)) < 0) {
		fsi_file_put(&f);
		fsi_st_end(t0, 1);
		return -1;
	}
	ssize_t total = 0;
	for (int i = 0; i < cnt && total < took; i++) {
		size_t len = iov[i].iov_len < (size_t)(took - total) ? iov[i].iov_len : (size_t)(took - total);
		ssize_t k = fsi_pread(c, f, iov[i].iov_base, len, at + (uint64_t)total);
		if (k < 0) {
			if (total == 0)
				total = -1;
			break;
		}
		total += k;
		if ((size_t)k < len)
			break;
	}
	if (off < 0)
		fsi_off_done(f, fd, at, (size_t)took, total);
	fsi_st_bytes(c, f->ent, total);
	fsi_file_put(&f);
	fsi_st_end(t0, 1);
	return total;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vreadv(c, f, fd, iov, cnt, -1) : fsi_real.readv(fd, iov, cnt);
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, fd, iov, cnt, off) : fsi_real.preadv(fd, iov, cnt, off);
}

ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < 0) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, fd, iov, cnt, off) : fsi_real.preadv64(fd, iov, cnt, off);
}

ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < -1) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, fd, iov, cnt, off) : fsi_real.preadv2(fd, iov, cnt, off, flags);
}

ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	if (f && off < -1) {
		fsi_file_put(&f);
		return fsi_fail(EINVAL);
	}
	return f ? vreadv(c, f, fd, iov, cnt, off) : fsi_real.preadv64v2(fd, iov, cnt, off, flags);
}

static off64_t vseek(struct fsi_ctx *c, struct fsi_file *f, int fd, off64_t off, int whence)
{
	uint64_t t0 = fsi_st_begin();
	int64_t to = fsi_off_seek(c, f, fd, off, whence);
	fsi_file_put(&f);
	fsi_st_end(t0, 1);
	return to;
}

off_t lseek(int fd, off_t off, int whence)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vseek(c, f, fd, off, whence) : fsi_real.lseek(fd, off, whence);
}

off64_t lseek64(int fd, off64_t off, int whence)
{
	struct fsi_ctx *c;
	struct fsi_file *f = virt(fd, &c);
	return f ? vseek(c, f, fd, off, whence) : fsi_real.lseek64(fd, off, whence);
}
