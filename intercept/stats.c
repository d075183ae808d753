/*
 * stats.c - the library's counts for the job report (fanstore-exec
 * --stats), kept in JOBDIR/stats (store/stats.h says what each one is).
 *
 * Counts land in shared memory as they happen: a DataLoader worker that
 * ends with os._exit, or a process killed by a signal, runs nothing at
 * its end.  Each thread claims a slot of its own on its first count, so
 * its adds are plain loads and stores (no lock prefix, no cache line
 * shared between threads); threads that come after the last slot share
 * slot 0 with atomic adds.  A fork child's thread claims a new slot; a
 * vfork child counts in its parent's (the parent waits meanwhile).
 *
 * Time inside calls: a clock read costs 40-90 ns here, and a stat of a
 * dataset path about 160, so timing every call would cost far more than
 * the report may (2%).  Remote fetches, where most of the waiting is,
 * are each timed (for the latency histogram too), and so are calls that
 * move 64 KiB or more (fsi_st_begin_n) and the copies made for mmap and
 * stdio: the clock is under 1% of them.  The short calls left (a few
 * microseconds at most) are sampled: a thread times each of its first
 * EXACT_CALLS, then one in SAMPLE_MEAN at random (gaps drawn uniformly,
 * so no pattern of calls lines up with the sampling) and counts it
 * SAMPLE_MEAN times, exact for short runs and an estimate after.  A
 * sampled call counts at most CAP_NS: longer, the thread was off the CPU
 * (preempted), which says nothing about FanStore, and one such sample
 * weighted SAMPLE_MEAN times would swamp the estimate (on a loaded
 * machine it tripled it).  A timed call counts only its time outside the
 * remote fetches inside it, which are counted already.
 */
#include <time.h>

#include "fsi.h"
#include "stats.h"

#define EXACT_CALLS 256u
#define SAMPLE_MEAN 128u
#define CAP_NS 100000u

int fsi_stats_on;
__thread struct fsi_st_thread fsi_st __attribute__((tls_model("initial-exec")));
static struct fs_stats_hdr *st_hdr;
static uint64_t st_clock_ns;   /* what a clock read adds to a time taken */

/* The least of a few back-to-back clock reads: what timing a call adds
 * to it, taken off each time (a third of a stat's time otherwise). */
static uint64_t clock_cost(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 8; i++) {
		uint64_t a = fsi_st_clock(), b = fsi_st_clock();
		if (b - a < best)
			best = b - a;
	}
	return best;
}

void fsi_stats_init(struct fsi_ctx *c)
{
	const char *v = getenv(FS_ENV_STATS);
	if (!v || !*v || strcmp(v, "0") == 0)
		return;
	st_hdr = fs_stats_map(c->jobdir);
	if (!st_hdr) {
		fsi_log("%s is set but %s/%s cannot be used (%s); this process is not counted",
			FS_ENV_STATS, c->jobdir, FS_JOB_STATS, strerror(errno));
		return;
	}
	st_clock_ns = clock_cost();
	fsi_stats_on = 1;
}

void fsi_stats_forked(void)
{
	memset(&fsi_st, 0, sizeof fsi_st);
}

static struct fs_stats_slot *slot(struct fsi_st_thread *t)
{
	if (__builtin_expect(t->slot != NULL, 1))
		return t->slot;
	uint64_t k = atomic_fetch_add_explicit(&st_hdr->claimed, 1, memory_order_relaxed);
	t->shared = k >= FS_STATS_SLOTS;
	t->slot = &st_hdr->slot[t->shared ? 0 : k + 1];
	return t->slot;
}

/* Add to a count of this thread's slot: its own (plain load and store),
 * or the shared one (atomic). */
static inline void add64(const struct fsi_st_thread *t, _Atomic uint64_t *p, uint64_t v)
{
	if (t->shared)
		atomic_fetch_add_explicit(p, v, memory_order_relaxed);
	else
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
				      memory_order_relaxed);
}

void fsi_st_add_slow(struct fsi_ctx *c, uint32_t ent, int bytes, uint64_t n)
{
	struct fsi_st_thread *t = &fsi_st;
	struct fs_stats_slot *s = slot(t);
	int w = fsi_st_where(c, ent);
	add64(t, bytes ? &s->bytes[w] : &s->files[w], n);
}

void fsi_st_crc_slow(void)
{
	struct fsi_st_thread *t = &fsi_st;
	add64(t, &slot(t)->crc, 1);
}

uint64_t fsi_st_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds since t0, less what reading the clock added. */
static inline uint64_t since(uint64_t t0)
{
	uint64_t ns = fsi_st_clock() - t0;
	return ns > st_clock_ns ? ns - st_clock_ns : 0;
}

void fsi_st_fetch_slow(uint64_t t0)
{
	uint64_t ns = since(t0);
	struct fsi_st_thread *t = &fsi_st;
	struct fs_stats_slot *s = slot(t);
	add64(t, &s->wait_ns, ns);
	_Atomic uint32_t *b = &s->lat[fs_stats_bucket(ns)];
	if (t->shared)
		atomic_fetch_add_explicit(b, 1, memory_order_relaxed);
	else
		atomic_store_explicit(b, atomic_load_explicit(b, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	t->fetch_ns += ns;
}

/* This call is timed: how many calls it stands for, how many pass
 * before the next (0 .. 2 * SAMPLE_MEAN - 2, uniformly: a gap of
 * SAMPLE_MEAN calls on average), and its start. */
uint64_t fsi_st_sample(void)
{
	struct fsi_st_thread *t = &fsi_st;
	if (t->exact < EXACT_CALLS) {
		t->exact++;
		t->weight = 1;
	} else {
		if (!t->rng)
			t->rng = (uint32_t)fsi_st_clock() | 1;
		t->rng ^= t->rng << 13;
		t->rng ^= t->rng >> 17;
		t->rng ^= t->rng << 5;
		t->skip = t->rng % (2 * SAMPLE_MEAN - 1);
		t->weight = SAMPLE_MEAN;
	}
	t->capped = 1;
	t->fetch_ns = 0;
	return fsi_st_clock();
}

/* This call is timed whatever the sampling, and counted once, whole. */
uint64_t fsi_st_timed(void)
{
	struct fsi_st_thread *t = &fsi_st;
	t->weight = 1;
	t->capped = 0;
	t->fetch_ns = 0;
	return fsi_st_clock();
}

void fsi_st_sampled(uint64_t t0, int ours)
{
	struct fsi_st_thread *t = &fsi_st;
	if (!ours)
		return;
	int saved = errno;   /* the call's answer, set before its end */
	uint64_t ns = since(t0);
	ns = ns > t->fetch_ns ? ns - t->fetch_ns : 0;
	if (t->capped && ns > CAP_NS)
		ns = CAP_NS;
	add64(t, &slot(t)->wait_ns, ns * t->weight);
	errno = saved;
}
