/*
 * mkjob - build a job directory from a source tree without MPI, for
 * testing and benchmarking libfanstore on its own.
 *
 * usage: mkjob [-p NPART] [-l LEVEL] [-r SLOTS] SRC JOBDIR
 *   -p NPART  scatter partitions (default 1); files go round-robin
 *   -l LEVEL  libdeflate level 1..12, 0 = store raw (default 0)
 *   -r SLOTS  comma-separated partition slots to mark remote (not local)
 * JOBDIR is created (it must not exist); it gets fs_NNNN and meta.img,
 * like the job directory fanstore-exec makes on one node.
 */
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "store.h"

struct job {
	const char *src;
	size_t srclen;
	uint32_t npart;
	int level;
	struct fs_partw **w;
	struct fs_compressor *comp;
	uint64_t nfiles;
	struct fs_err err;
	int failed;
};

static struct job J;   /* nftw gives no context pointer */

static void die(const char *what)
{
	fprintf(stderr, "mkjob: %s\n", what);
	exit(1);
}

static uint8_t *slurp(const char *path, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	int fd = open(path, O_RDONLY);
	if (!buf || fd < 0)
		return free(buf), NULL;
	size_t got = 0;
	while (got < size) {
		ssize_t k = read(fd, buf + got, size - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	return got == size ? buf : (free(buf), NULL);
}

static int add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	if (strlen(path) <= J.srclen)
		return 0;   /* the root */
	struct fs_winfo in = {
		.name = path + J.srclen + 1,
		.name_len = (uint32_t)strlen(path + J.srclen + 1),
		.mode = st->st_mode & (S_IFMT | 07777),
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
		.method = FS_METHOD_RAW,
	};
	uint32_t slot = 0;
	uint8_t *data = NULL, *blob = NULL;
	uint64_t stored = 0;
	if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(path, t, sizeof t);
		if (n < 0)
			return J.failed = 1;
		data = malloc((size_t)n + 1);
		memcpy(data, t, (size_t)n);
		in.size = stored = (uint64_t)n;
		in.crc = fs_crc32(0, data, (size_t)n);
		blob = data;
	} else if (S_ISREG(st->st_mode)) {
		slot = (uint32_t)(J.nfiles++ % J.npart);
		if (!(data = slurp(path, (size_t)st->st_size)))
			return J.failed = 1;
		in.size = stored = (uint64_t)st->st_size;
		in.crc = fs_crc32(0, data, in.size);
		blob = data;
		if (J.level > 0 && in.size > 0) {
			uint8_t *z = malloc(in.size);
			size_t zn = z ? fs_compress(J.comp, data, in.size, z, in.size - 1) : 0;
			if (zn) {
				blob = z, stored = zn, in.method = FS_METHOD_DEFLATE;
			} else {
				free(z);
			}
		}
	} else if (!S_ISDIR(st->st_mode)) {
		return 0;   /* sockets, devices: not part of a dataset */
	}
	if (fs_partw_add(J.w[slot], &in, blob, stored, &J.err) != FS_OK)
		J.failed = 1;
	if (blob != data)
		free(blob);
	free(data);
	return J.failed;
}

int main(int argc, char **argv)
{
	const char *remote = "";
	int opt;
	J.npart = 1;
	while ((opt = getopt(argc, argv, "p:l:r:")) != -1) {
		if (opt == 'p')
			J.npart = (uint32_t)atoi(optarg);
		else if (opt == 'l')
			J.level = atoi(optarg);
		else if (opt == 'r')
			remote = optarg;
		else
			die("usage: mkjob [-p NPART] [-l LEVEL] [-r SLOTS] SRC JOBDIR");
	}
	if (argc - optind != 2 || J.npart < 1 || J.level < 0 || J.level > 12)
		die("usage: mkjob [-p NPART] [-l LEVEL 0..12] [-r SLOTS] SRC JOBDIR");
	static char src[PATH_MAX];
	if (!realpath(argv[optind], src))
		die("SRC: no such directory");
	J.src = src;
	J.srclen = strlen(src);
	const char *job = argv[optind + 1];
	if (mkdir(job, 0700) < 0)
		die("JOBDIR: cannot create it (it must not exist)");
	J.w = calloc(J.npart, sizeof *J.w);
	J.comp = J.level ? fs_compressor_new(J.level) : NULL;
	char path[PATH_MAX + 64], name[16];
	for (uint32_t i = 0; i < J.npart; i++) {
		fs_part_filename(i, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", job, name);
		if (fs_partw_new(path, i, J.npart, &J.w[i], &J.err) != FS_OK)
			die(J.err.msg);
	}
	if (nftw(src, add, 64, FTW_PHYS) != 0 || J.failed)
		die(J.err.msg[0] ? J.err.msg : "reading SRC failed");
	struct fs_recbuf rb = { 0 };
	struct fs_img_partinfo *pi = calloc(J.npart, sizeof *pi);
	uint64_t id = 0x5eed0000u + J.nfiles;
	for (uint32_t i = 0; i < J.npart; i++) {
		struct fs_manifest_part mp;
		struct fs_part *p;
		if (fs_partw_finish(J.w[i], id, &mp, &J.err) != FS_OK)
			die(J.err.msg);
		fs_partw_free(&J.w[i]);
		fs_part_filename(i, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", job, name);
		if (fs_part_open(path, &p, &J.err) != FS_OK || fs_recbuf_add_part(&rb, p, i, &J.err) != FS_OK)
			die(J.err.msg);
		pi[i].file_size = mp.file_size;
		pi[i].local = 1;
		fs_part_free(&p);
	}
	for (const char *s = remote; *s; s = strchr(s, ',') ? strchr(s, ',') + 1 : s + strlen(s))
		if ((uint32_t)atoi(s) < J.npart)
			pi[atoi(s)].local = 0;
	snprintf(path, sizeof path, "%s/%s", job, FS_JOB_IMAGE);
	if (fs_image_build(rb.buf, rb.len, id, pi, J.npart, 1, 0, path, &J.err) != FS_OK)
		die(J.err.msg);
	fs_recbuf_release(&rb);
	fs_compressor_free(&J.comp);
	free(pi);
	free(J.w);
	return 0;
}
