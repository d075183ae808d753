/*
 * readbench - the one reader program of test/bench/bench_read.sh.  It uses
 * plain POSIX calls, so the same binary measures FanStore (preloaded), a
 * native tmpfs and a FUSE mount alike.
 *
 *   readbench read LIST SECONDS     shuffled open + fstat + read-all + close
 *                                   over the paths in LIST (files/s)
 *   readbench stat LIST SECONDS     stat() of the paths in LIST (calls/s)
 *   readbench readdir DIR SECONDS   whole opendir/readdir/closedir passes
 *                                   over DIR (entries/s)
 *   readbench inflate PART SECONDS  libdeflate decompression (fs_blob_decode)
 *                                   of every compressed blob of partition
 *                                   PART, no file system involved (blobs/s)
 * Each mode runs whole passes until SECONDS have gone by (at least one);
 * SECONDS 0 is exactly one pass, which is how a fresh process that reads
 * each file once (a DataLoader worker's epoch) is measured.  Only the passes
 * are timed, not the process start.
 *
 * Output, one line:  RATE MB/s ITEMS BYTES SUM
 * ITEMS, BYTES and SUM are those of one pass: files (calls, entries,
 * blobs), bytes read (for stat the sum of st_size; readdir 0), and a
 * checksum that does not depend on the order: the 64-bit sum over items of
 * a hash of the item (for reads: its size and one 8-byte word per 4 KiB
 * page and the last 8 bytes; stat: st_size and the file type; readdir: the
 * name), in hex.  Every later pass must give the same three or readbench
 * fails, so a caller checks one pass against the original tree.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
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

/* What one pass saw; every pass must see the same. */
struct pass {
	unsigned long items, bytes;
	uint64_t sum;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* Size, one word per 4 KiB page and the last word of N bytes at B: cheap
 * next to the read, and a wrong page or a wrong file changes it. */
static uint64_t hash_bytes(const unsigned char *b, size_t n)
{
	uint64_t h = mix(n + 0x9e3779b97f4a7c15ULL), w;
	for (size_t off = 0; off < n; off += 4096) {
		w = 0;
		memcpy(&w, b + off, n - off < 8 ? n - off : 8);
		h = mix(h ^ w);
	}
	if (n >= 8) {
		memcpy(&w, b + n - 8, 8);
		h = mix(h ^ w);
	}
	return h;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return mix(h);
}

/* Runs PASS over its argument until SECS have gone by (one pass when SECS
 * is 0), checks that every pass saw the same, prints the line. */
static void run(void (*pass)(void *, struct pass *), void *arg, double secs, int mbs)
{
	struct pass first = { 0 }, p;
	unsigned long passes = 0;
	double t0 = now(), t;
	do {
		p = (struct pass){ 0 };
		pass(arg, &p);
		if (!passes)
			first = p;
		else if (p.items != first.items || p.bytes != first.bytes || p.sum != first.sum)
			die("a later pass saw other bytes than the first", "check");
		passes++;
	} while ((t = now() - t0) < secs);
	printf("%.1f %.1f %lu %lu %016" PRIx64 "\n", (double)(passes * first.items) / t,
	       mbs ? (double)(passes * first.bytes) / t / 1e6 : 0.0, first.items, first.bytes,
	       first.sum);
}

/* Paths of LIST, one per line. */
struct list {
	char **v;
	size_t n;
	unsigned seed;
	char *buf;
	size_t cap;
};

static void load_list(const char *path, struct list *l)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open the path list", path);
	size_t cap = 1024;
	char line[4200];
	l->v = malloc(cap * sizeof *l->v);
	l->n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!*line)
			continue;
		if (l->n == cap)
			l->v = realloc(l->v, (cap *= 2) * sizeof *l->v);
		l->v[l->n++] = strdup(line);
	}
	fclose(f);
	if (!l->n)
		die("no paths in the list", path);
	l->seed = 12345;
	l->cap = 1 << 20;
	l->buf = malloc(l->cap);
}

