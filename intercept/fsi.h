/*
 * fsi.h - libfanstore's internals: the process context, open-file objects
 * and the descriptor table, path classification, file data.
 *
 * Every wrapper has one shape (see w_*.c): fsi_enter() gives the context
 * (NULL: library inert or re-entered -> forward), classify the path or fd,
 * then serve it from the image or forward it unchanged to fsi_real.
 *
 * What a preloaded library cannot see, and so does not serve: execve of a
 * file inside the tree, the dynamic loader's own opens (dlopen of a .so in
 * the tree), static and Go binaries, io_uring, raw syscall(2), getdents64
 * on a virtual fd, glibc's fts_* and other walkers called inside libc,
 * /proc/self/fd links of virtual fds (they name the job directory), and
 * symlinks outside the prefix that point into it.  The mount point does
 * not appear in its parent's listing.  A file opened through stdio, mmap
 * or splice lives on in a memfd: fstat on that fd reports the memfd
 * (right size, other fields not the dataset's).  A symlink of the
 * dataset whose target leaves the tree resolves against the mount, not
 * against where the tree was packed.  ".." inside the tree is resolved
 * as the kernel does; in the parts of a path outside the mount it is
 * resolved lexically.
 */
#ifndef FSI_H
#define FSI_H

#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "env.h"
#include "real.h"
#include "stats.h"
#include "store.h"

#define FSI_PATH_MAX (PATH_MAX * 2)   /* room for a joined path before canon */
#define FSI_LOOP_MAX 40               /* symlinks followed, as the kernel */

/* ---------------------------------------------------------------- */
/* Context                                                           */
/* ---------------------------------------------------------------- */

struct fsi_part {
	_Atomic(const uint8_t *) base;  /* mapped partition, NULL until used */
	_Atomic int fd;                 /* open on it (CLOEXEC, high), -1: none */
	_Atomic int huge;               /* on huge pages: always read the mapping */
};

struct fsi_ctx {
	int active;                    /* a job directory is mapped */
	struct fs_image img;
	char jobdir[PATH_MAX];
	char mount[PATH_MAX];          /* canonical, absolute, no trailing '/' */
	size_t mlen;
	char libpath[PATH_MAX];        /* this library, for LD_PRELOAD at exec */
	char preload[2 * PATH_MAX];    /* our LD_PRELOAD when it names libpath */
	_Atomic int placeholder;       /* O_PATH fd on jobdir; -1: reopen */
	struct fsi_part *parts;        /* img.hdr->nparts */
	uid_t uid;
	gid_t gid;
	_Atomic pid_t pid;             /* to recognise a vfork child */
	_Atomic unsigned gen;          /* bumped in a fork child: sockets reconnect */
	int timeout;                   /* seconds for a remote read */
	_Atomic(char *) vcwd;          /* virtual cwd (canonical) or NULL */
	_Atomic uint8_t *used;         /* bit per entry: read to its end, or its
					* pages touched, in this process */
	_Atomic uint8_t *verified;     /* bit per entry: raw blob crc verified on
					* this node (JOBDIR/verified, shared) */
	int verify_always;             /* FANSTORE_VERIFY=always: crc on every read */
	_Atomic int own_lo;            /* lowest fd the library keeps (placeholder,
					* partitions); INT_MAX: none */
};

extern struct fsi_ctx fsi_g;
extern _Atomic int fsi_ready;
extern __thread int fsi_busy __attribute__((tls_model("initial-exec")));

struct fsi_ctx *fsi_enter_slow(void);

/* The context when this call is to be classified; NULL to forward (no job
 * directory, or a call made by the library itself). */
static inline struct fsi_ctx *fsi_enter(void)
{
	if (__builtin_expect(!atomic_load_explicit(&fsi_ready, memory_order_acquire), 0))
		return fsi_enter_slow();
	return (fsi_g.active && !fsi_busy) ? &fsi_g : NULL;
}

/* One line on stderr through the real write, prefixed "fanstore: ". */
void fsi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True in a vfork child (shares our memory: no malloc, locks, table
 * changes).  The fast form knows children of vfork(); the slow one also
 * catches clone(CLONE_VFORK) made by hand, with a system call. */
