/* deflate_loop.c - the floor for fanstore-prep's compression: read every
 * regular file under DIR into memory (not timed), then compress each one
 * with libdeflate at LEVEL on one thread, REPS times.  Prints the input
 * MB/s of each repetition on one line: "deflate_loop MBPS MBPS...".
 * usage: deflate_loop LEVEL REPS DIR */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>

struct file {
	void *p;
	size_t n;
};

static struct file *files;
static size_t nfiles, capfiles;

static int add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (nfiles == capfiles) {
		capfiles = capfiles ? 2 * capfiles : 1024;
		files = realloc(files, capfiles * sizeof(*files));
		if (!files)
			return -1;
	}
	size_t n = (size_t)st->st_size;
	void *p = malloc(n ? n : 1);
	int fd = open(path, O_RDONLY);
	if (!p || fd < 0 || read(fd, p, n) != (ssize_t)n) {
		fprintf(stderr, "deflate_loop: %s: cannot read\n", path);
		return -1;
	}
	close(fd);
	files[nfiles++] = (struct file){p, n};
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: deflate_loop LEVEL REPS DIR\n");
		return 2;
	}
	int level = atoi(argv[1]), reps = atoi(argv[2]);
	if (nftw(argv[3], add, 64, FTW_PHYS) != 0 || reps < 1)
		return 1;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t maxn = 0, total = 0;
	for (size_t i = 0; i < nfiles; i++) {
		maxn = files[i].n > maxn ? files[i].n : maxn;
		total += files[i].n;
	}
	size_t cap = libdeflate_deflate_compress_bound(c, maxn);
	void *out = malloc(cap);
	if (!c || !out)
		return 1;
	printf("deflate_loop");
	size_t sink = 0;
	for (int r = 0; r < reps; r++) {
		double t = now();
		for (size_t i = 0; i < nfiles; i++)
			sink += libdeflate_deflate_compress(c, files[i].p, files[i].n, out, cap);
		printf(" %.2f", (double)total / 1e6 / (now() - t));
	}
	printf("\n");
	fprintf(stderr, "deflate_loop: %zu files, %zu bytes -> %zu bytes per pass\n", nfiles, total,
		sink / (size_t)reps);
	return 0;
}
