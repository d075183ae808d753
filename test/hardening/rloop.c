/*
 * rloop - read files through the mount again and again, checking each
 * against the original tree.
 *
 *   rloop MNT ORIG LIST ROUNDS [READY]
 *
 * LIST holds relative paths, one a line.  ROUNDS 0 means until an error.
 * READY, when given, is created after the first file read right.
 * Exit 0: every round matched; 1: a mismatch; 5: a read failed with EIO;
 * 6: a read failed with another errno (each failure printed as
 * "rloop: error PATH: errno N (TEXT) after K files").
 */
#include "hread.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: rloop MNT ORIG LIST ROUNDS [READY]\n");
		return 2;
	}
	struct hr_list l;
	if (hr_list_load(&l, argv[3]) != 0)
		return 2;
	long rounds = atol(argv[4]);
	const char *ready = argc > 5 ? argv[5] : NULL;
	unsigned long done = 0;
	int rc = 0;
	for (long r = 0; rc == 0 && (rounds == 0 || r < rounds); r++) {
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			enum hr_result res = hr_check(argv[1], argv[2], l.rel[i]);
			if (res == HR_MISMATCH) {
				rc = 1;
			} else if (res == HR_ERROR) {
				int e = errno;
				printf("rloop: error %s: errno %d (%s) after %lu files\n", l.rel[i], e,
				       strerror(e), done);
				fflush(stdout);
				rc = e == EIO ? 5 : 6;
			} else if (done++ == 0 && ready) {
				close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
			}
		}
	}
	if (rc == 0)
		printf("rloop: %lu files read, 0 mismatches\n", done);
	hr_list_free(&l);
	return rc;
}