extern __thread int fsi_vforked __attribute__((tls_model("initial-exec")));
static inline int fsi_in_vfork(struct fsi_ctx *c)
{
	(void)c;
	return fsi_vforked;
}
int fsi_in_vfork_slow(struct fsi_ctx *c);

/* A wrapper's helper returns this for "not ours: forward the call". */
#define FSI_FWD (-2)

#define FSI_STR_(x) #x
#define FSI_STR(x) FSI_STR_(x)

/* A new kernel fd for a virtual file: a dup of the placeholder. */
int fsi_newfd(struct fsi_ctx *c, int cloexec);
/* The program closed or replaced fd: forget it if it was the placeholder
 * or a partition's descriptor (reads then use the partition's mapping). */
void fsi_fd_gone(struct fsi_ctx *c, int fd);
/* The same for every fd of ours in [lo, hi] (close_range, closefrom). */
void fsi_fds_gone(struct fsi_ctx *c, unsigned lo, unsigned hi);
/* Could fd be one the library keeps?  (Cheap; fsi_fd_gone is exact.) */
static inline int fsi_own_fd(struct fsi_ctx *c, int fd)
{
	return fd >= atomic_load_explicit(&c->own_lo, memory_order_relaxed);
}
/* fd moved to a high number (CLOEXEC) and counted as ours; the new fd. */
int fsi_fd_high(struct fsi_ctx *c, int fd);

/* ---------------------------------------------------------------- */
/* Open files and the descriptor table                               */
/* ---------------------------------------------------------------- */

struct fsi_dir;
struct fsi_lockd;

/*
 * Shared by every fd dup'ed from one open, like an open file description.
 *
 * The offset lives here while the description is this process's alone
 * (`off`, moved by compare-and-swap so that concurrent reads each get
 * their own bytes).  Before the description can be shared with another
 * process (fork, vfork), it moves into the kernel: each fd of the file
 * becomes a copy of one new "carrier" description (an empty memfd: the
 * kernel keeps its offset), `off` becomes FSI_OFF_KERNEL, and reads take
 * the offset from the carrier under a lock held across processes.  See
 * share.c.
 */
#define FSI_OFF_KERNEL UINT64_MAX

struct fsi_file {
	_Atomic int ref;
	uint32_t ent;                  /* image entry */
	int flags;                     /* open flags */
	_Atomic uint64_t off;          /* FSI_OFF_KERNEL: in the carrier */
	_Atomic int kernel_ready;      /* the carrier is in place */
	int carrier;                   /* during a move: the new description */
	uint64_t carrier_ino;          /* its inode (memfd) */
	_Atomic(uint8_t *) buf;        /* decoded copy (compressed/remote files) */
	struct fsi_dir *dir;           /* stream made by opendir/fdopendir */
	_Atomic(struct fsi_lockd *) lock;  /* advisory locks (w_lock.c); NULL none */
	struct fsi_file *next;         /* free list */
};

/* Our DIR: the first int is the fd, as in glibc's DIR. */
struct fsi_dir {
	int fd;
	int pad;
	uint64_t pos;                  /* 0 ".", 1 "..", 2 + i child i */
	struct fsi_file *f;
	struct dirent64 de;
};

struct fsi_file *fsi_file_new(uint32_t ent, int flags);
/* Take one more reference unless it already dropped to zero. */
int fsi_file_tryget(struct fsi_file *f);
void fsi_file_put(struct fsi_file **f);

/* The object behind fd with a reference held, or NULL (not ours). */
struct fsi_file *fsi_fd_get(int fd);
/* Install f at fd (taking over the caller's reference); drops what was
 * there.  -1 with errno ENOMEM (f dropped) when the table cannot grow. */
int fsi_fd_set(int fd, struct fsi_file *f);
/* Remove fd from the table; returns its reference (or NULL). */
struct fsi_file *fsi_fd_take(int fd);
/* Quick test without a reference. */
int fsi_fd_is(int fd);
/* Call fn(fd, f, arg) for every virtual fd (no references taken). */
void fsi_fd_each(void (*fn)(int fd, struct fsi_file *f, void *arg), void *arg);

