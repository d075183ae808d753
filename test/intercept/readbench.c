/*
 * readbench - the one reader program of test/bench/bench_read.sh.  It uses
 * plain POSIX calls, so the same binary measures FanStore (preloaded), a
 * native tmpfs and a FUSE mount alike.  Prints the rate on stdout.
 *
 *   readbench read LIST SECONDS     shuffled open + fstat + read-all + close
 *                                   over the paths in LIST: "files/s MB/s"
 *   readbench stat LIST SECONDS     stat() of the paths in LIST: "calls/s"
 *   readbench readdir DIR SECONDS   whole opendir/readdir/closedir passes
 *                                   over DIR: "entries/s"
 *   readbench inflate PART SECONDS  libdeflate decompression (fs_blob_decode)
 *                                   of every compressed blob of partition
 *                                   PART, no file system involved: "MB/s"
 * Each mode runs whole passes until SECONDS have gone by (at least one).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "readbench: %s: %s\n", what, msg);
	exit(1);
}

/* Paths of LIST, one per line. */
static char **load_list(const char *list, size_t *n)
{
	FILE *f = fopen(list, "r");
	if (!f)
		die("cannot open the path list", list);
	size_t cap = 1024;
	char **v = malloc(cap * sizeof *v), line[4200];
	*n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!*line)
			continue;
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[(*n)++] = strdup(line);
	}
	fclose(f);
	if (!*n)
		die("no paths in the list", list);
	return v;
}

static void shuffle(char **v, size_t n, unsigned *seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand_r(seed) % (i + 1);
		char *t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static void mode_read(char **v, size_t n, double secs)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	unsigned seed = 12345;
	double t0 = now(), t;
	unsigned long files = 0, bytes = 0;
	do {
		shuffle(v, n, &seed);
		for (size_t i = 0; i < n; i++) {
			int fd = open(v[i], O_RDONLY | O_CLOEXEC);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) < 0)
				die("open/fstat failed", v[i]);
			if ((size_t)st.st_size + 1 > cap)
				buf = realloc(buf, cap = (size_t)st.st_size + 1);
			ssize_t k;
			while ((k = read(fd, buf, (size_t)st.st_size + 1)) > 0)
				bytes += (unsigned long)k;
			if (k < 0)
				die("read failed", v[i]);
			close(fd);
		}
		files += n;
	} while ((t = now() - t0) < secs);
	printf("%.1f %.1f\n", (double)files / t, (double)bytes / t / 1e6);
	free(buf);
}

static void mode_stat(char **v, size_t n, double secs)
{
	double t0 = now(), t;
	unsigned long calls = 0;
	struct stat st;
	do {
		for (size_t i = 0; i < n; i++)
			if (stat(v[i], &st) < 0)
				die("stat failed", v[i]);
		calls += n;
	} while ((t = now() - t0) < secs);
	printf("%.1f\n", (double)calls / t);
}

static void mode_readdir(const char *dir, double secs)
{
	double t0 = now(), t;
	unsigned long ents = 0;
	do {
		DIR *d = opendir(dir);
		if (!d)
			die("opendir failed", dir);
		while (readdir(d))
			ents++;
		closedir(d);
	} while ((t = now() - t0) < secs);
	printf("%.1f\n", (double)ents / t);
}

static void mode_inflate(const char *part, double secs)
{
	struct fs_part *p;
	struct fs_err err;
	if (fs_part_open(part, &p, &err) != FS_OK)
		die(err.msg, part);
	uint64_t max = 0;
	for (uint64_t i = 0; i < fs_part_count(p); i++)
		if (fs_part_entry(p, i)->size > max)
			max = fs_part_entry(p, i)->size;
	uint8_t *buf = malloc(max + 1);
	double t0 = now(), t;
	unsigned long bytes = 0;
	do {
		for (uint64_t i = 0; i < fs_part_count(p); i++) {
			const struct fs_dentry *e = fs_part_entry(p, i);
			if (e->method != FS_METHOD_DEFLATE)
				continue;
			if (fs_blob_decode(e->method, fs_part_blob(p, e), e->stored, buf, e->size, e->crc) != FS_OK)
				die("bad blob", part);
			bytes += e->size;
		}
	} while ((t = now() - t0) < secs);
	if (!bytes)
		die("no compressed blobs", part);
	printf("%.1f\n", (double)bytes / t / 1e6);
	free(buf);
	fs_part_free(&p);
}

int main(int argc, char **argv)
{
	if (argc != 4 || atof(argv[3]) <= 0)
		die("usage: readbench read|stat|readdir|inflate LIST|DIR|PART SECONDS", "arguments");
	double secs = atof(argv[3]);
	size_t n = 0;
	char **v;
	if (!strcmp(argv[1], "read")) {
		v = load_list(argv[2], &n);
		mode_read(v, n, secs);
	} else if (!strcmp(argv[1], "stat")) {
		v = load_list(argv[2], &n);
		mode_stat(v, n, secs);
	}
	else if (!strcmp(argv[1], "readdir"))
		mode_readdir(argv[2], secs);
	else if (!strcmp(argv[1], "inflate"))
		mode_inflate(argv[2], secs);
	else
		die("unknown mode (read, stat, readdir, inflate)", argv[1]);
	return 0;
}
