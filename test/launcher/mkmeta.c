/*
 * mkmeta - a synthetic packed dataset of many small files, written through
 * the store's own partition writer, for measuring the launcher's startup,
 * metadata size and readers at millions of files without a real tree
 * (tmpfs here holds about 3M inodes).
 *
 *   mkmeta [-b BYTES] [-c CLASSES] OUT NFILES NPART [FILES_PER_DIR]
 *   mkmeta -b BYTES [-c CLASSES] -r ROOT -s SAMPLE [-o FIRST] [-R SEED]
 *          [-m read|stat] [-t] [-p PASSES] NFILES
 *
 * Without -c, files are "train/c0123/img_0001234.jpg", FILES_PER_DIR
 * (default 1000) to a directory.  With -c, ImageNet-21k-like paths:
 * "imagenet21k/train/n01234567/n01234567_123456.JPEG" (44-51 bytes) over
 * CLASSES class directories, file i in class i % CLASSES.  Each file has
 * BYTES bytes (default 0) made from its index (mkmeta_byte), stored raw
 * with their crc.  Partition p gets every NPART-th file; directories go to
 * partition 0.  The dataset's prebuilt image (fanstore.image) is built as
 * fanstore-prep builds it.  OUT must not exist.
 *
 * With -r, nothing is written: SAMPLE files of the NFILES are read under
 * ROOT (the mount, or nothing else) and every byte is checked; exit 0 when
 * all match.  The sample is every STEP-th file from FIRST (-o, default 0),
 * STEP = (NFILES - FIRST) / SAMPLE made odd, so that it covers every
 * partition when their count is a power of two and ranks given FIRST 0, 1,
 * 2, ... (fewer than STEP) read different files; with -R, SAMPLE files
 * picked at random (from SEED) between FIRST and NFILES instead.  -m stat
 * stats the files (a regular file of BYTES bytes) instead of reading them.
 * -t also times the calls (not the making of the paths, nor the first call
 * into ROOT, which maps the library's image, nor the checking) and adds
 * "; pass 1: WALL s, CPU s cpu" to the line.  -p PASSES goes over the
 * sample that many times in the one process (later passes find the pages
 * they touch mapped), each checked, and timed with a "; pass N:" of its
 * own.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

struct gen {
	uint64_t bytes, classes, per;
};

/* Byte k of file i. */
static inline uint8_t mkmeta_byte(uint64_t i, uint64_t k)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull + k * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)(x * 0x94d049bb133111ebull >> 56);
}

static void fill(uint8_t *b, uint64_t i, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		b[k] = mkmeta_byte(i, k);
}

/* The class directory of file i into buf. */
static void dir_name(const struct gen *g, uint64_t i, char *buf, size_t cap)
{
	if (g->classes)
		snprintf(buf, cap, "imagenet21k/train/n%08llu", (unsigned long long)(1000000 + i % g->classes));
	else
		snprintf(buf, cap, "train/c%04llu", (unsigned long long)(i / g->per));
}

static void file_name(const struct gen *g, uint64_t i, char *buf, size_t cap)
{
	char d[128];
	dir_name(g, i, d, sizeof d);
	if (g->classes)
		snprintf(buf, cap, "%s/n%08llu_%llu.JPEG", d, (unsigned long long)(1000000 + i % g->classes),
			 (unsigned long long)i);
	else
		snprintf(buf, cap, "%s/img_%07llu.jpg", d, (unsigned long long)i);
}

/* What -r checks, and how. */
struct sample {
	const char *root;
	uint64_t nfiles, first, n, seed;
	int random, stat, timed, passes;
};

/* Index of the k-th file of the sample. */
static uint64_t pick(const struct sample *s, uint64_t k)
{
	uint64_t span = s->nfiles - s->first, step = span / s->n;
	if (s->random) {
		uint64_t x = (s->seed + k) * 0x9e3779b97f4a7c15ull;
		x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ull;
		x = (x ^ x >> 27) * 0x94d049bb133111ebull;
		return s->first + (x ^ x >> 31) % span;
	}
	if (step > 1 && !(step & 1))
		step--;
	return s->first + k * (step ? step : 1);
}