/* Advisory locks (w_lock.c).  A lock command of fcntl on a virtual fd
 * (F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms); -1 with errno.  The
 * table calls fsi_lock_fd_closed whenever an fd leaves it (a close drops
 * the process's POSIX locks on the file) and fsi_lock_release at the
 * object's last reference (flock and OFD locks go with it). */
int fsi_lock_fcntl(struct fsi_ctx *c, struct fsi_file *f, int ufd, int cmd, void *arg);
void fsi_lock_fd_closed(struct fsi_file *f);
void fsi_lock_release(struct fsi_file *f);

/* ---------------------------------------------------------------- */
/* Shared offsets (share.c)                                          */
/* ---------------------------------------------------------------- */

/* Readers and changers of the descriptor table (open, close, dup*) hold
 * this shared; moving offsets into the kernel holds it alone.  Not taken
 * in a vfork child. */
void fsi_tab_rdlock(void);
void fsi_tab_rdunlock(void);

/* Move the offset of every open virtual file into the kernel (before a
 * fork, a vfork or a spawn whose child may share them). */
void fsi_share_all(struct fsi_ctx *c);

/* Before a fork, vfork or spawn (bindwarn.c): rank 0 bound to one CPU of
 * several says so, once per job. */
void fsi_bind_check(struct fsi_ctx *c);

/* Reserve up to n bytes at f's offset (fd is one of its fds): *at is
 * where they start; returns how many (0 at the end), -1 with errno.
 * fsi_off_done gives back what a failed or short read did not use. */
ssize_t fsi_off_take(struct fsi_ctx *c, struct fsi_file *f, int fd, size_t n, uint64_t *at);
void fsi_off_done(struct fsi_file *f, int fd, uint64_t at, size_t took, ssize_t got);
/* lseek on f (whence as lseek); the new offset or -1 with errno. */
int64_t fsi_off_seek(struct fsi_ctx *c, struct fsi_file *f, int fd, int64_t off, int whence);
/* f's current offset (fd: one of its fds). */
uint64_t fsi_off_get(struct fsi_file *f, int fd);

/* Virtual fds passed to an exec'ed program: "fd:ent:flags,..." in the
 * environment (FS_ENV_FDS), taken back by the new program's library. */
void fsi_fds_adopt(struct fsi_ctx *c, const char *list);
/* Make fd a copy of src, keeping fd's close-on-exec flag; 0 or -1
 * (system calls only). */
int fsi_dup_over(int src, int fd);
/* Make fd a carrier of its own at offset off (system calls only). */
int fsi_carrier_at(int fd, uint64_t off);
/* A vfork child made fd a copy of f (NULL: of something not ours). */
int fsi_vfork_dup(int fd, struct fsi_file *f);
/* Every virtual fd as an exec from here sees them (a vfork child's own
 * dups included); no references taken. */
void fsi_exec_fds(void (*fn)(int fd, struct fsi_file *f, void *arg), void *arg);
/* Is fd (still) the placeholder's directory, or f's carrier (st: its
 * fstat)?  System calls only. */
int fsi_fd_is_placeholder(struct fsi_ctx *c, int fd);
int fsi_fd_is_carrier(const struct fsi_file *f, int fd, struct stat *st);
/* A carrier is filled with the file's bytes (and sealed) when an exec
 * passes it on, unless the file is larger than this. */
#define FSI_FILL_MAX (64ull << 20)
/* Write f's bytes into the memfd fd at their own offsets (its file
 * offset does not move) and seal it; system calls only when asked. */
int fsi_fill(struct fsi_ctx *c, int fd, struct fsi_file *f, int syscalls_only);

/* ---------------------------------------------------------------- */
/* Paths                                                             */
/* ---------------------------------------------------------------- */

enum fsi_kind { FSI_OUT, FSI_IN, FSI_ERR };

#define FSI_NOFOLLOW 1   /* do not follow a final symlink */
#define FSI_EMPTY 2      /* AT_EMPTY_PATH: "" names dirfd itself */

