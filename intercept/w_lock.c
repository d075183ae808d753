/*
 * w_lock.c - advisory locks on dataset files: flock, lockf and the lock
 * commands of fcntl (routed here from w_fd.c).
 *
 * Each dataset file that anyone locks gets a lock file on this node,
 * JOBDIR/locks/ENTRY, and every lock is taken by the kernel on that file,
 * so processes of the node conflict exactly as on one real file.  The lock
 * file is opened read-only, like the dataset file: shared and exclusive
 * flock and read locks work, a write lock (F_WRLCK, lockf F_LOCK) fails
 * with EBADF.  The kernel's ownership rules carry over by choosing which
 * kernel description takes the lock:
 *   - flock and OFD locks belong to an open file description: one lock fd
 *     per open-file object (struct fsi_lockd), opened at its first lock,
 *     shared by its dups and by fork children made after that, closed at
 *     the object's last reference.
 *   - POSIX record locks belong to the process and go at any close of the
 *     file in it: they are taken through the same lock fd (the kernel owns
 *     them by process), and the table reports every fd that leaves it
 *     (fsi_lock_fd_closed), which drops them by closing a descriptor of the
 *     lock file.  A fork child does not inherit them, as in the kernel.
 * l_whence SEEK_CUR and SEEK_END are made absolute with the virtual fd's
 * offset and the file's size before the kernel sees the request.
 *
 * Limits: an object that first locks after a fork gets one lock fd per
 * process (the two conflict like two opens); a virtual fd turned into a
 * memfd (mmap, stdio, splice, posix_spawn, exec) gives up its locks, and
 * a memfd's own locks are private to it.  In a vfork child only an object
 * that already has its lock fd can lock (else ENOLCK).  When no lock file
 * can be made (job directory not writable, no fds left) locking fails
 * with ENOLCK, said once on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>

#include "fsi.h"

#define LOCK_DIR "locks"   /* under the job directory */

_Static_assert(sizeof(struct flock) == sizeof(struct flock64) && F_GETLK == F_GETLK64 &&
	       F_SETLK == F_SETLK64 && F_SETLKW == F_SETLKW64,
	       "fcntl and fcntl64 take the same lock requests (64-bit ABI)");

/* One per open-file object that took a lock.  The kernel fd is checked
 * against the lock file's identity before use, since the program may
 * close numbers it does not own. */
struct fsi_lockd {
	_Atomic int fd;                /* O_RDONLY|O_CLOEXEC on the lock file */
	dev_t dev;
	ino_t ino;
};

/* Bit per entry: this process may hold POSIX locks on it. */
static _Atomic(_Atomic uint8_t *) posix_held;

