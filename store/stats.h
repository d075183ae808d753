/*
 * stats.h - the counters behind fanstore-exec's job report (--stats).
 *
 * One file per node, JOBDIR/stats, mapped shared by every process of the
 * command: a header and fixed-size slots, one a thread (claimed on its
 * first counted event), so that a count lands in shared memory when it
 * happens and survives a process that ends without running anything
 * (os._exit, a signal).  Slot 0 is shared by every thread that came after
 * the last slot was handed out (its counts are added atomically).  All
 * zeros is an empty file: whoever maps it first creates it, the size says
 * the layout, and the launcher of the node sums the slots at the end.
 *
 *   offset 0      struct fs_stats_hdr (64 bytes)
 *   64            slot 0: the shared slot
 *   64 + 512 k    slot k, k = 1 .. FS_STATS_SLOTS
 *
 * What is counted (docs/man/fanstore-exec.1 says the same to users):
 *   files[w]      successful opens of a regular file of the dataset (not
 *                 O_PATH); w = FS_ST_LOCAL when its partition is held on
 *                 this node, FS_ST_REMOTE when on another node
 *   bytes[w]      file bytes handed to the command: returned by read,
 *                 pread, readv (every spelling), sendfile and
 *                 copy_file_range, and a whole file's bytes put in a memfd
 *                 for mmap, stdio, splice or an exec that inherits it
 *   wait_ns       time inside the library's calls on dataset paths and
 *                 descriptors (open, read, stat, access, readdir, seek,
 *                 close, the copy for mmap and stdio): remote fetches and
 *                 calls moving 64 KiB or more timed each, short calls
 *                 estimated from a sample (see intercept/stats.c)
 *   crc           reads refused because a file's bytes did not match
 *                 their checksum or could not be decoded
 *   lat[]         times of remote fetches (a file fetched whole from the
 *                 launcher), FS_STATS_NLAT log buckets; their sum is the
 *                 number of fetches
 */
#ifndef FANSTORE_STATS_H
#define FANSTORE_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FS_STATS_SLOTS 4096u     /* per node; more threads share slot 0 */
#define FS_STATS_NLAT 116u       /* latency buckets, see fs_stats_bucket */

enum { FS_ST_LOCAL = 0, FS_ST_REMOTE = 1 };

struct fs_stats_slot {
	_Atomic uint64_t files[2];
	_Atomic uint64_t bytes[2];
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t crc;
	_Atomic uint32_t lat[FS_STATS_NLAT];
};

struct fs_stats_hdr {
	_Atomic uint64_t claimed;   /* slots handed out, may pass FS_STATS_SLOTS */
	uint64_t reserved[7];
	struct fs_stats_slot slot[]; /* 1 + FS_STATS_SLOTS */
};

_Static_assert(sizeof(struct fs_stats_slot) == 512, "a slot is 8 cache lines");
_Static_assert(sizeof(struct fs_stats_hdr) == 64, "the header is one cache line");

static inline size_t fs_stats_len(void)
{
	return sizeof(struct fs_stats_hdr) + (1 + (size_t)FS_STATS_SLOTS) * sizeof(struct fs_stats_slot);
}

/* A node's figures: every slot added up. */
struct fs_stats_sum {
	uint64_t files[2], bytes[2], wait_ns, crc;
	uint64_t fetches;            /* lat[] added up */
	uint64_t lat[FS_STATS_NLAT];
};

/*
 * Map JOBDIR/stats read-write, shared; created (0600, all zeros) when
 * missing.  NULL with errno when it cannot be, or when the file there has
 * another size (another layout).  System calls only: safe inside the
 * preloaded library.  Unmap with fs_stats_unmap.
 */
struct fs_stats_hdr *fs_stats_map(const char *jobdir);
void fs_stats_unmap(struct fs_stats_hdr *h);
/* Add up every slot of h into *out (zeroed first). */
void fs_stats_add(const struct fs_stats_hdr *h, struct fs_stats_sum *out);

/*
 * Latency buckets: bucket 0 holds times under 1024 ns; above, four
 * buckets per power of two, so a bucket is at most a quarter of its lower
 * bound wide and its middle is within 12.5% of any time in it.  The last
 * bucket also takes everything longer (from 1.5 * 2^38 ns, 412 s, up).
 */
static inline unsigned fs_stats_bucket(uint64_t ns)
{
	if (ns < 1024)
		return 0;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	unsigned b = (e - 10) * 4 + (unsigned)((ns >> (e - 2)) & 3) + 1;
	return b < FS_STATS_NLAT ? b : FS_STATS_NLAT - 1;
}
/* The middle of bucket b in ns. */
double fs_stats_bucket_mid(unsigned b);
/* The q-quantile (0 < q <= 1) of the times counted in lat: the middle of
 * the bucket holding the ceil(q * n)-th smallest; 0 when n is 0. */
double fs_stats_quantile(const uint64_t *lat, double q);

#endif /* FANSTORE_STATS_H */
