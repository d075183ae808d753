/*
 * firstread - how a fresh process should get the bytes of a stored file
 * out of a partition: the measurements behind intercept/data.c's choice
 * (docs/performance.md, "The read path").  Run it as a new process for
 * every figure: a page a process has not touched yet is what it measures.
 *
 *   firstread METHOD PACK SIZE [PASSES]
 *
 * PACK is a file of back-to-back blobs of SIZE bytes, as in a partition
 * (and PACK.d/0 .. PACK.d/N-1 the same blobs as separate files, for
 * "native").  Every blob is read once per pass, in a shuffled order, into
 * one reused buffer.  METHOD:
 *   pread         pread from one descriptor opened at start
 *   pread_crc     the same, then crc32 of the bytes read
 *   map           mmap the pack at start (counted), memcpy out of it
 *   map_populate  the same with MAP_POPULATE
 *   map_madv      mmap; MADV_POPULATE_READ on each blob, then memcpy
 *   map_crc       map_madv, then crc32 of the mapped blob
 *   native        open + fstat + read + close of PACK.d/I
 * Prints one line per pass: "METHOD pass P: US us/blob, cpu US" (the
 * first pass includes opening and mapping the pack; cpu is the process's
 * user + system time, steadier than the clock on a busy machine).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this process (user + system): less disturbed than the
 * clock by other work on a shared machine. */
static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: firstread METHOD PACK SIZE [PASSES]\n");
		return 2;
	}
	const char *m = argv[1], *pack = argv[2];
	size_t size = strtoul(argv[3], NULL, 10);
	int passes = argc > 4 ? atoi(argv[4]) : 1;
	struct stat st;
	if (size == 0 || stat(pack, &st) < 0)
		die(pack);
	size_t n = (size_t)st.st_size / size;
	size_t *order = malloc(n * sizeof *order);
	uint8_t *buf = malloc(size + 1);
	if (!order || !buf)
		die("malloc");
	memset(buf, 1, size + 1);   /* the reader's buffer is warm, as a reused one is */
	unsigned seed = 1;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand_r(&seed) % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	int native = !strcmp(m, "native"), mapped = !strncmp(m, "map", 3);
	int crc = !strcmp(m, "pread_crc") || !strcmp(m, "map_crc");
	int madv = !strcmp(m, "map_madv") || !strcmp(m, "map_crc");
	if (!native && !mapped && strcmp(m, "pread") && strcmp(m, "pread_crc")) {
		fprintf(stderr, "firstread: unknown method %s\n", m);
		return 2;
	}
	uint32_t sum = 0;
	int fd = -1;
	const uint8_t *base = NULL;
	for (int pass = 1; pass <= passes; pass++) {
		double t0 = now(), c0 = cpu();
		if (pass == 1 && !native) {
			fd = open(pack, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				die(pack);
			if (mapped) {
				void *p = mmap(NULL, (size_t)st.st_size, PROT_READ,
					       MAP_SHARED | (!strcmp(m, "map_populate") ? MAP_POPULATE : 0), fd, 0);
				if (p == MAP_FAILED)
					die("mmap");
				base = p;
			}
		}
		for (size_t k = 0; k < n; k++) {
			size_t i = order[k];
			if (native) {
				char path[4200];
				snprintf(path, sizeof path, "%s.d/%zu", pack, i);
				int f = open(path, O_RDONLY | O_CLOEXEC);
				struct stat fs;
				if (f < 0 || fstat(f, &fs) < 0 || read(f, buf, (size_t)fs.st_size + 1) != fs.st_size)
					die(path);
				close(f);
			} else if (mapped) {
				const uint8_t *d = base + i * size;
				if (madv) {
					uintptr_t lo = (uintptr_t)d & ~(uintptr_t)4095;
					madvise((void *)lo, (uintptr_t)(d + size) - lo, MADV_POPULATE_READ);
				}
				if (crc)
					sum ^= fs_crc32(0, d, size);
				memcpy(buf, d, size);
			} else {
				if (pread(fd, buf, size, (off_t)(i * size)) != (ssize_t)size)
					die("pread");
				if (crc)
					sum ^= fs_crc32(0, buf, size);
			}
			sum += buf[size / 2];
		}
		double wall = now() - t0, used = cpu() - c0;
		printf("%s pass %d: %.2f us/blob, cpu %.2f\n", m, pass, wall * 1e6 / (double)n,
		       used * 1e6 / (double)n);
	}
	fprintf(stderr, "%u\n", sum);   /* keeps the reads from being optimised away */
	return 0;
}
