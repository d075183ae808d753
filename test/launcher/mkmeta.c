/*
 * mkmeta - a synthetic packed dataset of many small files, written through
 * the store's own partition writer, for measuring the launcher's startup,
 * metadata size and readers at millions of files without a real tree
 * (tmpfs here holds about 3M inodes).
 *
 *   mkmeta [-b BYTES] [-c CLASSES] OUT NFILES NPART [FILES_PER_DIR]
 *   mkmeta -b BYTES -c CLASSES -r ROOT -s SAMPLE NFILES
 *
 * Without -c, files are "train/c0123/img_0001234.jpg", FILES_PER_DIR
 * (default 1000) to a directory.  With -c, ImageNet-21k-like paths:
 * "imagenet21k/train/n01234567/n01234567_123456.JPEG" (44-51 bytes) over
 * CLASSES class directories, file i in class i % CLASSES.  Each file has
 * BYTES bytes (default 0) made from its index (mkmeta_byte), stored raw
 * with their crc.  Partition p gets every NPART-th file; directories go to
 * partition 0.  OUT must not exist.
 *
 * With -r, nothing is written: SAMPLE files spread over the NFILES are
 * read under ROOT (the mount, or nothing else) and every byte is checked;
 * exit 0 when all match.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Read SAMPLE files spread over nfiles under root and check every byte. */
static int check(const struct gen *g, const char *root, uint64_t nfiles, uint64_t sample)
{
	uint8_t *want = malloc(g->bytes + 1), *got = malloc(g->bytes + 1);
	char name[256], path[4096];
	uint64_t bad = 0, step = sample && nfiles > sample ? nfiles / sample : 1;
	if (!want || !got)
		return 1;
	for (uint64_t n = 0, i = 0; n < sample && i < nfiles; n++, i += step) {
		file_name(g, i, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", root, name);
		int fd = open(path, O_RDONLY);
		ssize_t r = fd < 0 ? -1 : read(fd, got, g->bytes + 1);
		if (fd >= 0)
			close(fd);
		fill(want, i, g->bytes);
		if (r != (ssize_t)g->bytes || memcmp(want, got, g->bytes) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "mkmeta: %s: %s\n", path,
					r < 0 ? strerror(errno) : "wrong bytes");
		}
	}
	free(want);
	free(got);
	printf("%llu files checked, %llu wrong\n", (unsigned long long)(sample < nfiles ? sample : nfiles),
	       (unsigned long long)bad);
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
			"       mkmeta -b BYTES [-c CLASSES] -r ROOT -s SAMPLE NFILES\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct gen g = { .per = 1000 };
	const char *root = NULL;
	uint64_t sample = 0;
	int o;
	while ((o = getopt(argc, argv, "b:c:r:s:")) != -1) {
		switch (o) {
		case 'b': g.bytes = strtoull(optarg, NULL, 10); break;
		case 'c': g.classes = strtoull(optarg, NULL, 10); break;
		case 'r': root = optarg; break;
		case 's': sample = strtoull(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (root)
		return argc == 1 ? check(&g, root, strtoull(argv[0], NULL, 10), sample) : usage();
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
	m.hdr.dataset_id = 0x5eed5eedULL ^ nfiles;
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
	if (fs_manifest_write(out, &m, &err) != FS_OK)
		return die(&err);
	for (uint32_t p = 0; p < npart; p++)
		fs_partw_free(&w[p]);
	free(w);
	free(blob);
	free(m.parts);
	return 0;
}
