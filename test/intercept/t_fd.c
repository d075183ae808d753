/* Virtual fds behave like kernel fds: dup/dup2/dup3/F_DUPFD share the
 * offset (one open file description), close_range and closefrom drop them, F_GETFL
 * reports read-only, and a program that closes or dup2s over the
 * library's placeholder fd does not break later opens. */
#include <linux/close_range.h>

#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-l 6");
	char buf[16];
	int fd = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, 6) == 6);
	int d1 = dup(fd);
	ASSERT(d1 > fd && read(d1, buf, 5) == 5 && !memcmp(buf, "fanst", 5));   /* shared offset */
	ASSERT(lseek(fd, 0, SEEK_CUR) == 11);
	ASSERT(dup2(fd, 100) == 100 && lseek(100, 0, SEEK_SET) == 0 && lseek(d1, 0, SEEK_CUR) == 0);
	ASSERT(dup3(fd, 101, O_CLOEXEC) == 101 && fcntl(101, F_GETFD) == FD_CLOEXEC);
	int d2 = fcntl(fd, F_DUPFD, 50);
	ASSERT(d2 >= 50 && read(d2, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	int d3 = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	ASSERT(d3 >= 0 && fcntl(d3, F_GETFD) == FD_CLOEXEC);
	ASSERT((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	ASSERT(close(fd) == 0 && read(d1, buf, 1) == 1);   /* the others live on */
	ASSERT(read(fd, buf, 1) < 0 && errno == EBADF);
	/* dup2 of a real fd over a virtual one: it is now the real file */
	int null = open("/dev/null", O_RDONLY);
	ASSERT(dup2(null, d1) == d1 && read(d1, buf, 1) == 0);
	/* close_range drops virtual fds: reused numbers are real files again */
	ASSERT(close_range(50, 200, 0) == 0);
	ASSERT(read(100, buf, 1) < 0 && errno == EBADF && read(d2, buf, 1) < 0 && errno == EBADF);
	int r = open("/dev/zero", O_RDONLY);
	ASSERT(dup2(r, 100) == 100 && read(100, buf, 4) == 4 && buf[0] == 0);
	close(100), close(r), close(d1), close(d3), close(null);
	/* closing every fd (placeholder included) and dup2 over it: opens still work */
	for (int i = 3; i < 1024; i++)
		close(i);
	fd = open(CT_MNT "/sub/b.bin", O_RDONLY);
	ASSERT(fd == 3 && read(fd, buf, 4) == 4);
	for (int i = 4; i < 64; i++)
		dup2(fd, i);
	int fd2 = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(fd2 >= 0 && read(fd2, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	ASSERT(close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0 && read(fd2, buf, 1) == 1);
	ASSERT(close_range(3, ~0U, 0) == 0);
	fd = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(fd == 3);
	closefrom(3);
	ASSERT(read(fd, buf, 1) < 0 && errno == EBADF);
	fd = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(fd == 3 && read(fd, buf, 5) == 5 && isatty(fd) == 0 && errno == ENOTTY);
	struct flock fl = { .l_type = F_RDLCK };
	ASSERT(fcntl(fd, F_SETLK, &fl) == 0);
	return ct_done();
}
