/*
 * data.c - the bytes of a file: mapped partitions, decoding, the
 * per-object decoded copy, and materialisation into a memfd for readers
 * the library cannot serve itself.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fsi.h"

#define POPULATE_MAX (256ull << 20)   /* pre-fault partitions up to this size */
#define PREFETCH_MAX (64ull << 20)    /* remote files fetched whole at open */

const uint8_t *fsi_part_map(struct fsi_ctx *c, uint32_t p)
{
	const uint8_t *base = atomic_load_explicit(&c->parts[p].base, memory_order_acquire);
	if (base)
		return base;
	const struct fs_img_part *ip = &c->img.parts[p];
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%.*s", c->jobdir, (int)sizeof ip->name, ip->name);
	int fd = fsi_real.open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			return NULL;   /* out of descriptors: the caller's open fails so */
		fsi_log("%s: cannot open (%s); the job directory is incomplete", path, strerror(errno));
		return errno = EIO, NULL;
	}
	struct stat st;
	void *m = MAP_FAILED;
	if (fsi_real.fstat(fd, &st) == 0 && (uint64_t)st.st_size == ip->file_size &&
	    ip->file_size >= sizeof(struct fs_part_hdr))
		m = fsi_real.mmap(NULL, ip->file_size, PROT_READ,
				  MAP_SHARED | (ip->file_size <= POPULATE_MAX ? MAP_POPULATE : 0), fd, 0);
	fsi_real.close(fd);
	if (m == MAP_FAILED || memcmp(m, FS_PART_MAGIC, 8) != 0) {
		fsi_log("%s: not the partition the image expects (size %llu); the job directory is damaged",
			path, (unsigned long long)ip->file_size);
		if (m != MAP_FAILED)
			munmap(m, ip->file_size);
		return errno = EIO, NULL;
	}
	const uint8_t *expect = NULL;
	if (!atomic_compare_exchange_strong(&c->parts[p].base, &expect, m)) {
		munmap(m, ip->file_size);
		return expect;
	}
	return m;
}

static int is_local(struct fsi_ctx *c, const struct fs_ment *e)
{
	return e->part < c->img.hdr->nparts && c->img.parts[e->part].local;
}

/* The stored blob of a local entry, bounds-checked, or NULL (errno EIO). */
static const uint8_t *local_blob(struct fsi_ctx *c, const struct fs_ment *e)
{
	const uint8_t *base = fsi_part_map(c, e->part);
	if (!base)
		return NULL;
	uint64_t fsz = c->img.parts[e->part].file_size;
	if (e->off > fsz || e->stored > fsz - e->off) {
		fsi_log("%.*s: blob outside partition %.16s; the job directory is damaged",
			(int)e->name_len, fs_image_name(&c->img, e), c->img.parts[e->part].name);
		return errno = EIO, NULL;
	}
	return base + e->off;
}

/* Map the pages of a blob in one system call rather than one fault per
 * page (partitions too large to pre-fault at mapping time). */
static void populate(const uint8_t *d, uint64_t n)
{
	if (n < 2 * 4096)
		return;
	uintptr_t lo = (uintptr_t)d & ~(uintptr_t)4095, hi = (uintptr_t)(d + n);
	madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
}

/* Bit ent of a bitmap: test, and set. */
static inline int bit_is(_Atomic uint8_t *map, uint32_t ent)
{
	return atomic_load_explicit(&map[ent >> 3], memory_order_relaxed) & (1u << (ent & 7));
}

static inline void bit_set(_Atomic uint8_t *map, uint32_t ent)
{
	atomic_fetch_or_explicit(&map[ent >> 3], (uint8_t)(1u << (ent & 7)), memory_order_relaxed);
}

/* First use of a local entry in this process: map its pages at once. */
static void first_use(struct fsi_ctx *c, uint32_t ent, const uint8_t *d, uint64_t n)
{
	if (!bit_is(c->used, ent)) {
		populate(d, n);
		bit_set(c->used, ent);
	}
}

static void crc_error(struct fsi_ctx *c, const struct fs_ment *e, enum fs_result rc)
{
	fsi_log("%s/%.*s: %s in partition %.16s; refusing to return its bytes",
		c->mount, (int)e->name_len, fs_image_name(&c->img, e),
		rc == FS_ERR_CRC ? "data does not match its checksum" : "undecodable data",
		e->part < c->img.hdr->nparts ? c->img.parts[e->part].name : "?");
}

/*
 * Buffers for decoded or fetched files are kept for the next file rather
 * than freed.  A 100 KB buffer is often the top of the heap: freeing it
 * trims the heap, and the next file's buffer faults every page in again
 * (and so does the reader's own buffer placed after it), which costs far
 * more than the read on some virtual machines.  A few are kept, bounded
 * in bytes; the lock is never waited for (busy, or held by a thread that
 * did not survive a fork: plain malloc and free).
 */
