/* The library's descriptor on a partition (kept for preads) may be closed
 * or replaced by the program: by close and a later F_DUPFD, by dup2 over
 * it, by close_range.  Each time a read served by pread must still return
 * the file's bytes, never another file's (here /dev/zero put at that
 * number), and the next open gets a new descriptor.  Stage 1 reads
 * big.bin whole, so the node has checked it; stage 2, a new process,
 * reads it in pieces, which it does with pread. */
#include <dirent.h>
#include <sys/wait.h>

#include "ctest.h"

/* The descriptor this process has on the partition file, or -1. */
static int part_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	ASSERT(d);
	struct dirent *de;
	int found = -1;
	while ((de = readdir(d))) {
		char p[300], target[PATH_MAX];
		snprintf(p, sizeof p, "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(p, target, sizeof target - 1);
		if (n > 8) {
			target[n] = 0;
			if (strcmp(target + n - 8, "/fs_0000") == 0)
				found = atoi(de->d_name);
		}
	}
	closedir(d);
	return found;
}

/* Open big.bin, read a piece (by pread: the node checked it, this process
 * never read it to its end), check it; returns the fd. */
static int open_piece(size_t off)
{
	unsigned char buf[1000];
	int fd = open(CT_MNT "/big.bin", O_RDONLY);
	ASSERT(fd >= 0 && pread(fd, buf, sizeof buf, (off_t)off) == (ssize_t)sizeof buf);
	ct_check_big(buf, off, sizeof buf);
	return fd;
}

static void piece(int fd, size_t off)
{
	unsigned char buf[1000];
	ASSERT(pread(fd, buf, sizeof buf, (off_t)off) == (ssize_t)sizeof buf);
	ct_check_big(buf, off, sizeof buf);
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-l 0");
	int zero = open("/dev/zero", O_RDONLY);
	ASSERT(zero >= 0);
	if (argc < 2) {
		static unsigned char buf[200001];
		int fd = open(CT_MNT "/big.bin", O_RDONLY);
		ASSERT(fd >= 0 && read(fd, buf, sizeof buf) == 200000);
		ct_check_big(buf, 0, 200000);
		close(fd);
		pid_t pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			char *args[] = { argv[0], "2", NULL };
			execv(argv[0], args);
			_exit(127);
		}
		int st;
		ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		return ct_done();
	}
	unsetenv("FANSTORE_CT_TMP");   /* the tree is stage 1's to remove */
	/* dup2 over the partition descriptor */
	int fd = open_piece(0);
	int pfd = part_fd();
	ASSERT(pfd >= 0 && pfd > fd);
	ASSERT(dup2(zero, pfd) == pfd);
	piece(fd, 5000);
	close(fd);
	/* close, then something else takes the number */
	fd = open_piece(10000);
	pfd = part_fd();
	ASSERT(pfd >= 0);
	ASSERT(close(pfd) == 0 && fcntl(zero, F_DUPFD, pfd) == pfd);
	piece(fd, 20000);
	close(fd);
	/* close_range over it */
	fd = open_piece(30000);
	pfd = part_fd();
	ASSERT(pfd >= 0);
	ASSERT(close_range((unsigned)pfd, (unsigned)pfd, 0) == 0 && fcntl(zero, F_DUPFD, pfd) == pfd);
	piece(fd, 40000);
	close(fd);
	return 0;
}
