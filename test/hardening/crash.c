/*
 * crash - open and read files of the mount (local and, on a multi-node
 * job, remote), keep them open, then die of SIGSEGV.
 *
 *   crash MNT LIST [READY N]
 *
 * With READY and N, it waits (up to 60 s) with the files open until N
 * crash processes have said so in the directory READY, so that every rank
 * holds its files when the first one dies: a failing rank ends the job,
 * and one that has not opened its files yet would be stopped instead.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include "hread.h"

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: crash MNT LIST [READY N]\n");
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
	if (argc == 5) {
		char p[8192];
		snprintf(p, sizeof p, "%s/%d", argv[3], (int)getpid());
		int fd = open(p, O_WRONLY | O_CREAT, 0600);
		if (fd < 0) {
			fprintf(stderr, "crash: %s: %s\n", p, strerror(errno));
			return 1;
		}
		close(fd);
		int want = atoi(argv[4]), have = 0;
		for (int t = 0; t < 6000 && have < want; t++) {
			DIR *d = opendir(argv[3]);
			struct dirent *de;
			have = 0;
			while (d && (de = readdir(d)))
				have += de->d_name[0] != '.';
			if (d)
				closedir(d);
			if (have < want)
				usleep(10000);
		}
	}
	/* The default action, even in a sanitizer build whose runtime would
	 * catch a real fault and exit instead. */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}
