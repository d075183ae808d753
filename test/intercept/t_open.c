/* The open family on the mount: open, open64, openat(64), creat, flags
 * (O_DIRECTORY, O_NOFOLLOW, O_PATH, O_CLOEXEC), and the errors the kernel
 * gives on the original tree. */
#include "ctest.h"

/* Same result (success, or the same errno) on both trees. */
static void same_open(const char *name, int flags)
{
	char a[PATH_MAX], b[PATH_MAX];
	errno = 0;
	int fa = open(ct_path(0, name, a), flags);
	int ea = errno;
	errno = 0;
	int fb = open(ct_path(1, name, b), flags);
	int eb = errno;
	if ((fa < 0) != (fb < 0) || (fa < 0 && ea != eb)) {
		fprintf(stderr, "open(%s, %#x): original %d/%s, mount %d/%s\n", name, flags, fa,
			strerror(ea), fb, strerror(eb));
		exit(1);
	}
	if (fa >= 0)
		close(fa), close(fb);
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2");
	char p[PATH_MAX], buf[64];
	int fd = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, sizeof buf) == 15 && !memcmp(buf, "hello fanstore\n", 15));
	ASSERT(fcntl(fd, F_GETFD) == 0);
	ASSERT(close(fd) == 0);
	fd = open64(CT_MNT "/ln", O_RDONLY | O_CLOEXEC);
	ASSERT(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC && read(fd, buf, 5) == 5);
	close(fd);
	int dfd = open(CT_MNT "/sub", O_RDONLY | O_DIRECTORY);
	ASSERT(dfd >= 0);
	fd = openat(dfd, "b.bin", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, 4) == 4);
	close(fd);
	fd = openat64(dfd, "../a.txt", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	close(fd);
	fd = openat(dfd, CT_MNT "/a.txt", O_RDONLY);   /* absolute ignores dirfd */
	ASSERT(fd >= 0);
	close(fd);
	close(dfd);
	fd = open(CT_MNT "/ln", O_PATH | O_NOFOLLOW);
	ASSERT(fd >= 0 && read(fd, buf, 1) < 0 && errno == EBADF);
	close(fd);
	/* the fd is a real kernel fd: the lowest free number */
	fd = open(CT_MNT "/a.txt", O_RDONLY);
	int real = open("/dev/null", O_RDONLY);
	ASSERT(fd >= 0 && real == fd + 1);
	close(real);
	close(fd);
	errno = 0;
	ASSERT(creat(ct_path(1, "new.txt", p), 0644) < 0 && errno == EROFS);

	const char *names[] = { "a.txt", "sub", "ln", "dln", "dang", "loop1", "nothere", "a.txt/x",
				"sub/", "a.txt/", "sub/nothere/x", "emptyd", "dln/../a.txt", "sub/deeper/../b.bin" };
	const int flags[] = { O_RDONLY, O_RDONLY | O_DIRECTORY, O_RDONLY | O_NOFOLLOW,
			      O_RDONLY | O_CREAT | O_EXCL, O_RDONLY | O_TRUNC, O_PATH, O_WRONLY, O_RDWR };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		for (size_t j = 0; j < sizeof flags / sizeof *flags; j++)
			if (!(flags[j] & (O_WRONLY | O_RDWR | O_TRUNC | O_CREAT)))
				same_open(names[i], flags[j]);
	char longname[400];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	same_open(longname, O_RDONLY);
	return ct_done();
}
