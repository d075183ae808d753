/*
 * crash - open and read files of the mount (local and, on a multi-node
 * job, remote), keep them open, then die of SIGSEGV.
 *
 *   crash MNT LIST
 */
#include <signal.h>

#include "hread.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: crash MNT LIST\n");
		return 2;
	}
	struct hr_list l;
	if (hr_list_load(&l, argv[2]) != 0)
		return 2;
	char buf[4096];
	for (size_t i = 0; i < l.n; i++) {
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", argv[1], l.rel[i]);
		int fd = open(p, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) < 0) {
			fprintf(stderr, "crash: %s: %s\n", p, strerror(errno));
			return 1;
		}
	}
	printf("crash: %zu files open, crashing\n", l.n);
	fflush(stdout);
	/* The default action, even in a sanitizer build whose runtime would
	 * catch a real fault and exit instead. */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}