static int lock_path(struct fsi_ctx *c, uint32_t ent, char *p, size_t cap)
{
	int n = snprintf(p, cap, "%s/" LOCK_DIR "/%u", c->jobdir, (unsigned)ent);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* A new read-only fd on entry ent's lock file (made if missing). */
static int lock_open(struct fsi_ctx *c, uint32_t ent)
{
	char p[PATH_MAX + 32];
	int fl = O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, fd = -1;
	if (lock_path(c, ent, p, sizeof p) < 0)
		errno = ENAMETOOLONG;
	else
		fd = fsi_real.open(p, fl, 0600);
	if (fd < 0 && errno == ENOENT) {
		*strrchr(p, '/') = 0;
		if (fsi_real.mkdir(p, 0700) == 0 || errno == EEXIST) {
			lock_path(c, ent, p, sizeof p);
			fd = fsi_real.open(p, fl, 0600);
		}
	}
	if (fd < 0) {
		static _Atomic int said;
		if (!atomic_exchange(&said, 1))
			fsi_log("cannot make lock file %s: %s; locks on dataset files fail with ENOLCK",
				p, strerror(errno));
		return fsi_fail(ENOLCK);
	}
	return fd;
}

static int lockd_owns(const struct fsi_lockd *l, int fd)
{
	struct stat st;
	return fd >= 0 && fsi_real.fstat(fd, &st) == 0 && st.st_ino == l->ino && st.st_dev == l->dev;
}

/* The kernel fd that takes f's locks, made at the first lock; -1 with
 * errno.  Valid while the caller holds its reference to f. */
static int lockd_fd(struct fsi_ctx *c, struct fsi_file *f)
{
	struct fsi_lockd *l = atomic_load(&f->lock);
	if (l) {
		int fd = atomic_load(&l->fd);
		if (lockd_owns(l, fd))
			return fd;
		/* the program closed ours: its locks went with it */
		int nfd;
		if (fsi_in_vfork_slow(c) || (nfd = lock_open(c, f->ent)) < 0)
			return fsi_fail(ENOLCK);
		if (atomic_compare_exchange_strong(&l->fd, &fd, nfd))
			return nfd;
		fsi_real.close(nfd);   /* another thread replaced it first */
		return fd;
	}
	if (fsi_in_vfork_slow(c))
		return fsi_fail(ENOLCK);
	int fd = lock_open(c, f->ent);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fsi_real.fstat(fd, &st) != 0 || !(l = malloc(sizeof *l))) {
		fsi_real.close(fd);
		return fsi_fail(ENOLCK);
	}
	atomic_store(&l->fd, fd);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	struct fsi_lockd *none = NULL;
	if (atomic_compare_exchange_strong(&f->lock, &none, l))
		return fd;
	fsi_real.close(fd);   /* another thread was first */
	free(l);
	return atomic_load(&none->fd);
}

static void posix_mark(struct fsi_ctx *c, uint32_t ent)
{
	_Atomic uint8_t *m = atomic_load(&posix_held);
	if (!m) {
		if (fsi_in_vfork_slow(c))
			return;   /* no malloc there; a vfork child's locks are its own */
		_Atomic uint8_t *fresh = calloc(c->img.hdr->nent / 8 + 1, 1);
		if (!fresh)
			return;   /* then a close cannot drop them: the process keeps them */
		if (atomic_compare_exchange_strong(&posix_held, &m, fresh))
			m = fresh;
		else
			free((void *)fresh);
	}
	atomic_fetch_or(&m[ent / 8], (uint8_t)(1u << (ent % 8)));
}

void fsi_lock_fd_closed(struct fsi_file *f)
{
	_Atomic uint8_t *m = atomic_load_explicit(&posix_held, memory_order_relaxed);
	uint8_t bit = (uint8_t)(1u << (f->ent % 8));
	/* a plain look first: a locked clear of every closed file's bit once
	 * any lock was taken would be an atomic write on each close */
	if (__builtin_expect(!m, 1) ||
	    !(atomic_load_explicit(&m[f->ent / 8], memory_order_relaxed) & bit) ||
	    !(atomic_fetch_and(&m[f->ent / 8], (uint8_t)~bit) & bit))
		return;
	/* closing any descriptor of the lock file drops them all */
	int saved = errno;
	char p[PATH_MAX + 32];
	int fd = lock_path(&fsi_g, f->ent, p, sizeof p) == 0
			 ? fsi_real.open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd >= 0)
		fsi_real.close(fd);
	errno = saved;
}

void fsi_lock_release(struct fsi_file *f)
{
	/* the last reference: no other thread can be setting it */
	struct fsi_lockd *l = atomic_load_explicit(&f->lock, memory_order_relaxed);
	if (__builtin_expect(!l, 1))
		return;
	atomic_store_explicit(&f->lock, NULL, memory_order_relaxed);
	int saved = errno;
	int fd = atomic_load(&l->fd);
	if (lockd_owns(l, fd))
		fsi_real.close(fd);
	free(l);
	errno = saved;
}