struct fsi_res {
	enum fsi_kind kind;
	int err;                 /* FSI_ERR: errno */
	int64_t ent;             /* FSI_IN: image entry */
	int trailing;            /* the path ended in '/' */
	int dirfd;               /* FSI_OUT: arguments for libc */
	const char *path;
	char buf[FSI_PATH_MAX];
};

/* Does p start with the mount prefix as a whole component? */
static inline int fsi_maybe_under(const struct fsi_ctx *c, const char *p)
{
	if (c->mlen > 1 && p[1] != c->mount[1])   /* most paths differ here */
		return 0;
	return strncmp(p, c->mount, c->mlen) == 0 && (p[c->mlen] == '/' || p[c->mlen] == 0);
}

/* Could this absolute path canonicalise to something under the mount?
 * Lexically, "//" and "/./" only matter before the first real component
 * (later they cannot change it), and only a ".." component can remove
 * one.  So: skip leading "/" and "./", compare the prefix, and look for
 * "..": one vectorised scan for '.' in the common case. */
static inline int fsi_maybe_in(const struct fsi_ctx *c, const char *p)
{
	const char *q = p;
	while (q[1] == '/' || (q[1] == '.' && (q[2] == '/' || q[2] == 0)))
		q += q[1] == '/' ? 1 : 2;
	if (fsi_maybe_under(c, q))
		return 1;
	for (const char *s = strchr(q, '.'); s; s = strchr(s + 1, '.'))
		if (s[-1] == '/' && s[1] == '.' && (s[2] == '/' || s[2] == 0))
			return 1;
	return 0;
}

enum fsi_kind fsi_resolve_slow(struct fsi_ctx *c, int dirfd, const char *path, int flags,
			       struct fsi_res *r);

/* Classify (dirfd, path).  FSI_OUT gives the arguments to forward (the
 * original ones, or an absolute path when resolution went through the
 * virtual cwd, a virtual dirfd or a symlink of the dataset).  An absolute
 * path that cannot reach the mount is answered here, inline: that is what
 * every call outside the mount pays. */
static inline enum fsi_kind fsi_resolve(struct fsi_ctx *c, int dirfd, const char *path,
					int flags, struct fsi_res *r)
{
	if (__builtin_expect(path && path[0] == '/' && !fsi_maybe_in(c, path), 1)) {
		r->kind = FSI_OUT;
		r->err = 0;
		r->ent = -1;
		r->trailing = 0;
		r->dirfd = dirfd;
		r->path = path;
		return FSI_OUT;
	}
	return fsi_resolve_slow(c, dirfd, path, flags, r);
}
/* Same, but FSI_ERR when the final component is missing only (the
 * parent is a directory in the tree) becomes kind FSI_IN with ent -1. */
enum fsi_kind fsi_resolve_parent(struct fsi_ctx *c, int dirfd, const char *path,
				 struct fsi_res *r);
/* The absolute path of entry i under the mount into out (cap bytes). */
int fsi_ent_path(struct fsi_ctx *c, uint64_t i, char *out, size_t cap);
/* The parent entry of i (the root is its own parent); -1 with errno EIO
 * when the image is damaged there. */
int64_t fsi_ent_parent(struct fsi_ctx *c, uint64_t i);
/* fs_image_lookup and fs_image_child that report the damage they meet
 * (FS_IMG_DAMAGED: the caller fails with EIO). */
int64_t fsi_lookup(struct fsi_ctx *c, const char *rel, size_t len);
int64_t fsi_child(struct fsi_ctx *c, uint64_t dir, uint64_t k);

/* Entry i, which a lookup or fsi_child returned (so it was checked). */
static inline const struct fs_ment *fsi_ent(struct fsi_ctx *c, uint64_t i)
{
	return fs_image_ent(&c->img, i);
}
static inline int fsi_is_dir(struct fsi_ctx *c, uint64_t i)
{
	return S_ISDIR(fsi_ent(c, i)->mode);
}

/* ---------------------------------------------------------------- */
/* Data                                                              */
/* ---------------------------------------------------------------- */

