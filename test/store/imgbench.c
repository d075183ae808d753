/* imgbench.c - time fs_image_build, open, the full check and lookups for a
 * synthetic namespace.
 *   imgbench NFILES [FILES_PER_DIR]   (prints seconds and bytes per entry) */
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

static void put(struct fs_recbuf *rb, const char *name, uint32_t mode, uint32_t part)
{
	struct fs_rec r;
	memset(&r, 0, sizeof(r));
	r.mode = mode;
	r.part = part;
	r.name_len = (uint16_t)strlen(name);
	size_t span = (sizeof(r) + r.name_len + 7) & ~(size_t)7;
	if (rb->len + span > rb->cap) {
		rb->cap = rb->cap ? rb->cap * 2 : 1 << 20;
		rb->buf = realloc(rb->buf, rb->cap);
	}
	memset(rb->buf + rb->len, 0, span);
	memcpy(rb->buf + rb->len, &r, sizeof(r));
	memcpy(rb->buf + rb->len + sizeof(r), name, r.name_len);
	rb->len += span;
	rb->count++;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	unsigned long per = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000;
	struct fs_recbuf rb = {0};
	char name[64];
	for (unsigned long d = 0; d * per < n; d++) {
		snprintf(name, sizeof(name), "train/n%08lu", d);
		put(&rb, name, S_IFDIR | 0755, FS_NOPART);
		for (unsigned long i = 0; i < per && d * per + i < n; i++) {
			snprintf(name, sizeof(name), "train/n%08lu/img_%08lu.JPEG", d, d * per + i);
			put(&rb, name, S_IFREG | 0644, 0);
		}
	}
	struct fs_img_partinfo part = {.file_size = 1ull << 40, .local = 1};
	char path[] = "/dev/shm/imgbench.XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct fs_err err;
	double t0 = now();
	if (fs_image_build(rb.buf, rb.len, 1, &part, 1, 1, 0, path, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t1 = now();
	struct fs_image img;
	if (fs_image_open(path, &img, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t2 = now();
	if (fs_image_verify(&img, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t3 = now();
	unsigned long found = 0;
	for (unsigned long i = 0; i < n; i += 7) {
		int k = snprintf(name, sizeof(name), "train/n%08lu/img_%08lu.JPEG", i / per, i);
		found += fs_image_lookup(&img, name, (size_t)k, NULL) >= 0;
	}
	double t4 = now();
	printf("entries %llu: build (with verify) %.3f s, open %.6f s, verify %.3f s, lookup %.0f ns, "
	       "image %.1f B/entry\n",
	       (unsigned long long)img.hdr->nent, t1 - t0, t2 - t1, t3 - t2,
	       (t4 - t3) / (double)(n / 7 + 1) * 1e9, (double)img.size / (double)img.hdr->nent);
	fs_image_close(&img);
	unlink(path);
	fs_recbuf_release(&rb);
	return found == (n + 6) / 7 ? 0 : 1;
}
