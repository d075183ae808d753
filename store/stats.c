/*
 * stats.c - JOBDIR/stats: mapping it and adding up its slots (stats.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "env.h"
#include "stats.h"

struct fs_stats_hdr *fs_stats_map(const char *jobdir)
{
	size_t n = fs_stats_len();
	char path[4096 + sizeof "/" FS_JOB_STATS];
	if (snprintf(path, sizeof path, "%s/%s", jobdir, FS_JOB_STATS) >= (int)sizeof path)
		return errno = ENAMETOOLONG, NULL;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return NULL;
	/* Several processes may create it at once: each makes it this size,
	 * all zeros, which is an empty file. */
	struct stat st;
	void *m = MAP_FAILED;
	int e = EINVAL;
	if (syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ((size_t)st.st_size == n || (st.st_size == 0 && syscall(SYS_ftruncate, fd, (long)n) == 0))) {
		m = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		e = m == MAP_FAILED ? errno : 0;
	}
	syscall(SYS_close, fd);
	errno = e;
	return m == MAP_FAILED ? NULL : m;
}

void fs_stats_unmap(struct fs_stats_hdr *h)
{
	if (h)
		syscall(SYS_munmap, h, fs_stats_len());
}

static void add_slot(const struct fs_stats_slot *s, struct fs_stats_sum *o)
{
	for (int w = 0; w < 2; w++) {
		o->files[w] += atomic_load_explicit(&s->files[w], memory_order_relaxed);
		o->bytes[w] += atomic_load_explicit(&s->bytes[w], memory_order_relaxed);
	}
	o->wait_ns += atomic_load_explicit(&s->wait_ns, memory_order_relaxed);
	o->crc += atomic_load_explicit(&s->crc, memory_order_relaxed);
	for (unsigned b = 0; b < FS_STATS_NLAT; b++) {
		uint32_t k = atomic_load_explicit(&s->lat[b], memory_order_relaxed);
		o->lat[b] += k;
		o->fetches += k;
	}
}

void fs_stats_add(const struct fs_stats_hdr *h, struct fs_stats_sum *out)
{
	memset(out, 0, sizeof *out);
	uint64_t n = atomic_load_explicit(&h->claimed, memory_order_acquire);
	if (n > FS_STATS_SLOTS)
		n = FS_STATS_SLOTS;
	for (uint64_t k = 0; k <= n; k++)
		add_slot(&h->slot[k], out);
}

double fs_stats_bucket_mid(unsigned b)
{
	if (b == 0)
		return 512.0;
	unsigned e = 10 + (b - 1) / 4, sub = (b - 1) % 4;
	uint64_t quarter = 1ull << (e - 2);
	return (double)((1ull << e) + quarter * sub) + (double)quarter / 2;
}

double fs_stats_quantile(const uint64_t *lat, double q)
{
	uint64_t n = 0;
	for (unsigned b = 0; b < FS_STATS_NLAT; b++)
		n += lat[b];
	if (!n)
		return 0;
	double want = q * (double)n;
	uint64_t rank = (uint64_t)want, seen = 0;
	if ((double)rank < want)
		rank++;
	if (rank < 1)
		rank = 1;
	for (unsigned b = 0; b < FS_STATS_NLAT; b++) {
		seen += lat[b];
		if (seen >= rank)
			return fs_stats_bucket_mid(b);
	}
	return fs_stats_bucket_mid(FS_STATS_NLAT - 1);
}
