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

#define PREFETCH_MAX (64ull << 20)    /* remote files fetched whole at open */
#define PREAD_MIN (64u << 10)         /* smaller blobs are read from the mapping */

/* Open local partition slot p and map it, no page mapped yet (pre-faulting
 * a whole partition costs every new process more than the few files it
 * reads: docs/performance.md, "The read path").  Keep the descriptor, for
 * preads, when keep (not in a vfork child: its descriptors are not the
 * parent's). */
static const uint8_t *part_open(struct fsi_ctx *c, uint32_t p, int keep)
{
	struct fsi_part *pt = &c->parts[p];
	const uint8_t *base = atomic_load_explicit(&pt->base, memory_order_acquire);
	if (base && (!keep || atomic_load_explicit(&pt->fd, memory_order_relaxed) >= 0))
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
	char magic[8];
	void *m = MAP_FAILED;
	int good = fsi_real.fstat(fd, &st) == 0 && (uint64_t)st.st_size == ip->file_size &&
		   ip->file_size >= sizeof(struct fs_part_hdr) &&
		   fsi_real.pread(fd, magic, 8, 0) == 8 && memcmp(magic, FS_PART_MAGIC, 8) == 0;
	if (good && !base)
		m = fsi_real.mmap(NULL, ip->file_size, PROT_READ, MAP_SHARED, fd, 0);
	/* a tmpfs mounted with huge pages says so in st_blksize */
	if (good)
		atomic_store_explicit(&pt->huge, st.st_blksize >= (2 << 20), memory_order_relaxed);
	if (!good || (!base && m == MAP_FAILED)) {
		fsi_log("%s: not the partition the image expects (size %llu); the job directory is damaged",
			path, (unsigned long long)ip->file_size);
		fsi_real.close(fd);
		return errno = EIO, NULL;
	}
	if (!base) {
		const uint8_t *expect = NULL;
		if (atomic_compare_exchange_strong(&pt->base, &expect, m)) {
			base = m;
		} else {
			munmap(m, ip->file_size);
			base = expect;
		}
	}
	int none = -1;
	if (!keep || !atomic_compare_exchange_strong(&pt->fd, &none, (fd = fsi_fd_high(c, fd))))
		fsi_real.close(fd);
	return base;
}

const uint8_t *fsi_part_map(struct fsi_ctx *c, uint32_t p)
{
	return part_open(c, p, 1);
}

static int is_local(struct fsi_ctx *c, const struct fs_ment *e)
{
	return e->part < c->img.hdr->nparts && c->img.parts[e->part].local;
}

/* The stored blob of a local entry in the mapping, bounds-checked, or
 * NULL (errno EIO).  Nothing is read through the pointer here. */
