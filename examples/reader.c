/*
 * reader.c - walk a directory tree and read every file: the example that
 * any program works under fanstore-exec, with no change and no FanStore API.
 *
 *   bin/reader [-q] [-r REPS] DIR
 *   mpirun -np 2 bin/fanstore-exec --data packed -- bin/reader /fanstore
 *
 * Uses opendir/readdir/stat and open/read/close only.  Prints the number of
 * files, directories and bytes, and files/s and MB/s of the reading pass.
 * With -r REPS the reading pass is repeated (the walk is done once).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct walk {
	char **paths;    /* regular files found, malloc'd */
	size_t n, cap;
	size_t dirs;
	int errors;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int walk_add(struct walk *w, const char *path)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		char **p = realloc(w->paths, cap * sizeof(*p));
		if (!p)
			return -1;
		w->paths = p;
		w->cap = cap;
	}
	w->paths[w->n] = strdup(path);
	if (!w->paths[w->n])
		return -1;
	w->n++;
	return 0;
}

static void walk_dir(struct walk *w, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "reader: cannot open directory %s: %s\n", dir, strerror(errno));
		w->errors++;
		return;
	}
	w->dirs++;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(len);
		if (!path) {
			w->errors++;
			break;
		}
		snprintf(path, len, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) != 0) {
			fprintf(stderr, "reader: cannot stat %s: %s\n", path, strerror(errno));
			w->errors++;
		} else if (S_ISDIR(st.st_mode)) {
			walk_dir(w, path);
		} else if (S_ISREG(st.st_mode) && walk_add(w, path) != 0) {
			w->errors++;
		}
		free(path);
	}
	closedir(d);
}

/* Read one file whole; returns its bytes, or -1 (message printed). */
static long long read_file(const char *path, char *buf, size_t bufsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "reader: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	long long total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, bufsz);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "reader: cannot read %s: %s\n", path, strerror(errno));
			total = -1;
			break;
		}
		if (r == 0)
			break;
		total += r;
	}
	close(fd);
	return total;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: reader [-q] [-r REPS] DIR\n"
		   "  Walk DIR (opendir/readdir/stat), read every regular file\n"
		   "  (open/read/close) and print files, bytes, files/s and MB/s.\n"
		   "  -r REPS  read everything REPS times (default 1)\n"
		   "  -q       print only the final line\n");
}

int main(int argc, char **argv)
{
	int reps = 1, quiet = 0, opt;
	while ((opt = getopt(argc, argv, "qr:h")) != -1) {
		switch (opt) {
		case 'q':
			quiet = 1;
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1) {
				fprintf(stderr, "reader: -r wants a count >= 1, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *root = argv[optind];
	struct stat st;
	if (stat(root, &st) != 0) {
		fprintf(stderr, "reader: cannot stat %s: %s\n", root, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "reader: %s is not a directory: give the root of a tree\n", root);
		return 2;
	}
	struct walk w = { 0 };
	double t0 = now();
	walk_dir(&w, root);
	double t_walk = now() - t0;
	size_t bufsz = 1 << 20;
	char *buf = malloc(bufsz);
	if (!buf) {
		fprintf(stderr, "reader: out of memory\n");
		return 1;
	}
	long long bytes = 0;
	t0 = now();
	for (int r = 0; r < reps; r++) {
		for (size_t i = 0; i < w.n; i++) {
			long long b = read_file(w.paths[i], buf, bufsz);
			if (b < 0)
				w.errors++;
			else
				bytes += b;
		}
	}
	double t_read = now() - t0;
	double files = (double)w.n * reps;
	if (!quiet)
		printf("reader: %s: %zu directories, %zu files walked in %.3f s\n",
		       root, w.dirs, w.n, t_walk);
	printf("reader: %.0f files, %lld bytes in %.3f s: %.0f files/s, %.1f MB/s%s\n",
	       files, bytes, t_read, t_read > 0 ? files / t_read : 0.0,
	       t_read > 0 ? (double)bytes / t_read / 1e6 : 0.0,
	       w.errors ? ", with errors" : "");
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	free(buf);
	if (w.errors) {
		fprintf(stderr, "reader: %d error(s)\n", w.errors);
		return 1;
	}
	return 0;
}
