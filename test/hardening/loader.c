/*
 * loader - a DataLoader-like reader: the parent opens a file of the mount,
 * forks NWORK workers that each read the whole list ROUNDS times (and the
 * inherited file through its descriptor), kills worker 0 with SIGKILL once
 * it has read a file, waits for the others, then forks a replacement.
 *
 *   loader MNT ORIG LIST NWORK ROUNDS
 *
 * Exit 0 when the surviving workers and the replacement read every byte
 * right and the parent still reads its inherited descriptor.
 */
#include <signal.h>
#include <sys/wait.h>

#include "hread.h"

static int worker(const char *mnt, const char *orig, const struct hr_list *l, long rounds,
		  size_t start, int fd, const char *fd_orig, int progress)
{
	for (long r = 0; r < rounds; r++) {
		for (size_t k = 0; k < l->n; k++) {
			const char *rel = l->rel[(start + k) % l->n];
			enum hr_result res = hr_check(mnt, orig, rel);
			if (res != HR_OK) {
				fprintf(stderr, "worker %zu: %s: %s\n", start, rel,
					res == HR_ERROR ? strerror(errno) : "wrong bytes");
				return 1;
			}
			if (hr_check_fd(fd, fd_orig) != 0) {
				fprintf(stderr, "worker %zu: inherited descriptor reads wrong\n", start);
				return 1;
			}
			if (progress >= 0 && write(progress, "x", 1) == 1) {
				close(progress);
				progress = -1;
			}
		}
	}
	return 0;
}

static pid_t spawn(const char *mnt, const char *orig, const struct hr_list *l, long rounds,
		   size_t start, int fd, const char *fd_orig, int progress)
{
	pid_t p = fork();
	if (p == 0)
		_exit(worker(mnt, orig, l, rounds, start, fd, fd_orig, progress));
	return p;
}

static int status_of(pid_t p)
{
	int st;
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: loader MNT ORIG LIST NWORK ROUNDS\n");
		return 2;
	}
	const char *mnt = argv[1], *orig = argv[2];
	struct hr_list l;
	if (hr_list_load(&l, argv[3]) != 0)
		return 2;
	int nw = atoi(argv[4]);
	long rounds = atol(argv[5]);
	if (nw < 2 || nw > 64 || rounds < 1) {
		fprintf(stderr, "loader: NWORK 2..64, ROUNDS >= 1\n");
		return 2;
	}
	char fpath[8192], opath[8192];
	snprintf(fpath, sizeof fpath, "%s/%s", mnt, l.rel[l.n - 1]);
	snprintf(opath, sizeof opath, "%s/%s", orig, l.rel[l.n - 1]);
	int fd = open(fpath, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "loader: %s: %s\n", fpath, strerror(errno));
		return 1;
	}
	int pp[2];
	if (pipe(pp) != 0)
		return 1;
	pid_t pid[64];
	/* worker 0 (the victim) loops far longer than the others */
	pid[0] = spawn(mnt, orig, &l, rounds * 1000, 0, fd, opath, pp[1]);
	close(pp[1]);
	for (int i = 1; i < nw; i++)
		pid[i] = spawn(mnt, orig, &l, rounds, (size_t)i * l.n / (size_t)nw, fd, opath, -1);
	char c;
	if (read(pp[0], &c, 1) != 1) {
		fprintf(stderr, "loader: worker 0 ended before reading a file\n");
		return 1;
	}
	kill(pid[0], SIGKILL);
	int st = status_of(pid[0]);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "loader: worker 0 was not killed (status %#x)\n", st);
		return 1;
	}
	int bad = 0;
	for (int i = 1; i < nw; i++) {
		st = status_of(pid[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "loader: worker %d failed (status %#x)\n", i, st);
			bad = 1;
		}
	}
	st = status_of(spawn(mnt, orig, &l, 1, 0, fd, opath, -1));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "loader: the replacement worker failed (status %#x)\n", st);
		bad = 1;
	}
	if (hr_check_fd(fd, opath) != 0) {
		fprintf(stderr, "loader: the parent's descriptor reads wrong\n");
		bad = 1;
	}
	close(fd);
	if (!bad)
		printf("loader: worker 0 killed, %d workers and a replacement read every byte right\n",
		       nw - 1);
	return bad;
}