/* The whole decoded file, or NULL with errno (EIO, ENOMEM). */
const uint8_t *fsi_data(struct fsi_ctx *c, struct fsi_file *f);
/* A buffer of at least n bytes for a decoded or fetched file (f->buf),
 * and back; a few are kept for reuse.  NULL when out of memory. */
uint8_t *fsi_buf_get(uint64_t n);
void fsi_buf_put(uint8_t *p);
/* Read up to n bytes at off (served in user space); -1 with errno. */
ssize_t fsi_pread(struct fsi_ctx *c, struct fsi_file *f, void *buf, size_t n, uint64_t off);
/* Make every later read of f need no new descriptor: open (and map) the
 * local partition holding it, or fetch a remote file whole (one over 64 MiB:
 * connect this thread to the launcher, so reads from this thread need
 * none).  Called at open, before the fd is taken; -1 with errno (EMFILE
 * when out of descriptors, as the kernel's open would fail). */
int fsi_prepare(struct fsi_ctx *c, struct fsi_file *f);
/* Local partition slot p opened and mapped: its mapping, or NULL with
 * errno (EIO; EMFILE, ENFILE or ENOMEM when no descriptor could be had). */
const uint8_t *fsi_part_map(struct fsi_ctx *c, uint32_t p);
/* This thread's connection to the local launcher made; -1 with errno
 * (EMFILE or ENFILE when out of descriptors, else EIO). */
int fsi_remote_connect(struct fsi_ctx *c);
/* Fetch `stored` bytes of entry ent's blob from the local launcher;
 * *verified 1 when the holder checked the (raw) blob against its crc. */
int fsi_remote_fetch(struct fsi_ctx *c, uint32_t ent, uint8_t *dst, uint64_t stored, int *verified);
/* Replace fd by a sealed memfd holding the file's bytes at the same
 * offset (system calls only when syscalls_only).  0 or -1 with errno. */
int fsi_materialise(struct fsi_ctx *c, int fd, struct fsi_file *f, int syscalls_only);
/* Materialise fd and drop it from the table; 0 when fd is not virtual. */
int fsi_materialise_fd(struct fsi_ctx *c, int fd);

/* The virtual cwd that an exec from here passes on (NULL: none).  A vfork
 * child that changed directory has its own (see w_names.c, which defines
 * it among the exported wrappers: hence the explicit visibility). */
const char *fsi_exec_cwd(struct fsi_ctx *c) __attribute__((visibility("hidden")));

/* fs_image_stat with our uid/gid. */
void fsi_stat(struct fsi_ctx *c, uint64_t i, struct stat *st);

/* ---------------------------------------------------------------- */
/* Counting for the job report (stats.c, store/stats.h)              */
/* ---------------------------------------------------------------- */

/* 1 when FANSTORE_STATS is set and JOBDIR/stats is mapped.  With it 0,
 * each counting point below is one predictable branch on it. */
extern int fsi_stats_on;

/* A thread's counting state: its slot, and where it is in sampling the
 * time of its calls (stats.c says how). */
struct fsi_st_thread {
	struct fs_stats_slot *slot;    /* NULL until its first count */
	int shared;                    /* slot is the shared slot 0 */
	unsigned skip;                 /* calls to let pass before the next sample */
	unsigned exact;                /* calls timed one by one so far */
	uint32_t rng;
	uint64_t weight;               /* of the call being timed */
	int capped;                    /* it is a short one: count at most
					* CAP_NS (stats.c) of it */
	uint64_t fetch_ns;             /* remote fetch time since it began */
};
extern __thread struct fsi_st_thread fsi_st __attribute__((tls_model("initial-exec")));

void fsi_stats_init(struct fsi_ctx *c);
/* In a fork child: its threads claim slots of their own. */
void fsi_stats_forked(void);
void fsi_st_add_slow(struct fsi_ctx *c, uint32_t ent, int bytes, uint64_t n);
void fsi_st_crc_slow(void);
uint64_t fsi_st_clock(void);
void fsi_st_fetch_slow(uint64_t t0);
uint64_t fsi_st_sample(void);
uint64_t fsi_st_timed(void);
void fsi_st_sampled(uint64_t t0, int ours);

