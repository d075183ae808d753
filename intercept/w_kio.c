/*
 * w_kio.c - readers the library cannot serve from user space: stdio
 * (glibc reads through internal calls), mmap, splice.  They get a sealed
 * memfd with the file's bytes behind the same fd number.  sendfile and
 * copy_file_range from a virtual fd are served by writing the bytes.
 */
#include <string.h>
#include <sys/syscall.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

static int mode_writes(const char *mode)
{
	return mode[0] == 'w' || mode[0] == 'a' || strchr(mode, '+') != NULL;
}

/* Open path for stdio: a kernel fd holding the bytes, -1 with errno, or
 * -2 to forward r->path. */
static int stdio_open(const char *path, const char *mode, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	r->path = path;
	if (!c || !path || !mode || fsi_resolve(c, AT_FDCWD, path, 0, r) == FSI_OUT)
		return -2;
	if (r->kind == FSI_ERR)
		return fsi_fail(r->err);
	if (mode_writes(mode))
		return fsi_fail(fsi_is_dir(c, (uint64_t)r->ent) ? EISDIR : EROFS);
	int fd = open(path, O_RDONLY | (strchr(mode, 'e') ? O_CLOEXEC : 0));
	if (fd >= 0 && fsi_materialise_fd(c, fd) < 0) {
		int e = errno;
		close(fd);
		return fsi_fail(e);
	}
	return fd;
}

static FILE *stdio_fdopen(int fd, const char *mode)
{
	FILE *f = fsi_real.fdopen(fd, mode);
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	struct fsi_res r;
	int fd = stdio_open(path, mode, &r);
	return fd == -2 ? fsi_real.fopen(r.path, mode) : fd < 0 ? NULL : stdio_fdopen(fd, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	struct fsi_res r;
	int fd = stdio_open(path, mode, &r);
	return fd == -2 ? fsi_real.fopen64(r.path, mode) : fd < 0 ? NULL : stdio_fdopen(fd, mode);
}

/* freopen onto our bytes: reopen the memfd through /proc/self/fd. */
static FILE *stdio_reopen(int fd, const char *mode, FILE *s, int is64)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	FILE *f = is64 ? fsi_real.freopen64(proc, mode, s) : fsi_real.freopen(proc, mode, s);
	int e = errno;
	close(fd);
	errno = e;
	return f;
}

FILE *freopen(const char *path, const char *mode, FILE *s)
{
	struct fsi_res r;
	int fd = stdio_open(path, mode, &r);
	return fd == -2 ? fsi_real.freopen(r.path, mode, s) : fd < 0 ? NULL : stdio_reopen(fd, mode, s, 0);
}

FILE *freopen64(const char *path, const char *mode, FILE *s)
{
	struct fsi_res r;
	int fd = stdio_open(path, mode, &r);
	return fd == -2 ? fsi_real.freopen64(r.path, mode, s) : fd < 0 ? NULL : stdio_reopen(fd, mode, s, 1);
}

FILE *fdopen(int fd, const char *mode)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && fsi_fd_is(fd)) {
		if (mode && mode_writes(mode))
			return errno = EINVAL, NULL;
		if (fsi_materialise_fd(c, fd) < 0)
			return NULL;
	}
	return fsi_real.fdopen(fd, mode);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && !(flags & MAP_ANONYMOUS) && fsi_fd_is(fd) && fsi_materialise_fd(c, fd) < 0)
		return MAP_FAILED;
	return fsi_real.mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

ssize_t splice(int in, loff_t *oin, int out, loff_t *oout, size_t len, unsigned int flags)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && fsi_fd_is(in) && fsi_materialise_fd(c, in) < 0)
		return -1;
	return fsi_real.splice(in, oin, out, oout, len, flags);
}

/* Write up to len bytes of virtual fd `in` at *pos (or its offset) to
 * out (at *opos when given).  -2 when in is not virtual. */
static ssize_t vcopy(int in, off64_t *pos, int out, off64_t *opos, size_t len)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(in) : NULL;
	if (!f)
		return -2;
	uint64_t t0 = fsi_st_begin_n(c, f->ent, len);
	const struct fs_ment *e = fsi_ent(c, f->ent);
	ssize_t rc = -1;
	const uint8_t *d = S_ISDIR(e->mode) ? (errno = EINVAL, NULL) : fsi_data(c, f);
	uint64_t at = pos ? (uint64_t)*pos : 0;
	ssize_t n = !d ? -1 : pos ? (at < e->size ? (ssize_t)(e->size - at < len ? e->size - at : len) : 0)
			     : fsi_off_take(c, f, in, len, &at);
	if (n > 0) {
		rc = opos ? pwrite(out, d + at, (size_t)n, *opos) : write(out, d + at, (size_t)n);
		if (rc > 0 && pos)
			*pos += rc;
		if (rc > 0 && opos)
			*opos += rc;
	} else if (n == 0) {
		rc = 0;
	}
	if (!pos && n >= 0)
		fsi_off_done(f, in, at, (size_t)n, rc);
	fsi_st_bytes(c, f->ent, rc);
	fsi_file_put(&f);
	fsi_st_end(t0, 1);
	return rc;
}

ssize_t sendfile(int out, int in, off_t *off, size_t len)
{
	off64_t o = off ? *off : 0;
	ssize_t k = vcopy(in, off ? &o : NULL, out, NULL, len);
	if (k == -2)
		return fsi_real.sendfile(out, in, off, len);
	if (off && k > 0)
		*off = (off_t)o;
	return k;
}

ssize_t sendfile64(int out, int in, off64_t *off, size_t len)
{
	ssize_t k = vcopy(in, off, out, NULL, len);
	return k == -2 ? fsi_real.sendfile64(out, in, off, len) : k;
}

ssize_t copy_file_range(int in, off64_t *oin, int out, off64_t *oout, size_t len, unsigned int flags)
{
	struct fsi_ctx *c = fsi_enter();
	if (c && fsi_fd_is(out))
		return fsi_fail(EBADF);
	ssize_t k = flags ? -2 : vcopy(in, oin, out, oout, len);
	if (k == -2 && flags && c && fsi_fd_is(in))
		return fsi_fail(EINVAL);
	return k == -2 ? fsi_real.copy_file_range(in, oin, out, oout, len, flags) : k;
}

int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	struct fsi_ctx *c = fsi_enter();
	return c && fsi_fd_is(fd) ? 0 : fsi_real.posix_fadvise(fd, off, len, advice);
}

int posix_fadvise64(int fd, off64_t off, off64_t len, int advice)
{
	struct fsi_ctx *c = fsi_enter();
	return c && fsi_fd_is(fd) ? 0 : fsi_real.posix_fadvise64(fd, off, len, advice);
}

ssize_t readahead(int fd, off64_t off, size_t len)
{
	struct fsi_ctx *c = fsi_enter();
	return c && fsi_fd_is(fd) ? 0 : fsi_real.readahead(fd, off, len);
}