#define KEEP_N 8
#define KEEP_ONE (8u << 20)             /* larger buffers are freed */
#define KEEP_BYTES (32u << 20)

struct kbuf {
	size_t cap;
	size_t pad;                     /* keeps the bytes 16-byte aligned */
};

static atomic_flag keep_lock = ATOMIC_FLAG_INIT;
static struct kbuf *keep[KEEP_N];
static size_t keep_n, keep_bytes;

uint8_t *fsi_buf_get(uint64_t n)
{
	if (n == 0)
		n = 1;
	if (!atomic_flag_test_and_set_explicit(&keep_lock, memory_order_acquire)) {
		for (size_t i = keep_n; i-- > 0;) {
			struct kbuf *k = keep[i];
			if (k->cap >= n && k->cap / 4 <= n) {   /* fits, not far too big */
				keep[i] = keep[--keep_n];
				keep_bytes -= k->cap;
				atomic_flag_clear_explicit(&keep_lock, memory_order_release);
				return (uint8_t *)(k + 1);
			}
		}
		atomic_flag_clear_explicit(&keep_lock, memory_order_release);
	}
	uint64_t cap = (n + 4095) & ~(uint64_t)4095;
	struct kbuf *k = cap <= SIZE_MAX - sizeof *k ? malloc(sizeof *k + cap) : NULL;
	if (!k)
		return NULL;
	k->cap = cap;
	return (uint8_t *)(k + 1);
}

void fsi_buf_put(uint8_t *p)
{
	if (!p)
		return;
	struct kbuf *k = (struct kbuf *)p - 1;
	if (k->cap <= KEEP_ONE && !atomic_flag_test_and_set_explicit(&keep_lock, memory_order_acquire)) {
		if (keep_n < KEEP_N && keep_bytes + k->cap <= KEEP_BYTES) {
			keep[keep_n++] = k;
			keep_bytes += k->cap;
			k = NULL;
		}
		atomic_flag_clear_explicit(&keep_lock, memory_order_release);
	}
	free(k);
}

/* Decode entry e into dst (e->size bytes); the blob is local or fetched. */
static int decode_into(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e, uint8_t *dst)
{
	const uint8_t *src;
	uint8_t *fetched = NULL;
	if (is_local(c, e)) {
		if (!(src = local_blob(c, e)))
			return -1;
		first_use(c, ent, src, e->stored);
	} else {
		int verified;
		if (e->method == FS_METHOD_RAW) {
			if (fsi_remote_fetch(c, ent, dst, e->stored, &verified) < 0)
				return -1;
			/* checked by the holder, or here */
			if (verified || fs_crc32(0, dst, e->size) == e->crc)
				return 0;
			crc_error(c, e, FS_ERR_CRC);
			return fsi_fail(EIO);
		}
		if (!(fetched = fsi_buf_get(e->stored)))
			return fsi_fail(ENOMEM);
		if (fsi_remote_fetch(c, ent, fetched, e->stored, &verified) < 0) {
			fsi_buf_put(fetched);
			return -1;
		}
		src = fetched;
	}
	int busy = fsi_busy;
	fsi_busy = 1;
	enum fs_result rc = fs_blob_decode(e->method, src, e->stored, dst, e->size, e->crc);
	fsi_busy = busy;
	fsi_buf_put(fetched);
	if (rc == FS_OK)
		return 0;
	if (rc == FS_ERR_NOMEM)
		return fsi_fail(ENOMEM);
	crc_error(c, e, rc);
	return fsi_fail(EIO);
}

/* A raw local blob, its crc verified the first time a process of this
 * node uses it (a shared bit per entry: later reads cost nothing). */
static const uint8_t *raw_blob(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e)
{
	const uint8_t *d = local_blob(c, e);
	if (!d)
		return NULL;
	first_use(c, ent, d, e->size);
	if (fs_verified_check((uint8_t *)c->verified, ent, d, e->size, e->crc))
		return d;
	crc_error(c, e, FS_ERR_CRC);
	return errno = EIO, NULL;
}

const uint8_t *fsi_data(struct fsi_ctx *c, struct fsi_file *f)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (e->method == FS_METHOD_RAW && is_local(c, e))
		return raw_blob(c, f->ent, e);
	uint8_t *b = atomic_load_explicit(&f->buf, memory_order_acquire);
	if (b)
		return b;
	if (!(b = fsi_buf_get(e->size)))
		return errno = ENOMEM, NULL;
	if (decode_into(c, f->ent, e, b) < 0) {
		int saved = errno;
		fsi_buf_put(b);
		return errno = saved, NULL;
	}
	uint8_t *expect = NULL;
	if (!atomic_compare_exchange_strong(&f->buf, &expect, b)) {
		fsi_buf_put(b);
		return expect;
	}
	return b;
}