/* l_whence SEEK_CUR/SEEK_END made SEEK_SET for the lock file. */
static int lock_absolute(struct fsi_ctx *c, struct fsi_file *f, int ufd, struct flock64 *fl)
{
	int64_t base;
	if (fl->l_whence == SEEK_CUR) {
		base = (int64_t)fsi_off_get(f, ufd);
	} else if (fl->l_whence == SEEK_END) {
		struct stat st;
		fsi_stat(c, f->ent, &st);
		base = st.st_size;
	} else {
		return 0;
	}
	int64_t start;
	if (__builtin_add_overflow((int64_t)fl->l_start, base, &start))
		return fsi_fail(EOVERFLOW);
	fl->l_start = start;
	fl->l_whence = SEEK_SET;
	return 0;
}

int fsi_lock_fcntl(struct fsi_ctx *c, struct fsi_file *f, int ufd, int cmd, void *arg)
{
	struct flock64 *user = arg, fl;
	if (f->flags & O_PATH)
		return fsi_fail(EBADF);
	if (!user)
		return fsi_fail(EFAULT);
	fl = *user;
	int fd;
	if (lock_absolute(c, f, ufd, &fl) < 0 || (fd = lockd_fd(c, f)) < 0)
		return -1;
	int rc = fsi_real.fcntl64(fd, cmd, &fl);
	if (rc != 0)
		return rc;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		/* as the kernel: the whole answer on a conflict, else only the type */
		if (fl.l_type == F_UNLCK)
			user->l_type = F_UNLCK;
		else
			*user = fl;
	} else if (cmd != F_OFD_SETLK && cmd != F_OFD_SETLKW && fl.l_type != F_UNLCK) {
		posix_mark(c, f->ent);
	}
	return rc;
}

static int lock_flock(struct fsi_ctx *c, struct fsi_file *f, int op)
{
	if (f->flags & O_PATH)
		return fsi_fail(EBADF);
	if ((op & ~LOCK_NB) == LOCK_UN && !atomic_load(&f->lock))
		return 0;   /* nothing held: nothing to make */
	int fd = lockd_fd(c, f);
	return fd < 0 ? -1 : fsi_real.flock(fd, op);
}

/* glibc's lockf, on the lock file: F_LOCK and F_TLOCK ask for a write
 * lock, so on a dataset file they fail with EBADF as on a read-only one. */
static int lock_lockf(struct fsi_ctx *c, struct fsi_file *f, int ufd, int cmd, off64_t len)
{
	struct flock64 fl = { .l_whence = SEEK_CUR, .l_start = 0, .l_len = len };
	switch (cmd) {
	case F_TEST:
		fl.l_type = F_RDLCK;
		if (fsi_lock_fcntl(c, f, ufd, F_GETLK, &fl) < 0)
			return -1;
		if (fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return 0;
		return fsi_fail(EACCES);
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		return fsi_lock_fcntl(c, f, ufd, F_SETLK, &fl);
	case F_LOCK:
	case F_TLOCK:
		fl.l_type = F_WRLCK;
		return fsi_lock_fcntl(c, f, ufd, cmd == F_LOCK ? F_SETLKW : F_SETLK, &fl);
	default:
		return fsi_fail(EINVAL);
	}
}

static int lock_lockf_fd(int fd, int cmd, off64_t len, int is64)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return is64 ? fsi_real.lockf64(fd, cmd, len) : fsi_real.lockf(fd, cmd, len);
	int rc = lock_lockf(c, f, fd, cmd, len);
	fsi_file_put(&f);
	return rc;
}

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

int flock(int fd, int op)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return fsi_real.flock(fd, op);
	int rc = lock_flock(c, f, op);
	fsi_file_put(&f);
	return rc;
}

int lockf(int fd, int cmd, off_t len)
{
	return lock_lockf_fd(fd, cmd, len, 0);
}

int lockf64(int fd, int cmd, off64_t len)
{
	return lock_lockf_fd(fd, cmd, len, 1);
}
