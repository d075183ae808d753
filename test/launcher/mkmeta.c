/*
 * mkmeta - a synthetic dataset of many empty files, for measuring the
 * launcher's startup and metadata size without writing a real tree.
 *
 *   mkmeta OUT NFILES NPART [FILES_PER_DIR]
 *
 * Files are named like an image dataset, "train/c0123/img_0001234.jpg",
 * FILES_PER_DIR (default 1000) to a directory; partition p gets every
 * NPART-th file; directories go to partition 0.  OUT must not exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

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

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: mkmeta OUT NFILES NPART [FILES_PER_DIR]\n");
		return 2;
	}
	const char *out = argv[1];
	uint64_t nfiles = strtoull(argv[2], NULL, 10);
	uint32_t npart = (uint32_t)atoi(argv[3]);
	uint64_t per = argc > 4 ? strtoull(argv[4], NULL, 10) : 1000;
	if (!npart || !per || mkdir(out, 0755) != 0) {
		fprintf(stderr, "mkmeta: bad arguments or %s: %s\n", out, strerror(errno));
		return 2;
	}
	struct fs_manifest m = {0};
	memcpy(m.hdr.magic, FS_MANIFEST_MAGIC, 8);
	m.hdr.version = FS_FORMAT_VERSION;
	m.hdr.hdr_size = sizeof m.hdr;
	m.hdr.dataset_id = 0x5eed5eedULL ^ nfiles;
	m.hdr.npart = npart;
	m.hdr.nfiles = nfiles;
	m.hdr.ndirs = 1 + (nfiles + per - 1) / per;
	m.parts = calloc(npart, sizeof *m.parts);
	struct fs_partw **w = calloc(npart, sizeof *w);
	struct fs_err err;
	char name[256], path[4096];
	for (uint32_t p = 0; p < npart; p++) {
		fs_part_filename(p, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", out, name);
		if (fs_partw_new(path, p, npart, &w[p], &err) != FS_OK)
			return die(&err);
	}
	struct fs_winfo wi;
	info(&wi, "train", S_IFDIR | 0755);
	if (fs_partw_add(w[0], &wi, NULL, 0, &err) != FS_OK)
		return die(&err);
	for (uint64_t i = 0; i < nfiles; i++) {
		if (i % per == 0) {
			snprintf(name, sizeof name, "train/c%04llu", (unsigned long long)(i / per));
			info(&wi, name, S_IFDIR | 0755);
			if (fs_partw_add(w[0], &wi, NULL, 0, &err) != FS_OK)
				return die(&err);
		}
		snprintf(name, sizeof name, "train/c%04llu/img_%07llu.jpg", (unsigned long long)(i / per),
			 (unsigned long long)i);
		info(&wi, name, S_IFREG | 0644);
		if (fs_partw_add(w[i % npart], &wi, NULL, 0, &err) != FS_OK)
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
	free(m.parts);
	return 0;
}
