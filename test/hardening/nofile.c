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

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: nofile MNT ORIG LIST LIMIT\n");
		return 2;
	}
	const char *mnt = argv[1], *orig = argv[2];
	struct hr_list l;
	if (hr_list_load(&l, argv[3]) != 0)
		return 2;
	if (pass(mnt, orig, &l) != 0)
		return 1;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = (rlim_t)atol(argv[4]);
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("nofile: setrlimit");
		return 2;
	}
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