static double now(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read (or stat) the sample under s->root and check every byte (or the
 * type and size).  The paths are made first and the results kept, so that
 * with -t only the calls are timed. */
static int check(const struct gen *g, struct sample *s)
{
	if (s->first >= s->nfiles || !s->n || s->passes < 1) {
		fprintf(stderr, "mkmeta: -s SAMPLE and -p PASSES must be above 0 and -o FIRST below NFILES\n");
		return 2;
	}
	if (!s->random && s->n > s->nfiles - s->first)
		s->n = s->nfiles - s->first;
	size_t slot = strlen(s->root) + 258, rec = g->bytes + 1;
	char *paths = malloc(s->n * slot);
	uint8_t *got = malloc(s->n * rec), *want = malloc(rec);
	ssize_t *len = malloc(s->n * sizeof *len);
	int *errs = calloc(s->n, sizeof *errs);
	double *dt = calloc(2 * (size_t)s->passes, sizeof *dt);   /* wall, cpu */
	uint64_t bad = 0;
	if (!paths || !got || !want || !len || !errs || !dt) {
		fprintf(stderr, "mkmeta: out of memory for a sample of %llu\n", (unsigned long long)s->n);
		return 1;
	}
	for (uint64_t k = 0; k < s->n; k++) {
		char name[256];
		file_name(g, pick(s, k), name, sizeof name);
		snprintf(paths + k * slot, slot, "%s/%s", s->root, name);
	}
	struct stat st;
	if (s->timed)
		(void)stat(s->root, &st);
	for (int pass = 0; pass < s->passes; pass++) {
		double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		for (uint64_t k = 0; k < s->n; k++) {
			const char *path = paths + k * slot;
			if (s->stat) {
				len[k] = stat(path, &st) != 0 ? -1 :
					 S_ISREG(st.st_mode) ? (ssize_t)st.st_size : -2;
			} else {
				int fd = open(path, O_RDONLY);
				len[k] = fd < 0 ? -1 : read(fd, got + k * rec, rec);
				if (fd >= 0)
					close(fd);
			}
			if (len[k] == -1)
				errs[k] = errno;
		}
		dt[2 * pass] = now(CLOCK_MONOTONIC) - t0;
		dt[2 * pass + 1] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		for (uint64_t k = 0; k < s->n; k++) {
			fill(want, pick(s, k), g->bytes);
			if (len[k] == (ssize_t)g->bytes &&
			    (s->stat || memcmp(want, got + k * rec, g->bytes) == 0))
				continue;
			if (bad++ < 5)
				fprintf(stderr, "mkmeta: %s: %s\n", paths + k * slot,
					len[k] == -1 ? strerror(errs[k]) : len[k] == -2 ? "not a regular file" :
					len[k] != (ssize_t)g->bytes ? "wrong size" : "wrong bytes");
		}
	}
	printf("%llu files checked, %llu wrong", (unsigned long long)(s->n * (uint64_t)s->passes),
	       (unsigned long long)bad);
	for (int pass = 0; s->timed && pass < s->passes; pass++)
		printf("; pass %d: %.6f s, %.6f s cpu", pass + 1, dt[2 * pass], dt[2 * pass + 1]);
	printf("\n");
	free(paths);
	free(got);
	free(want);
	free(len);
	free(errs);
	free(dt);
	return bad != 0;
}

static int die(const struct fs_err *err)
{
	fprintf(stderr, "mkmeta: %s\n", err->msg);
	return 1;
}

static void info(struct fs_winfo *w, const char *name, uint32_t mode)
{
	memset(w, 0, sizeof *w);
	w->name = name;
	w->name_len = (uint32_t)strlen(name);
	w->mode = mode;
	w->mtime_sec = 1700000000;
	w->method = FS_METHOD_RAW;
}

static int usage(void)
{
	fprintf(stderr, "usage: mkmeta [-b BYTES] [-c CLASSES] OUT NFILES NPART [FILES_PER_DIR]\n"
			"       mkmeta -b BYTES [-c CLASSES] -r ROOT -s SAMPLE [-o FIRST] [-R SEED]\n"
			"              [-m read|stat] [-t] [-p PASSES] NFILES\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct gen g = { .per = 1000 };
	struct sample s = { .passes = 1 };
	int o;
	while ((o = getopt(argc, argv, "b:c:r:s:o:R:m:tp:")) != -1) {
		switch (o) {
		case 'b': g.bytes = strtoull(optarg, NULL, 10); break;
		case 'c': g.classes = strtoull(optarg, NULL, 10); break;
		case 'r': s.root = optarg; break;
		case 's': s.n = strtoull(optarg, NULL, 10); break;
		case 'o': s.first = strtoull(optarg, NULL, 10); break;
		case 'R': s.random = 1; s.seed = strtoull(optarg, NULL, 10); break;
		case 'm':
			if (strcmp(optarg, "read") != 0 && strcmp(optarg, "stat") != 0)
				return usage();
			s.stat = optarg[0] == 's';
			break;
		case 't': s.timed = 1; break;
		case 'p': s.passes = atoi(optarg); break;
		default: return usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (s.root) {
		if (argc != 1)
			return usage();
		s.nfiles = strtoull(argv[0], NULL, 10);
		return check(&g, &s);
	}
	if (argc < 3)
		return usage();
	const char *out = argv[0];
	uint64_t nfiles = strtoull(argv[1], NULL, 10);
	uint32_t npart = (uint32_t)atoi(argv[2]);
	if (argc > 3)
		g.per = strtoull(argv[3], NULL, 10);
	if (!npart || !g.per || mkdir(out, 0755) != 0) {
		fprintf(stderr, "mkmeta: bad arguments or %s: %s\n", out, strerror(errno));
		return 2;
	}
	uint64_t ndirs = g.classes ? (g.classes < nfiles ? g.classes : nfiles) : (nfiles + g.per - 1) / g.per;
	struct fs_manifest m = {0};
	memcpy(m.hdr.magic, FS_MANIFEST_MAGIC, 8);
	m.hdr.version = FS_FORMAT_VERSION;
	m.hdr.hdr_size = sizeof m.hdr;
	/* datasets of other shapes get other ids */
	uint64_t shape[] = {nfiles, npart, g.bytes, g.classes, g.per};
	m.hdr.dataset_id = fs_hash(shape, sizeof shape);
	m.hdr.npart = npart;
	m.hdr.nfiles = nfiles;
	m.hdr.ndirs = (g.classes ? 2 : 1) + ndirs;
	m.hdr.raw_bytes = nfiles * g.bytes;
	m.hdr.stored_bytes = nfiles * g.bytes;
	m.parts = calloc(npart, sizeof *m.parts);
	struct fs_partw **w = calloc(npart, sizeof *w);
	uint8_t *blob = malloc(g.bytes + 1);
	struct fs_err err;
	char name[256], path[4096];
	if (!m.parts || !w || !blob)
		return 1;
	for (uint32_t p = 0; p < npart; p++) {
		fs_part_filename(p, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", out, name);
		if (fs_partw_new(path, p, npart, &w[p], &err) != FS_OK)
			return die(&err);
	}
	struct fs_winfo wi;
	const char *tops[] = { "imagenet21k", "imagenet21k/train" };
	for (int t = g.classes ? 0 : 1; t < 2; t++) {
		info(&wi, g.classes ? tops[t] : "train", S_IFDIR | 0755);
		if (fs_partw_add(w[0], &wi, NULL, 0, &err) != FS_OK)
			return die(&err);
	}
	for (uint64_t i = 0; i < nfiles; i++) {
		if (g.classes ? i < g.classes : i % g.per == 0) {
			dir_name(&g, i, name, sizeof name);
			info(&wi, name, S_IFDIR | 0755);
			if (fs_partw_add(w[0], &wi, NULL, 0, &err) != FS_OK)
				return die(&err);
		}
		file_name(&g, i, name, sizeof name);
		info(&wi, name, S_IFREG | 0644);
		fill(blob, i, g.bytes);
		wi.size = g.bytes;
		wi.crc = fs_crc32(0, blob, g.bytes);
		if (fs_partw_add(w[i % npart], &wi, blob, g.bytes, &err) != FS_OK)
			return die(&err);
	}
	for (uint32_t p = 0; p < npart; p++)
		if (fs_partw_finish(w[p], m.hdr.dataset_id, &m.parts[p], &err) != FS_OK)
			return die(&err);
	struct fs_part **parts = calloc(npart, sizeof *parts);
	for (uint32_t p = 0; parts && p < npart; p++) {
		fs_part_filename(p, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", out, name);
		if (fs_part_open(path, &parts[p], &err) != FS_OK)
			return die(&err);
	}
	snprintf(path, sizeof path, "%s/%s", out, FS_DATASET_IMAGE);
	if (!parts || fs_image_build_dataset(&m, parts, path, &err) != FS_OK)
		return parts ? die(&err) : 1;
	if (fs_manifest_write(out, &m, &err) != FS_OK)
		return die(&err);
	for (uint32_t p = 0; p < npart; p++) {
		fs_partw_free(&w[p]);
		fs_part_free(&parts[p]);
	}
	free(parts);
	free(w);
	free(blob);
	free(m.parts);
	return 0;
}
