/*
 * share.c - file offsets shared as the kernel shares them.
 *
 * A virtual fd starts as a dup of the placeholder, its offset in the
 * open-file object: reads move it by compare-and-swap, so threads reading
 * one fd each get their own bytes (the kernel's f_pos lock gives the
 * same).  Other processes can only share an offset that the kernel keeps,
 * so before a fork or vfork the offset of every open file moves into a
 * "carrier": a new, empty memfd, one per open file, at that offset.
 * Every fd of the file becomes a copy of its carrier's description, so
 * dup, fork and exec share it exactly as with a kernel file.  From then on
 * a read takes the offset from the carrier, copies from the partition and
 * puts the new offset back, under a lock held across the node's processes
 * (an OFD lock on the job directory's FS_JOB_CARRIER file, one description
 * per process, and a mutex between this process's threads).
 *
 * An exec passes a carrier on filled: its bytes are written into the
 * memfd (which then is sealed), so the new program, with the library or
 * without (stdio's own reads, static programs), reads the file through
 * the kernel from the shared offset, and so does everyone sharing it.
 * Files over FSI_FILL_MAX stay empty carriers, listed in FS_ENV_FDS
 * ("fd:entry:flags,..."), and are served by the new program's library.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fsi.h"

/* ---------------------------------------------------------------- */
/* The table lock: many readers (open, close, dup), one mover          */
/* ---------------------------------------------------------------- */

#define TAB_W (1 << 30)
static _Atomic int tab_state;
static sigset_t tab_saved;