int fsi_prepare(struct fsi_ctx *c, struct fsi_file *f)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (!S_ISREG(e->mode) || (f->flags & O_PATH))
		return 0;
	if (is_local(c, e))
		return fsi_part_map(c, e->part) ? 0 : -1;
	if (e->size > PREFETCH_MAX)   /* too large to hold from open on */
		return fsi_remote_connect(c);
	return fsi_data(c, f) ? 0 : -1;
}

ssize_t fsi_pread(struct fsi_ctx *c, struct fsi_file *f, void *buf, size_t n, uint64_t off)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (S_ISDIR(e->mode))
		return fsi_fail(EISDIR);
	if (f->flags & O_PATH)
		return fsi_fail(EBADF);
	if (off >= e->size || n == 0)
		return 0;
	size_t len = e->size - off < n ? (size_t)(e->size - off) : n;
	/* read-all of a compressed file: decode straight into the caller's buffer */
	if (off == 0 && len == e->size && e->method != FS_METHOD_RAW &&
	    !atomic_load_explicit(&f->buf, memory_order_relaxed))
		return decode_into(c, f->ent, e, buf) < 0 ? -1 : (ssize_t)len;
	const uint8_t *d = fsi_data(c, f);
	if (!d)
		return -1;
	memcpy(buf, d + off, len);
	return (ssize_t)len;
}

/* The bytes for a memfd, using system calls only when asked (vfork child):
 * then a compressed file not yet decoded is decoded into the memfd's map. */
static int fill_memfd(struct fsi_ctx *c, int mfd, struct fsi_file *f, int syscalls_only)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	const uint8_t *d = NULL;
	if (e->method == FS_METHOD_RAW && is_local(c, e))
		d = raw_blob(c, f->ent, e);
	else if ((d = atomic_load(&f->buf)) == NULL && !syscalls_only)
		d = fsi_data(c, f);
	if (e->size == 0)
		return 0;
	if (!d) {
		if (!syscalls_only)
			return -1;
		if (fsi_real.ftruncate(mfd, (off_t)e->size) < 0)
			return -1;
		void *m = fsi_real.mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (m == MAP_FAILED)
			return -1;
		int rc = decode_into(c, f->ent, e, m);
		munmap(m, e->size);
		return rc;
	}
	for (uint64_t done = 0; done < e->size;) {
		long w = syscall(SYS_pwrite64, mfd, d + done, e->size - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (uint64_t)w;
	}
	return 0;
}

int fsi_materialise(struct fsi_ctx *c, int fd, struct fsi_file *f, int syscalls_only)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (S_ISDIR(e->mode))
		return 0;   /* a directory fd stays a placeholder */
	int saved = errno;
	const char *base = fs_image_name(&c->img, e);
	const char *slash = memrchr(base, '/', e->name_len);
	char name[64];
	snprintf(name, sizeof name, "fanstore:%.*s", (int)(slash ? e->name_len - (size_t)(slash + 1 - base) : e->name_len),
		 slash ? slash + 1 : base);
	int mfd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -1;
	int rc = -1;
	if (fill_memfd(c, mfd, f, syscalls_only) == 0) {
		syscall(SYS_fcntl, mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
		/* a read-only description of the same memfd */
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", mfd);
		int ro = (int)syscall(SYS_openat, AT_FDCWD, proc, O_RDONLY | O_CLOEXEC);
		if (ro >= 0) {
			syscall(SYS_close, mfd);
			mfd = ro;
		}
		int fdflags = fsi_real.fcntl(fd, F_GETFD);
		syscall(SYS_lseek, mfd, (off_t)fsi_off_get(f, fd), SEEK_SET);
		if (syscall(SYS_dup3, mfd, fd, fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) == fd)
			rc = 0;
	}
	syscall(SYS_close, mfd);
	if (rc == 0)
		errno = saved;
	return rc;
}

int fsi_fill(struct fsi_ctx *c, int fd, struct fsi_file *f, int syscalls_only)
{
	int seals = (int)syscall(SYS_fcntl, fd, F_GET_SEALS);
	if (seals < 0)
		return -1;
	if (seals & F_SEAL_WRITE)
		return 0;   /* filled already */
	if (fill_memfd(c, fd, f, syscalls_only) < 0)
		return -1;
	return (int)syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
}

int fsi_materialise_fd(struct fsi_ctx *c, int fd)
{
	struct fsi_file *f = fsi_fd_get(fd);
	if (!f)
		return 0;
	struct stat st;
	/* a carrier shared with other processes is filled where it is, so
	 * they keep sharing its offset */
	int rc = fsi_fd_is_carrier(f, fd, &st) ? fsi_fill(c, fd, f, 0) : fsi_materialise(c, fd, f, 0);
	if (rc == 0 && !S_ISDIR(fsi_ent(c, f->ent)->mode)) {
		struct fsi_file *t = fsi_fd_take(fd);
		fsi_file_put(&t);
	}
	fsi_file_put(&f);
	return rc;
}
