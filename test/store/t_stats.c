/* store/stats: the job report's file and figures.  Buckets: every time
 * falls in the bucket whose range holds it and its middle is within 12.5%
 * of it; quantiles pick the right bucket; JOBDIR/stats is made all zeros,
 * mapped again by a second caller with what the first wrote, refused at
 * another size; fs_stats_add adds every claimed slot and the shared one,
 * and no slot past the last claimed. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "stats.h"
#include "check.h"

static char dir[] = "/tmp/t_stats.XXXXXX";

static void buckets(void)
{
	ASSERT(fs_stats_bucket(0) == 0 && fs_stats_bucket(1023) == 0);
	ASSERT(fs_stats_bucket(1024) == 1 && fs_stats_bucket(1279) == 1 && fs_stats_bucket(1280) == 2);
	ASSERT(fs_stats_bucket(2047) == 4 && fs_stats_bucket(2048) == 5);
	ASSERT(fs_stats_bucket(UINT64_MAX) == FS_STATS_NLAT - 1);
	unsigned last = 0;
	for (uint64_t ns = 1024; ns < (1ull << 38); ns += ns / 97 + 1) {
		unsigned b = fs_stats_bucket(ns);
		ASSERT(b >= last && b < FS_STATS_NLAT - 1);   /* monotonic */
		last = b;
		double mid = fs_stats_bucket_mid(b);
		ASSERT(mid >= (double)ns * 0.875 && mid <= (double)ns * 1.125);
	}
	ASSERT(fs_stats_bucket_mid(0) == 512.0);
	ASSERT(fs_stats_bucket_mid(1) == 1024.0 + 128.0);
}

static void quantiles(void)
{
	uint64_t lat[FS_STATS_NLAT] = {0};
	ASSERT(fs_stats_quantile(lat, 0.5) == 0);
	/* 98 fast fetches (about 10 us), 2 slow ones (about 1 ms) */
	lat[fs_stats_bucket(10000)] = 98;
	lat[fs_stats_bucket(1000000)] = 2;
	ASSERT(fs_stats_quantile(lat, 0.5) == fs_stats_bucket_mid(fs_stats_bucket(10000)));
	ASSERT(fs_stats_quantile(lat, 0.98) == fs_stats_bucket_mid(fs_stats_bucket(10000)));
	ASSERT(fs_stats_quantile(lat, 0.99) == fs_stats_bucket_mid(fs_stats_bucket(1000000)));
	ASSERT(fs_stats_quantile(lat, 1.0) == fs_stats_bucket_mid(fs_stats_bucket(1000000)));
	uint64_t one[FS_STATS_NLAT] = {0};
	one[7] = 1;
	ASSERT(fs_stats_quantile(one, 0.01) == fs_stats_bucket_mid(7));
}

static void file(void)
{
	struct fs_stats_hdr *a = fs_stats_map(dir), *b;
	ASSERT(a);
	char path[64];
	snprintf(path, sizeof path, "%s/%s", dir, FS_JOB_STATS);
	struct stat st;
	ASSERT(stat(path, &st) == 0 && (size_t)st.st_size == fs_stats_len() && (st.st_mode & 0777) == 0600);
	struct fs_stats_sum s;
	fs_stats_add(a, &s);
	ASSERT(s.files[0] == 0 && s.bytes[1] == 0 && s.wait_ns == 0 && s.crc == 0 && s.fetches == 0);

	/* three threads' slots and the shared one; a slot past the claimed
	 * ones is not looked at */
	atomic_store(&a->claimed, 3);
	for (int k = 1; k <= 3; k++) {
		atomic_store(&a->slot[k].files[FS_ST_LOCAL], (uint64_t)k);
		atomic_store(&a->slot[k].bytes[FS_ST_REMOTE], 1000u * (uint64_t)k);
		atomic_store(&a->slot[k].lat[5], 2);
	}
	atomic_store(&a->slot[0].crc, 7);
	atomic_store(&a->slot[0].wait_ns, 11);
	atomic_store(&a->slot[4].files[FS_ST_LOCAL], 100);
	ASSERT((b = fs_stats_map(dir)) != NULL);   /* a second process sees it */
	fs_stats_add(b, &s);
	ASSERT(s.files[FS_ST_LOCAL] == 6 && s.files[FS_ST_REMOTE] == 0);
	ASSERT(s.bytes[FS_ST_REMOTE] == 6000 && s.bytes[FS_ST_LOCAL] == 0);
	ASSERT(s.crc == 7 && s.wait_ns == 11 && s.fetches == 6 && s.lat[5] == 6);
	/* more threads than slots (the late ones share slot 0): the sum takes
	 * every slot up to the last, none past it */
	atomic_store(&b->claimed, FS_STATS_SLOTS + 50);
	atomic_store(&b->slot[FS_STATS_SLOTS].files[FS_ST_REMOTE], 5);
	fs_stats_add(a, &s);
	ASSERT(s.files[FS_ST_REMOTE] == 5 && s.files[FS_ST_LOCAL] == 106);
	fs_stats_unmap(a);
	fs_stats_unmap(b);

	/* another layout: refused */
	ASSERT(truncate(path, 4096) == 0);
	ASSERT(fs_stats_map(dir) == NULL);
	unlink(path);
}

int main(void)
{
	ASSERT(mkdtemp(dir));
	RUN(buckets);
	RUN(quantiles);
	RUN(file);
	rmdir(dir);
	return 0;
}