void fsi_tab_rdlock(void)
{
	for (;;) {
		int s = atomic_load_explicit(&tab_state, memory_order_relaxed);
		if (!(s & TAB_W) &&
		    atomic_compare_exchange_weak_explicit(&tab_state, &s, s + 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		sched_yield();
	}
}

void fsi_tab_rdunlock(void)
{
	atomic_fetch_sub_explicit(&tab_state, 1, memory_order_release);
}

/* Alone, with signals blocked (a handler that closes an fd would wait for
 * us forever). */
static void tab_wrlock(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (;;) {
		int s = atomic_load_explicit(&tab_state, memory_order_relaxed);
		if (!(s & TAB_W) &&
		    atomic_compare_exchange_weak_explicit(&tab_state, &s, s | TAB_W, memory_order_acquire,
							  memory_order_relaxed))
			break;
		sched_yield();
	}
	while (atomic_load_explicit(&tab_state, memory_order_acquire) != TAB_W)
		sched_yield();
	tab_saved = old;   /* only the holder writes it */
}

static void tab_wrunlock(void)
{
	atomic_store_explicit(&tab_state, 0, memory_order_release);
	pthread_sigmask(SIG_SETMASK, &tab_saved, NULL);
}

/* ---------------------------------------------------------------- */
/* Carriers                                                          */
/* ---------------------------------------------------------------- */

static int lock_path(struct fsi_ctx *c, char *p, size_t cap)
{
	int n = snprintf(p, cap, "%s/%s", c->jobdir, FS_JOB_CARRIER);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* This process's description of the lock file; system calls only. */
static int lock_open(struct fsi_ctx *c)
{
	char p[PATH_MAX + 16];
	if (lock_path(c, p, sizeof p) < 0)
		return fsi_fail(ENAMETOOLONG);
	return (int)syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

/* A new carrier at offset off, and its inode number; system calls only. */
static int carrier_new(uint64_t off, uint64_t *ino)
{
	int cf = (int)syscall(SYS_memfd_create, "fanstore-offset", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	if (cf < 0)
		return -1;
	if (syscall(SYS_fstat, cf, &st) < 0 || syscall(SYS_lseek, cf, (off_t)off, SEEK_SET) < 0) {
		syscall(SYS_close, cf);
		return -1;
	}
	*ino = st.st_ino;
	return cf;
}

int fsi_dup_over(int src, int fd)
{
	int fl = (int)syscall(SYS_fcntl, fd, F_GETFD);
	if (fl < 0)
		return -1;
	return syscall(SYS_dup3, src, fd, (fl & FD_CLOEXEC) ? O_CLOEXEC : 0) == fd ? 0 : -1;
}

int fsi_fd_is_placeholder(struct fsi_ctx *c, int fd)
{
	struct stat fst, want;
	return syscall(SYS_fstat, fd, &fst) == 0 &&
	       syscall(SYS_newfstatat, AT_FDCWD, c->jobdir, &want, 0) == 0 &&
	       fst.st_dev == want.st_dev && fst.st_ino == want.st_ino;
}

int fsi_fd_is_carrier(const struct fsi_file *f, int fd, struct stat *st)
{
	return atomic_load(&f->off) == FSI_OFF_KERNEL && syscall(SYS_fstat, fd, st) == 0 &&
	       st->st_ino == f->carrier_ino && syscall(SYS_fcntl, fd, F_GET_SEALS) >= 0;
}

/* Does this file's offset need moving (a regular file, opened to read)? */
static int movable(struct fsi_ctx *c, struct fsi_file *f)
{
	return !(f->flags & O_PATH) && !fsi_is_dir(c, f->ent) &&
	       atomic_load(&f->off) != FSI_OFF_KERNEL;
}

static void move_fd(int fd, struct fsi_file *f, void *arg)
{
	struct fsi_ctx *c = arg;
	if (f->carrier < 0) {
		if (!movable(c, f))
			return;
		uint64_t ino;
		int cf = carrier_new(atomic_load(&f->off), &ino);
		if (cf < 0) {
			static _Atomic int told;
			if (!atomic_exchange(&told, 1))
				fsi_log("cannot make a memfd (%s): open dataset files keep private offsets "
					"in child processes", strerror(errno));
			return;
		}
		f->carrier = cf;
		f->carrier_ino = ino;
		uint64_t at = atomic_exchange(&f->off, FSI_OFF_KERNEL);
		syscall(SYS_lseek, cf, (off_t)at, SEEK_SET);
	}
	fsi_dup_over(f->carrier, fd);
}

static void moved(int fd, struct fsi_file *f, void *arg)
{
	(void)fd;
	(void)arg;
	if (f->carrier >= 0) {
		syscall(SYS_close, f->carrier);
		f->carrier = -1;
		atomic_store_explicit(&f->kernel_ready, 1, memory_order_release);
	}
}

static void share_locked(struct fsi_ctx *c)
{
	fsi_fd_each(move_fd, c);
	fsi_fd_each(moved, c);
}

void fsi_share_all(struct fsi_ctx *c)
{
	if (fsi_in_vfork_slow(c))
		return;
	tab_wrlock();
	share_locked(c);
	tab_wrunlock();
}

/* fork: move every offset, and keep the table still until the child
 * exists (a file opened meanwhile would be copied with a private offset). */
static int fork_locked;

static void share_prepare(void)
{
	struct fsi_ctx *c = fsi_enter();
	if (!c || fsi_in_vfork_slow(c))
		return;
	fsi_bind_check(c);
	tab_wrlock();
	fork_locked = 1;
	share_locked(c);
}

static void share_parent(void)
{
	if (fork_locked) {
		fork_locked = 0;
		tab_wrunlock();
	}
}

/* ---------------------------------------------------------------- */
/* Offsets                                                           */
/* ---------------------------------------------------------------- */

static pthread_mutex_t koff_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int koff_fd = -1;       /* this process's lock description */

static void share_child(void)
{
	pthread_mutex_init(&koff_mutex, NULL);
	int lf = atomic_exchange(&koff_fd, -1);
	if (lf >= 0)
		syscall(SYS_close, lf);   /* the parent's: ours must be our own */
	if (fork_locked) {
		fork_locked = 0;
		atomic_store(&tab_state, 0);
		pthread_sigmask(SIG_SETMASK, &tab_saved, NULL);
	}
}

__attribute__((constructor)) static void share_init(void)
{
	pthread_atfork(share_prepare, share_parent, share_child);
}

static struct flock koff_range(short type)
{
	struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	return l;
}

/* Held across the node's processes and this one's threads. */
static void koff_lock(struct fsi_ctx *c)
{
	pthread_mutex_lock(&koff_mutex);
	int lf = atomic_load(&koff_fd);
	if (lf < 0) {
		lf = lock_open(c);
		atomic_store(&koff_fd, lf);
	}
	struct flock l = koff_range(F_WRLCK);
	while (lf >= 0 && syscall(SYS_fcntl, lf, F_OFD_SETLKW, &l) < 0 && errno == EINTR)
		;
}

static void koff_unlock(void)
{
	int lf = atomic_load(&koff_fd);
	struct flock l = koff_range(F_UNLCK);
	if (lf >= 0)
		syscall(SYS_fcntl, lf, F_OFD_SETLK, &l);
	pthread_mutex_unlock(&koff_mutex);
}

static void wait_ready(struct fsi_file *f)
{
	while (!atomic_load_explicit(&f->kernel_ready, memory_order_acquire))
		sched_yield();
}

static uint64_t file_size(struct fsi_ctx *c, struct fsi_file *f)
{
	return fsi_ent(c, f->ent)->size;
}

ssize_t fsi_off_take(struct fsi_ctx *c, struct fsi_file *f, int fd, size_t n, uint64_t *at)
{
	if (fsi_is_dir(c, f->ent))
		return fsi_fail(EISDIR);
	if (f->flags & O_PATH)
		return fsi_fail(EBADF);
	uint64_t size = file_size(c, f);
	uint64_t o = atomic_load_explicit(&f->off, memory_order_relaxed);
	while (o != FSI_OFF_KERNEL) {
		uint64_t k = o < size ? (size - o < n ? size - o : n) : 0;
		if (k == 0 || atomic_compare_exchange_weak_explicit(&f->off, &o, o + k, memory_order_relaxed,
								    memory_order_relaxed)) {
			*at = o;
			return (ssize_t)k;
		}
	}
	wait_ready(f);
	koff_lock(c);
	off_t cur = (off_t)syscall(SYS_lseek, fd, (off_t)0, SEEK_CUR);
	if (cur < 0) {
		int e = errno;
		koff_unlock();
		return fsi_fail(e);
	}
	o = (uint64_t)cur;
	*at = o;
	return (ssize_t)(o < size ? (size - o < n ? size - o : n) : 0);
}

void fsi_off_done(struct fsi_file *f, int fd, uint64_t at, size_t took, ssize_t got)
{
	uint64_t used = got > 0 ? (uint64_t)got : 0;
	if (atomic_load_explicit(&f->off, memory_order_relaxed) != FSI_OFF_KERNEL) {
		if (used < took) {   /* give back what was not read, if nobody moved on */
			uint64_t expect = at + took;
			atomic_compare_exchange_strong(&f->off, &expect, at + used);
		}
		return;
	}
	if (used)
		syscall(SYS_lseek, fd, (off_t)(at + used), SEEK_SET);
	koff_unlock();
}

/* Where lseek(whence, off) from cur lands, or -1 with errno. */
static int64_t seek_to(struct fsi_ctx *c, struct fsi_file *f, uint64_t cur, int64_t off, int whence)
{
	int64_t size = fsi_is_dir(c, f->ent) ? 0 : (int64_t)file_size(c, f), to;
	switch (whence) {
	case SEEK_SET: to = off; break;
	case SEEK_CUR: to = (int64_t)cur + off; break;
	case SEEK_END: to = size + off; break;
	case SEEK_DATA: to = off < size ? off : -2; break;
	case SEEK_HOLE: to = off < size ? size : -2; break;
	default: to = -1; break;
	}
	int rc = f->flags & O_PATH ? EBADF : to == -2 ? ENXIO : to < 0 ? EINVAL : 0;
	return rc ? fsi_fail(rc) : to;
}

int64_t fsi_off_seek(struct fsi_ctx *c, struct fsi_file *f, int fd, int64_t off, int whence)
{
	uint64_t o = atomic_load(&f->off);
	while (o != FSI_OFF_KERNEL) {
		int64_t to = seek_to(c, f, o, off, whence);
		if (to < 0 || atomic_compare_exchange_weak(&f->off, &o, (uint64_t)to))
			return to;
	}
	wait_ready(f);
	koff_lock(c);
	off_t cur = (off_t)syscall(SYS_lseek, fd, (off_t)0, SEEK_CUR);
	int64_t to = cur < 0 ? -1 : seek_to(c, f, (uint64_t)cur, off, whence);
	if (to >= 0)
		syscall(SYS_lseek, fd, (off_t)to, SEEK_SET);
	int e = errno;
	koff_unlock();
	errno = e;
	return to;
}

uint64_t fsi_off_get(struct fsi_file *f, int fd)
{
	uint64_t o = atomic_load(&f->off);
	if (o != FSI_OFF_KERNEL)
		return o;
	off_t cur = (off_t)syscall(SYS_lseek, fd, (off_t)0, SEEK_CUR);
	return cur < 0 ? 0 : (uint64_t)cur;
}

/* ---------------------------------------------------------------- */
/* Exec                                                              */
/* ---------------------------------------------------------------- */

static int parse_u(const char **s, unsigned long long *v, char end)
{
	char *e;
	errno = 0;
	*v = strtoull(*s, &e, 10);
	if (e == *s || errno || (*e != end && !(end == ',' && *e == 0)))
		return -1;
	*s = *e ? e + 1 : e;
	return 0;
}

void fsi_fds_adopt(struct fsi_ctx *c, const char *list)
{
	for (const char *s = list; s && *s;) {
		unsigned long long fd, ent, flags;
		if (parse_u(&s, &fd, ':') < 0 || parse_u(&s, &ent, ':') < 0 || parse_u(&s, &flags, ',') < 0) {
			fsi_log("%s: cannot parse \"%s\"; inherited dataset fds are not served",
				FS_ENV_FDS, list);
			return;
		}
		if (fd > INT_MAX || ent >= c->img.hdr->nent)
			continue;
		struct fsi_file *f = fsi_file_new((uint32_t)ent, (int)flags);
		if (!f)
			return;
		int kernel = !(f->flags & O_PATH) && !fsi_is_dir(c, f->ent);
		struct stat st;
		if (kernel ? syscall(SYS_fcntl, (int)fd, F_GET_SEALS) < 0 || syscall(SYS_fstat, (int)fd, &st) < 0
			   : !fsi_fd_is_placeholder(c, (int)fd)) {
			fsi_file_put(&f);
			continue;
		}
		if (kernel) {
			f->carrier_ino = st.st_ino;
			atomic_store(&f->off, FSI_OFF_KERNEL);
			atomic_store(&f->kernel_ready, 1);
		}
		fsi_fd_set((int)fd, f);
	}
}

int fsi_carrier_at(int fd, uint64_t off)
{
	uint64_t ino;
	int cf = carrier_new(off, &ino);
	if (cf < 0)
		return -1;
	int rc = fsi_dup_over(cf, fd);
	syscall(SYS_close, cf);
	return rc;
}

/* ---------------------------------------------------------------- */
/* vfork children                                                    */
/* ---------------------------------------------------------------- */

/* A vfork child shares our memory but has its own fds: a dup2 it makes
 * cannot go into the table, so it is remembered here, with the child's
 * pid, for the exec that follows. */
#define VX_MAX 64
static struct vx {
	int fd;
	struct fsi_file *f;          /* NULL: fd is no longer ours */
} vx[VX_MAX];
static _Atomic int vx_n;
static _Atomic pid_t vx_pid;

__attribute__((visibility("hidden"))) void fsi_vfork_prepare(void);
void fsi_vfork_prepare(void)
{
	struct fsi_ctx *c = fsi_enter();
	atomic_store(&vx_n, 0);
	atomic_store(&vx_pid, 0);
	if (c) {
		fsi_bind_check(c);
		fsi_share_all(c);
	}
}

int fsi_vfork_dup(int fd, struct fsi_file *f)
{
	pid_t me = (pid_t)syscall(SYS_getpid);
	if (atomic_load(&vx_pid) != me) {
		atomic_store(&vx_n, 0);
		atomic_store(&vx_pid, me);
	}
	int n = atomic_load(&vx_n);
	for (int i = 0; i < n; i++)
		if (vx[i].fd == fd) {
			vx[i].f = f;
			return 0;
		}
	if (n == VX_MAX)
		return -1;
	vx[n].fd = fd;
	vx[n].f = f;
	atomic_store(&vx_n, n + 1);
	return 0;
}

struct exec_walk {
	void (*fn)(int fd, struct fsi_file *f, void *arg);
	void *arg;
	int n;                       /* entries of vx that apply */
};

static void exec_each(int fd, struct fsi_file *f, void *arg)
{
	struct exec_walk *w = arg;
	for (int i = 0; i < w->n; i++)
		if (vx[i].fd == fd)
			return;      /* the vfork child changed it */
	w->fn(fd, f, w->arg);
}

void fsi_exec_fds(void (*fn)(int fd, struct fsi_file *f, void *arg), void *arg)
{
	int n = atomic_load(&vx_pid) == (pid_t)syscall(SYS_getpid) ? atomic_load(&vx_n) : 0;
	for (int i = 0; i < n; i++)
		if (vx[i].f)
			fn(vx[i].fd, vx[i].f, arg);
	struct exec_walk w = { fn, arg, n };
	fsi_fd_each(exec_each, &w);
}
