/*
 * fdtab.c - open-file objects and the lock-free descriptor table.
 *
 * The table is two levels of atomic pointers indexed by fd.  Objects are
 * never returned to malloc (a free list recycles them), so a reader that
 * loaded a pointer just before a close can still touch its reference
 * count safely: it takes a reference only while the count is non-zero.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fsi.h"

#define L2_BITS 10
#define L2_SIZE (1u << L2_BITS)
#define L1_SIZE (1u << 21)              /* every fd an int can hold */

typedef _Atomic(struct fsi_file *) fsi_slot;
static _Atomic(fsi_slot *) fsi_tab[L1_SIZE];   /* untouched pages cost nothing */
static _Atomic unsigned fsi_tab_hi;            /* 1 + highest level-1 index used */

/* Free objects: a small list per thread (no lock on the open/close path),
 * overflowing into a shared one. */
#define CACHE_MAX 64
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fsi_file *pool;
static __thread struct fsi_file *cache __attribute__((tls_model("initial-exec")));
static __thread int ncache __attribute__((tls_model("initial-exec")));

static pthread_key_t cache_key;   /* flushes a thread's list when it exits */

static void pool_atfork_child(void)
{
	pthread_mutex_init(&pool_lock, NULL);
}

/* A thread's free list goes back to the shared one when the thread ends. */
static void cache_flush(void *arg)
{
	(void)arg;
	struct fsi_file *f = cache;
	if (!f)
		return;
	struct fsi_file *last = f;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&pool_lock);
	last->next = pool;
	pool = f;
	pthread_mutex_unlock(&pool_lock);
	cache = NULL;
	ncache = 0;
}

__attribute__((constructor)) static void pool_init(void)
{
	pthread_atfork(NULL, NULL, pool_atfork_child);
	pthread_key_create(&cache_key, cache_flush);
}

struct fsi_file *fsi_file_new(uint32_t ent, int flags)
{
	struct fsi_file *f = cache;
	if (f) {
		cache = f->next;
		ncache--;
	} else {
		pthread_mutex_lock(&pool_lock);
		f = pool;
		if (f)
			pool = f->next;
		pthread_mutex_unlock(&pool_lock);
	}
	if (!f && !(f = calloc(1, sizeof *f)))
		return NULL;
	f->ent = ent;
	f->flags = flags;
	f->dir = NULL;
	f->next = NULL;
	f->carrier = -1;
	atomic_store(&f->lock, NULL);
	atomic_store(&f->off, 0);
	atomic_store(&f->kernel_ready, 0);
	atomic_store(&f->buf, NULL);
	atomic_store(&f->ref, 1);
	return f;
}

int fsi_file_tryget(struct fsi_file *f)
{
	int r = atomic_load(&f->ref);
	while (r > 0)
		if (atomic_compare_exchange_weak(&f->ref, &r, r + 1))
			return 1;
	return 0;
}

void fsi_file_put(struct fsi_file **fp)
{
	struct fsi_file *f = *fp;
	*fp = NULL;
	if (!f || atomic_fetch_sub(&f->ref, 1) != 1)
		return;
	fsi_buf_put(atomic_exchange(&f->buf, NULL));
	fsi_lock_release(f);
	free(f->dir);
	f->dir = NULL;
	if (ncache < CACHE_MAX) {
		if (!cache)   /* the destructor runs only for a non-NULL value */
			pthread_setspecific(cache_key, f);
		f->next = cache;
		cache = f;
		ncache++;
		return;
	}
	pthread_mutex_lock(&pool_lock);
	f->next = pool;
	pool = f;
	pthread_mutex_unlock(&pool_lock);
}

static fsi_slot *slot_of(int fd, int create)
{
	if (fd < 0 || (unsigned)fd >= L1_SIZE * L2_SIZE)
		return NULL;
	fsi_slot *l2 = atomic_load_explicit(&fsi_tab[fd >> L2_BITS], memory_order_acquire);
	if (!l2 && create) {
		fsi_slot *fresh = calloc(L2_SIZE, sizeof *fresh);
		if (!fresh)
			return NULL;
		if (atomic_compare_exchange_strong(&fsi_tab[fd >> L2_BITS], &l2, fresh)) {
			l2 = fresh;
			unsigned hi = atomic_load(&fsi_tab_hi), want = ((unsigned)fd >> L2_BITS) + 1;
			while (hi < want && !atomic_compare_exchange_weak(&fsi_tab_hi, &hi, want))
				;
		} else {
			free(fresh);
		}
	}
	return l2 ? &l2[fd & (L2_SIZE - 1)] : NULL;
}

struct fsi_file *fsi_fd_get(int fd)
{
	fsi_slot *s = slot_of(fd, 0);
	if (!s)
		return NULL;
	for (;;) {
		struct fsi_file *f = atomic_load_explicit(s, memory_order_acquire);
		if (!f)
			return NULL;
		if (fsi_file_tryget(f)) {
			if (atomic_load(s) == f)
				return f;
			fsi_file_put(&f);
		}
	}
}

int fsi_fd_is(int fd)
{
	fsi_slot *s = slot_of(fd, 0);
	return s && atomic_load_explicit(s, memory_order_relaxed) != NULL;
}

int fsi_fd_set(int fd, struct fsi_file *f)
{
	fsi_slot *s = slot_of(fd, 1);
	if (!s) {
		fsi_file_put(&f);
		return fsi_fail(ENOMEM);
	}
	struct fsi_file *old = atomic_exchange(s, f);
	if (old)
		fsi_lock_fd_closed(old);
	fsi_file_put(&old);
	return 0;
}

struct fsi_file *fsi_fd_take(int fd)
{
	fsi_slot *s = slot_of(fd, 0);
	if (!s)
		return NULL;
	struct fsi_file *f = atomic_exchange(s, NULL);
	if (f)
		fsi_lock_fd_closed(f);
	return f;
}

void fsi_fd_each(void (*fn)(int fd, struct fsi_file *f, void *arg), void *arg)
{
	unsigned hi = atomic_load(&fsi_tab_hi);
	for (unsigned i = 0; i < hi; i++) {
		fsi_slot *l2 = atomic_load(&fsi_tab[i]);
		if (!l2)
			continue;
		for (unsigned j = 0; j < L2_SIZE; j++) {
			struct fsi_file *f = atomic_load(&l2[j]);
			if (f)
				fn((int)(i * L2_SIZE + j), f, arg);
		}
	}
}