static void shuffle(struct list *l)
{
	for (size_t i = l->n - 1; i > 0; i--) {
		size_t j = (size_t)rand_r(&l->seed) % (i + 1);
		char *t = l->v[i];
		l->v[i] = l->v[j];
		l->v[j] = t;
	}
}

static void pass_read(void *arg, struct pass *p)
{
	struct list *l = arg;
	shuffle(l);
	for (size_t i = 0; i < l->n; i++) {
		int fd = open(l->v[i], O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			die("open/fstat failed", l->v[i]);
		if ((size_t)st.st_size + 1 > l->cap)
			l->buf = realloc(l->buf, l->cap = (size_t)st.st_size + 1);
		size_t got = 0;
		ssize_t k;
		while (got < l->cap && (k = read(fd, l->buf + got, l->cap - got)) > 0)
			got += (size_t)k;
		if (k < 0)
			die("read failed", l->v[i]);
		close(fd);
		p->items++;
		p->bytes += got;
		p->sum += hash_bytes((unsigned char *)l->buf, got);
	}
}

static void pass_stat(void *arg, struct pass *p)
{
	struct list *l = arg;
	struct stat st;
	for (size_t i = 0; i < l->n; i++) {
		if (stat(l->v[i], &st) < 0)
			die("stat failed", l->v[i]);
		p->items++;
		p->bytes += (unsigned long)st.st_size;
		p->sum += mix((uint64_t)st.st_size ^ ((uint64_t)(st.st_mode & S_IFMT) << 40));
	}
}

static void pass_readdir(void *arg, struct pass *p)
{
	const char *dir = arg;
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		die("opendir failed", dir);
	while ((de = readdir(d))) {
		p->items++;
		p->sum += hash_name(de->d_name);
	}
	closedir(d);
}

struct inflate {
	struct fs_part *part;
	uint8_t *buf;
};

static void pass_inflate(void *arg, struct pass *p)
{
	struct inflate *in = arg;
	for (uint64_t i = 0; i < fs_part_count(in->part); i++) {
		const struct fs_dentry *e = fs_part_entry(in->part, i);
		if (e->method != FS_METHOD_DEFLATE)
			continue;
		if (fs_blob_decode(e->method, fs_part_blob(in->part, e), e->stored, in->buf, e->size,
				   e->crc) != FS_OK)
			die("bad blob", "partition");
		p->items++;
		p->bytes += e->size;
		p->sum += hash_bytes(in->buf, e->size);
	}
	if (!p->items)
		die("no compressed blobs", "partition");
}

static void mode_inflate(const char *path, double secs)
{
	struct inflate in;
	struct fs_err err;
	if (fs_part_open(path, &in.part, &err) != FS_OK)
		die(err.msg, path);
	uint64_t max = 0;
	for (uint64_t i = 0; i < fs_part_count(in.part); i++)
		if (fs_part_entry(in.part, i)->size > max)
			max = fs_part_entry(in.part, i)->size;
	in.buf = malloc(max + 1);
	run(pass_inflate, &in, secs, 1);
	free(in.buf);
	fs_part_free(&in.part);
}

int main(int argc, char **argv)
{
	char *end = NULL;
	double secs = argc == 4 ? strtod(argv[3], &end) : -1;
	if (argc != 4 || !end || *end || secs < 0)
		die("usage: readbench read|stat|readdir|inflate LIST|DIR|PART SECONDS", "arguments");
	struct list l;
	if (!strcmp(argv[1], "read")) {
		load_list(argv[2], &l);
		run(pass_read, &l, secs, 1);
	} else if (!strcmp(argv[1], "stat")) {
		load_list(argv[2], &l);
		run(pass_stat, &l, secs, 0);
	} else if (!strcmp(argv[1], "readdir"))
		run(pass_readdir, argv[2], secs, 0);
	else if (!strcmp(argv[1], "inflate"))
		mode_inflate(argv[2], secs);
	else
		die("unknown mode (read, stat, readdir, inflate)", argv[1]);
	return 0;
}
