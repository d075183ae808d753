/*
 * rloop - read files through the mount again and again, checking each
 * against the original tree.
 *
 *   rloop MNT ORIG LIST ROUNDS [READY [UNTIL]]
 *
 * LIST holds relative paths, one a line.  ROUNDS 0 means until an error.
 * READY, when given (and not "-"), is created after the first file read
 * right.  Exit 0: every round matched; 1: a mismatch; 5: a read failed
 * with EIO; 6: a read failed with another errno (each failure printed as
 * "rloop: error PATH: errno N (TEXT) after K files").
 * With UNTIL, read errors do not stop the loop: it goes on until the file
 * UNTIL exists, then reads one more round in which every file must read
 * right (exit 0; 1 on a mismatch at any time or an error in that round).
 */
#include "hread.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: rloop MNT ORIG LIST ROUNDS [READY|- [UNTIL]]\n");
		return 2;
	}
	struct hr_list l;
	if (hr_list_load(&l, argv[3]) != 0)
		return 2;
	long rounds = atol(argv[4]);
	const char *ready = argc > 5 && strcmp(argv[5], "-") != 0 ? argv[5] : NULL;
	const char *until = argc > 6 ? argv[6] : NULL;
	unsigned long done = 0, errors = 0;
	int rc = 0, last = 0;
	for (long r = 0; rc == 0 && (rounds == 0 || r < rounds); r++) {
		if (until && !last && access(until, F_OK) == 0)
			last = 1;   /* this round is the one that must be clean */
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			enum hr_result res = hr_check(argv[1], argv[2], l.rel[i]);
			if (res == HR_MISMATCH) {
				rc = 1;
			} else if (res == HR_ERROR) {
				int e = errno;
				if (errors++ == 0 || !until || last)
					printf("rloop: error %s: errno %d (%s) after %lu files\n", l.rel[i], e,
					       strerror(e), done);
				fflush(stdout);
				if (!until)
					rc = e == EIO ? 5 : 6;
				else if (last)
					rc = 1;
			} else if (done++ == 0 && ready) {
				close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
			}
		}
		if (last && rc == 0) {
			printf("rloop: %lu read errors before %s, then a clean round\n", errors, until);
			break;
		}
	}
	if (rc == 0 && !until)
		printf("rloop: %lu files read, 0 mismatches\n", done);
	hr_list_free(&l);
	return rc;
}
