/*
 * nofile - RLIMIT_NOFILE reached while files of the mount are open.
 *
 *   nofile MNT ORIG LIST LIMIT
 *
 * After one warm-up pass over LIST (every file read and checked), with the
 * soft limit at LIMIT: open files of ORIG until open fails, then the same
 * for MNT.  Both must stop with EMFILE after the same number of opens, and
 * opendir on the mount must fail with EMFILE too while stat still works.
 * Then everything is closed and every file reads right again.
 *
 *   nofile MNT ORIG LIST LIMIT cold
 *
 * Without a warm-up: open up to 10 files of LIST, use up every other
 * descriptor, then read the open files: they must read right, as on a
 * kernel file system, where read never needs a new descriptor.
 */
#include <dirent.h>
#include <sys/resource.h>

#include "hread.h"

#define MAXFD 4096

static int fill(const char *root, const struct hr_list *l, int *fds, int *err)
{
	int n = 0;
	for (;;) {
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", root, l->rel[(size_t)n % l->n]);
		int fd = open(p, O_RDONLY);
		if (fd < 0) {
			*err = errno;
			return n;
		}
		if (n == MAXFD) {
			close(fd);
			*err = 0;
			return n;
		}
		fds[n++] = fd;
	}
}

static void drain(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static int pass(const char *mnt, const char *orig, const struct hr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (hr_check(mnt, orig, l->rel[i]) != HR_OK) {
			fprintf(stderr, "nofile: %s/%s: %s\n", mnt, l->rel[i], strerror(errno));
			return -1;
		}
	return 0;
}

static int set_limit(const char *v)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = (rlim_t)atol(v);
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("nofile: setrlimit");
		return -1;
	}
	return 0;
}

/* Files opened before the limit is reached read right at the limit. */
static int cold(const char *mnt, const char *orig, const struct hr_list *l)
{
	static int fds[MAXFD + 1];
	int open_fd[10], k = 0, bad = 0;
	char *want[10];
	size_t wlen[10];
	for (size_t i = 0; i < l->n && k < 10; i++) {
		char p[8192], o[8192];
		snprintf(p, sizeof p, "%s/%s", mnt, l->rel[i]);
		snprintf(o, sizeof o, "%s/%s", orig, l->rel[i]);
		if (hr_slurp(o, &want[k], &wlen[k]) != 0 || (open_fd[k] = open(p, O_RDONLY)) < 0) {
			fprintf(stderr, "nofile: %s: %s\n", p, strerror(errno));
			return 1;
		}
		k++;
	}
	int n = 0;
	while (n < MAXFD && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	for (int i = 0; i < k; i++) {
		char *got = malloc(wlen[i] + 1);
		errno = 0;
		ssize_t r = got ? pread(open_fd[i], got, wlen[i] + 1, 0) : -1;
		if (r != (ssize_t)wlen[i] || memcmp(got, want[i], wlen[i]) != 0) {
			fprintf(stderr, "nofile: %s/%s, opened before the limit, does not read right at the limit: %s\n",
				mnt, l->rel[i], r < 0 ? strerror(errno) : "wrong bytes");
			bad = 1;
		}
		free(got);
		free(want[i]);
	}
	drain(fds, n);
	drain(open_fd, k);
	if (!bad)
		printf("nofile cold: %d files opened before the limit read right at the limit\n", k);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "cold") == 0)) {
		fprintf(stderr, "usage: nofile MNT ORIG LIST LIMIT [cold]\n");
		return 2;
	}
	const char *mnt = argv[1], *orig = argv[2];
	struct hr_list l;
	if (hr_list_load(&l, argv[3]) != 0)
		return 2;
	if (argc == 6) {
		int r = set_limit(argv[4]) != 0 ? 2 : cold(mnt, orig, &l);
		hr_list_free(&l);
		return r;
	}
	if (pass(mnt, orig, &l) != 0 || set_limit(argv[4]) != 0)
		return 1;
	static int fds[MAXFD + 1];
	int ereal, evirt;
	int nreal = fill(orig, &l, fds, &ereal);
	drain(fds, nreal);
	int nvirt = fill(mnt, &l, fds, &evirt);
	printf("nofile: limit %s: %d real opens then %s, %d virtual opens then %s\n", argv[4], nreal,
	       strerror(ereal), nvirt, strerror(evirt));
	int bad = 0;
	if (ereal != EMFILE || evirt != EMFILE || nreal != nvirt) {
		fprintf(stderr, "nofile: the mount does not run out of descriptors as the kernel does\n");
		bad = 1;
	}
	errno = 0;
	DIR *d = opendir(mnt);
	if (d || errno != EMFILE) {
		fprintf(stderr, "nofile: opendir at the limit: %s, expected EMFILE\n",
			d ? "succeeded" : strerror(errno));
		bad = 1;
	}
	if (d)
		closedir(d);
	struct stat st;
	char p[8192];
	snprintf(p, sizeof p, "%s/%s", mnt, l.rel[0]);
	if (stat(p, &st) != 0) {
		fprintf(stderr, "nofile: stat at the limit: %s\n", strerror(errno));
		bad = 1;
	}
	drain(fds, nvirt);
	if (pass(mnt, orig, &l) != 0) {
		fprintf(stderr, "nofile: reading after closing everything failed\n");
		bad = 1;
	}
	if (!bad)
		printf("nofile: EMFILE as the kernel gives it; after closing, every file reads right\n");
	return bad;
}