#define FSI_ST_ON __builtin_expect(fsi_stats_on, 0)

/* Where entry ent is held: FS_ST_LOCAL (this node) or FS_ST_REMOTE. */
static inline int fsi_st_where(struct fsi_ctx *c, uint32_t ent)
{
	uint32_t p = fsi_ent(c, ent)->part;
	return p < c->img.hdr->nparts && c->img.parts[p].local ? FS_ST_LOCAL : FS_ST_REMOTE;
}
/* Count n in this thread's files (bytes = 0) or bytes figure of entry
 * ent, local or remote as its partition is held.  Its own slot takes a
 * plain load and store; the first count and the shared slot go the slow
 * way. */
static inline void fsi_st_add(struct fsi_ctx *c, uint32_t ent, int bytes, uint64_t n)
{
	struct fsi_st_thread *t = &fsi_st;
	if (__builtin_expect(!t->slot || t->shared, 0)) {
		fsi_st_add_slow(c, ent, bytes, n);
		return;
	}
	int w = fsi_st_where(c, ent);
	_Atomic uint64_t *v = bytes ? &t->slot->bytes[w] : &t->slot->files[w];
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n, memory_order_relaxed);
}
/* A regular file of the dataset opened for reading. */
static inline void fsi_st_open(struct fsi_ctx *c, uint32_t ent)
{
	if (FSI_ST_ON)
		fsi_st_add(c, ent, 0, 1);
}
/* n bytes of entry ent handed to the command (n <= 0: none). */
static inline void fsi_st_bytes(struct fsi_ctx *c, uint32_t ent, int64_t n)
{
	if (FSI_ST_ON && n > 0)
		fsi_st_add(c, ent, 1, (uint64_t)n);
}
/* A read refused: the bytes did not match their checksum. */
static inline void fsi_st_crc(void)
{
	if (FSI_ST_ON)
		fsi_st_crc_slow();
}
/* Around a remote fetch: its start (0 when off), then its end. */
static inline uint64_t fsi_st_fetch_start(void)
{
	return FSI_ST_ON ? fsi_st_clock() : 0;
}
static inline void fsi_st_fetch_end(uint64_t t0)
{
	if (FSI_ST_ON)
		fsi_st_fetch_slow(t0);
}
/* Around a call that may be the library's work: begin (its start time
 * when this call is timed, else 0), then end with ours = 0 when it turned
 * out not to be (forwarded to libc).  A short call is timed when it is
 * sampled (a countdown in thread-local memory when it is not); one that
 * may move FSI_ST_BIG bytes or more (fsi_st_begin_n) is timed each time,
 * its clock costing under 1% of it.  Timed calls do not nest: none of
 * them calls another (a signal handler that does, in the middle of one,
 * blurs that one sample). */
#define FSI_ST_BIG (64u << 10)
static inline uint64_t fsi_st_begin(void)
{
	if (!FSI_ST_ON)
		return 0;
	struct fsi_st_thread *t = &fsi_st;
	if (t->skip) {
		t->skip--;
		return 0;
	}
	return fsi_st_sample();
}
/* The same for a call moving up to n bytes of entry ent. */
static inline uint64_t fsi_st_begin_n(struct fsi_ctx *c, uint32_t ent, uint64_t n)
{
	if (!FSI_ST_ON)
		return 0;
	return n >= FSI_ST_BIG && fsi_ent(c, ent)->size >= FSI_ST_BIG ? fsi_st_timed() : fsi_st_begin();
}
static inline void fsi_st_end(uint64_t t0, int ours)
{
	if (t0)   /* only ever set with the report on */
		fsi_st_sampled(t0, ours);
}

/* errno := e; return -1 (for wrappers returning int or ssize_t). */
static inline int fsi_fail(int e)
{
	errno = e;
	return -1;
}

/* w_spawn.c: spawned by fanstore-exec --mpi (MPI_Init goes through);
 * the MPI library's definition of name (self: ours), or NULL. */
int fsi_spawned(void);
void *fsi_mpi_real(const char *name, void *self);

#endif