static const uint8_t *local_blob(struct fsi_ctx *c, const struct fs_ment *e, int syscalls_only)
{
	const uint8_t *base = part_open(c, e->part, !syscalls_only);
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

/* Bit ent of a bitmap: test, and set. */
static inline int bit_is(_Atomic uint8_t *map, uint32_t ent)
{
	return atomic_load_explicit(&map[ent >> 3], memory_order_relaxed) & (1u << (ent & 7));
}

static inline void bit_set(_Atomic uint8_t *map, uint32_t ent)
{
	atomic_fetch_or_explicit(&map[ent >> 3], (uint8_t)(1u << (ent & 7)), memory_order_relaxed);
}

static int pread_all(int fd, uint8_t *dst, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t k = fsi_real.pread(fd, dst, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		dst += k;
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
	return 0;
}

/*
 * Will this process read local entry ent's blob (stored bytes) with
 * pread rather than from the mapping?  A blob of PREAD_MIN or more that
 * it has not read to its end nor touched in the mapping yet: one system
 * call and one copy, no page mapped here (a process's first touch of a
 * mapped page costs a fault, more so on a virtual machine).  A smaller
 * blob comes from the mapping, where one fault maps its neighbours too
 * (the kernel's fault-around, 64 KB), and so does a blob read again,
 * whose pages are then worth mapping.  The mapping too when the
 * partition is on huge pages (one fault maps 2 MB), when the descriptor
 * is gone (closed by the program) or in a vfork child.
 * docs/performance.md, "The read path", has the figures.
 */
static int by_pread(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e, int syscalls_only)
{
	return !syscalls_only && e->stored >= PREAD_MIN && !bit_is(c->used, ent) &&
	       !atomic_load_explicit(&c->parts[e->part].huge, memory_order_relaxed) &&
	       atomic_load_explicit(&c->parts[e->part].fd, memory_order_relaxed) >= 0;
}

/* len bytes at off of local entry e's stored blob into dst (by_pread
 * says how).  0, or -1 with errno EIO. */
static int blob_read(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e, uint8_t *dst,
		     uint64_t off, uint64_t len, int syscalls_only)
{
	const uint8_t *d = local_blob(c, e, syscalls_only);
	if (!d)
		return -1;
	if (by_pread(c, ent, e, syscalls_only)) {
		if (off + len == e->stored)
			bit_set(c->used, ent);
		if (pread_all(atomic_load_explicit(&c->parts[e->part].fd, memory_order_relaxed),
			      dst, len, e->off + off) == 0)
			return 0;
	}
	bit_set(c->used, ent);
	memcpy(dst, d + off, len);
	return 0;
}

static void crc_error(struct fsi_ctx *c, const struct fs_ment *e, enum fs_result rc)
{
	fsi_st_crc();
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

/* Must this read of raw entry ent check its crc?  Every time with
 * --verify always; else until a process of this node has checked it. */
static int must_check(struct fsi_ctx *c, uint32_t ent)
{
	return c->verify_always || !bit_is(c->verified, ent);
}

/* dst holds the bytes of raw entry e: 0 when they match its crc (noted
 * for the node when mark), else -1 with EIO, the bytes cleared and one
 * line naming the file. */
static int raw_checked(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e, uint8_t *dst,
		       int mark)
{
	if (fs_crc32(0, dst, e->size) == e->crc) {
		if (mark)
			bit_set(c->verified, ent);
		return 0;
	}
	memset(dst, 0, e->size);
	crc_error(c, e, FS_ERR_CRC);
	return fsi_fail(EIO);
}

/*
 * The whole of entry e, checked, into dst (e->size bytes): a local raw
 * blob read (blob_read) and checked as the policy says; a compressed one
 * decoded, its stored bytes read into a kept buffer or used in place as
 * blob_read would choose (the decoder checks the crc every time); a
 * remote one fetched.  System calls only when syscalls_only (vfork
 * child), except that a remote blob may set up a channel.
 */
static int file_into(struct fsi_ctx *c, uint32_t ent, const struct fs_ment *e, uint8_t *dst,
		     int syscalls_only)
{
	const uint8_t *src;
	uint8_t *held = NULL;
	int verified;
	if (is_local(c, e)) {
		if (e->method == FS_METHOD_RAW) {
			if (blob_read(c, ent, e, dst, 0, e->size, syscalls_only) < 0)
				return -1;
			return must_check(c, ent) ? raw_checked(c, ent, e, dst, 1) : 0;
		}
		if (!(src = local_blob(c, e, syscalls_only)))
			return -1;
		if (by_pread(c, ent, e, syscalls_only)) {
			if (!(held = fsi_buf_get(e->stored)))
				return fsi_fail(ENOMEM);
			if (blob_read(c, ent, e, held, 0, e->stored, 0) < 0) {
				fsi_buf_put(held);
				return -1;
			}
			src = held;
		} else {
			bit_set(c->used, ent);
		}
	} else if (e->method == FS_METHOD_RAW) {
		if (fsi_remote_fetch(c, ent, dst, e->stored, &verified) < 0)
			return -1;
		return verified ? 0 : raw_checked(c, ent, e, dst, 0);   /* by the holder, or here */
	} else {
		if (!(held = fsi_buf_get(e->stored)))
			return fsi_fail(ENOMEM);
		if (fsi_remote_fetch(c, ent, held, e->stored, &verified) < 0) {
			fsi_buf_put(held);
			return -1;
		}
		src = held;
	}
	int busy = fsi_busy;
	fsi_busy = 1;
	enum fs_result rc = fs_blob_decode(e->method, src, e->stored, dst, e->size, e->crc);
	fsi_busy = busy;
	fsi_buf_put(held);
	if (rc == FS_OK)
		return 0;
	if (rc == FS_ERR_NOMEM)
		return fsi_fail(ENOMEM);
	crc_error(c, e, rc);
	return fsi_fail(EIO);
}

const uint8_t *fsi_data(struct fsi_ctx *c, struct fsi_file *f)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	if (e->method == FS_METHOD_RAW && is_local(c, e) && !c->verify_always) {
		/* in place, checked once per node */
		const uint8_t *d = local_blob(c, e, 0);
		if (!d)
			return NULL;
		bit_set(c->used, f->ent);
		if (fs_verified_check((uint8_t *)c->verified, f->ent, d, e->size, e->crc))
			return d;
		crc_error(c, e, FS_ERR_CRC);
		return errno = EIO, NULL;
	}
	/* a copy kept by the open file: decoded, fetched, or checked */
	uint8_t *b = atomic_load_explicit(&f->buf, memory_order_acquire);
	if (b)
		return b;
	if (!(b = fsi_buf_get(e->size)))
		return errno = ENOMEM, NULL;
	if (file_into(c, f->ent, e, b, 0) < 0) {
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
		return part_open(c, e->part, !fsi_in_vfork(c)) ? 0 : -1;
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
	const uint8_t *d = atomic_load_explicit(&f->buf, memory_order_acquire);
	int whole = off == 0 && len == e->size;
	if (!d && e->method == FS_METHOD_RAW && is_local(c, e) && (whole || !must_check(c, f->ent))) {
		/* straight into the caller's buffer, checked there when due */
		if (blob_read(c, f->ent, e, buf, off, len, 0) < 0 ||
		    (whole && must_check(c, f->ent) && raw_checked(c, f->ent, e, buf, 1) < 0))
			return -1;
		return (ssize_t)len;
	}
	/* read-all of a compressed or remote file: decode or fetch straight
	 * into the caller's buffer */
	if (!d && whole && !(e->method == FS_METHOD_RAW && is_local(c, e)))
		return file_into(c, f->ent, e, buf, 0) < 0 ? -1 : (ssize_t)len;
	if (!d && !(d = fsi_data(c, f)))
		return -1;
	memcpy(buf, d + off, len);
	return (ssize_t)len;
}

/* The bytes for a memfd, using system calls only when asked (vfork
 * child): the open file's copy when it has one, else the file read,
 * decoded or fetched into the memfd's map. */
static int fill_memfd(struct fsi_ctx *c, int mfd, struct fsi_file *f, int syscalls_only)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	const uint8_t *d = atomic_load(&f->buf);
	if (e->size == 0)
		return 0;
	if (!d) {
		if (fsi_real.ftruncate(mfd, (off_t)e->size) < 0)
			return -1;
		void *m = fsi_real.mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (m == MAP_FAILED)
			return -1;
		int rc = file_into(c, f->ent, e, m, syscalls_only);
		munmap(m, e->size);
		if (rc == 0)
			fsi_st_bytes(c, f->ent, (int64_t)e->size);
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
	fsi_st_bytes(c, f->ent, (int64_t)e->size);
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
		syscall(SYS_lseek, mfd, (off_t)fsi_off_get(f, fd), SEEK_SET);
		rc = fsi_dup_over(mfd, fd);
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
	uint64_t t0 = fsi_st_begin_n(c, f->ent, UINT64_MAX);   /* the whole file */
	struct stat st;
	/* a carrier shared with other processes is filled where it is, so
	 * they keep sharing its offset */
	int rc = fsi_fd_is_carrier(f, fd, &st) ? fsi_fill(c, fd, f, 0) : fsi_materialise(c, fd, f, 0);
	if (rc == 0 && !S_ISDIR(fsi_ent(c, f->ent)->mode)) {
		struct fsi_file *t = fsi_fd_take(fd);
		fsi_file_put(&t);
	}
	fsi_file_put(&f);
	fsi_st_end(t0, 1);
	return rc;
}
