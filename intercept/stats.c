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
 * Time inside calls: a clock read costs tens of nanoseconds here, and a
 * stat of a dataset path about 150, so timing every call would cost far
 * more than the report may (2%).  A thread times each of its first
 * EXACT_CALLS calls, then one call in SAMPLE_MEAN at random (gaps drawn
 * uniformly, so no pattern of calls lines up with the sampling) and
 * counts it SAMPLE_MEAN times: an unbiased estimate, exact for short
 * runs.  Remote fetches, where most of the waiting is, are each timed
 * (for the latency histogram) and counted exactly; a sampled call counts
 * only its time outside them.
 */
#include <time.h>

#include "fsi.h"
#include "stats.h"

#define EXACT_CALLS 256u
#define SAMPLE_MEAN 128u

int fsi_stats_on;
static struct fs_stats_hdr *st_hdr;

#define TLS __thread __attribute__((tls_model("initial-exec")))
static TLS struct fs_stats_slot *st_slot;
static TLS int st_shared;          /* st_slot is slot 0: add atomically */
static TLS unsigned st_depth;      /* begin/end nesting */
static TLS unsigned st_exact;      /* calls timed one by one so far */
static TLS unsigned st_left;       /* calls until the next sample */
static TLS uint32_t st_rng;
static TLS uint64_t st_weight;     /* of the call being timed */
static TLS uint64_t st_fetch_ns;   /* fetch time inside it */

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
	fsi_stats_on = 1;
}

void fsi_stats_forked(void)
{
	st_slot = NULL;
	st_shared = 0;
	st_depth = 0;
	st_exact = 0;
}

static struct fs_stats_slot *slot(void)
{
	if (__builtin_expect(st_slot != NULL, 1))
		return st_slot;
	uint64_t k = atomic_fetch_add_explicit(&st_hdr->claimed, 1, memory_order_relaxed);
	st_shared = k >= FS_STATS_SLOTS;
	st_slot = &st_hdr->slot[st_shared ? 0 : k + 1];
	return st_slot;
}

static inline void add64(_Atomic uint64_t *p, uint64_t v)
{
	if (st_shared)
		atomic_fetch_add_explicit(p, v, memory_order_relaxed);
	else
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
				      memory_order_relaxed);
}

static inline int where(struct fsi_ctx *c, uint32_t ent)
{
	const struct fs_ment *e = fsi_ent(c, ent);
	return e->part < c->img.hdr->nparts && c->img.parts[e->part].local ? FS_ST_LOCAL : FS_ST_REMOTE;
}

void fsi_st_open_slow(struct fsi_ctx *c, uint32_t ent)
{
	struct fs_stats_slot *s = slot();
	add64(&s->files[where(c, ent)], 1);
}

void fsi_st_bytes_slow(struct fsi_ctx *c, uint32_t ent, uint64_t n)
{
	struct fs_stats_slot *s = slot();
	add64(&s->bytes[where(c, ent)], n);
}

void fsi_st_crc_slow(void)
{
	add64(&slot()->crc, 1);
}

uint64_t fsi_st_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fsi_st_fetch_slow(uint64_t t0)
{
	uint64_t ns = fsi_st_clock() - t0;
	struct fs_stats_slot *s = slot();
	add64(&s->wait_ns, ns);
	_Atomic uint32_t *b = &s->lat[fs_stats_bucket(ns)];
	if (st_shared)
		atomic_fetch_add_explicit(b, 1, memory_order_relaxed);
	else
		atomic_store_explicit(b, atomic_load_explicit(b, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	if (st_depth)
		st_fetch_ns += ns;
}

/* Calls until the next sample: 1 .. 2 * SAMPLE_MEAN - 1, uniformly. */
static unsigned gap(void)
{
	if (!st_rng)
		st_rng = (uint32_t)fsi_st_clock() | 1;
	st_rng ^= st_rng << 13;
	st_rng ^= st_rng >> 17;
	st_rng ^= st_rng << 5;
	return 1 + st_rng % (2 * SAMPLE_MEAN - 1);
}

uint64_t fsi_st_begin_slow(void)
{
	if (st_depth++)
		return 0;   /* inside a call already being counted */
	st_fetch_ns = 0;
	if (st_exact < EXACT_CALLS) {
		if (++st_exact == EXACT_CALLS)
			st_left = gap();
		st_weight = 1;
		return fsi_st_clock();
	}
	if (--st_left)
		return 0;
	st_left = gap();
	st_weight = SAMPLE_MEAN;
	return fsi_st_clock();
}

void fsi_st_end_slow(uint64_t t0, int ours)
{
	if (st_depth)
		st_depth--;
	if (!t0 || !ours)
		return;
	uint64_t ns = fsi_st_clock() - t0;
	ns = ns > st_fetch_ns ? ns - st_fetch_ns : 0;
	add64(&slot()->wait_ns, ns * st_weight);
}
