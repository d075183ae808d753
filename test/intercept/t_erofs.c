/* Every call that would change the tree fails under the prefix (EROFS,
 * or EEXIST/ENOENT/EXDEV/EINVAL/EISDIR as the kernel orders them), and
 * the same calls outside the prefix still work. */
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#include "ctest.h"

#define EXPECT(call, e)                                                                  \
	do {                                                                             \
		errno = 0;                                                               \
		if ((call) != -1 || errno != (e)) {                                      \
			fprintf(stderr, "%s:%d: %s: errno %d (%s), want %s\n", __FILE__,  \
				__LINE__, #call, errno, strerror(errno), strerror(e));   \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "");
	const char *f = CT_MNT "/a.txt", *d = CT_MNT "/sub", *n = CT_MNT "/new";
	EXPECT(open(f, O_WRONLY), EROFS);
	EXPECT(open(f, O_RDWR), EROFS);
	EXPECT(open(f, O_RDONLY | O_TRUNC), EROFS);
	EXPECT(open(n, O_WRONLY | O_CREAT, 0644), EROFS);
	EXPECT(open(f, O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	EXPECT(open(CT_MNT "/nodir/x", O_WRONLY | O_CREAT, 0644), ENOENT);
	EXPECT(open(d, O_WRONLY), EISDIR);
	EXPECT(creat(n, 0644), EROFS);
	EXPECT(mkdir(n, 0755), EROFS);
	EXPECT(mkdir(d, 0755), EEXIST);
	EXPECT(mkdirat(AT_FDCWD, n, 0755), EROFS);
	EXPECT(mknod(n, S_IFIFO | 0644, 0), EROFS);
	EXPECT(mknodat(AT_FDCWD, n, S_IFIFO | 0644, 0), EROFS);
	EXPECT(unlink(f), EROFS);
	EXPECT(unlink(n), ENOENT);
	EXPECT(unlinkat(AT_FDCWD, f, 0), EROFS);
	EXPECT(rmdir(CT_MNT "/emptyd"), EROFS);
	EXPECT(rename(f, n), EROFS);
	EXPECT(renameat(AT_FDCWD, f, AT_FDCWD, n), EROFS);
	EXPECT(renameat2(AT_FDCWD, f, AT_FDCWD, n, 0), EROFS);
	EXPECT(rename(f, "/tmp/fsct_never"), EXDEV);
	EXPECT(rename(n, "/tmp/fsct_never"), ENOENT);
	EXPECT(link(f, n), EROFS);
	EXPECT(linkat(AT_FDCWD, f, AT_FDCWD, n, 0), EROFS);
	EXPECT(symlink("a.txt", n), EROFS);
	EXPECT(symlinkat("a.txt", AT_FDCWD, n), EROFS);
	EXPECT(chmod(f, 0600), EROFS);
	EXPECT(fchmodat(AT_FDCWD, f, 0600, 0), EROFS);
	EXPECT(chown(f, 0, 0), EROFS);
	EXPECT(lchown(CT_MNT "/ln", 0, 0), EROFS);
	EXPECT(fchownat(AT_FDCWD, f, 0, 0, 0), EROFS);
	EXPECT(truncate(f, 0), EROFS);
	EXPECT(truncate64(f, 0), EROFS);
	EXPECT(truncate(d, 0), EISDIR);
	EXPECT(utime(f, NULL), EROFS);
	EXPECT(utimes(f, NULL), EROFS);
	EXPECT(lutimes(CT_MNT "/ln", NULL), EROFS);
	EXPECT(utimensat(AT_FDCWD, f, NULL, 0), EROFS);
	EXPECT(setxattr(f, "user.x", "1", 1, 0), EROFS);
	EXPECT(lsetxattr(f, "user.x", "1", 1, 0), EROFS);
	EXPECT(removexattr(f, "user.x"), EROFS);
	EXPECT(lremovexattr(f, "user.x"), EROFS);
	int fd = open(f, O_RDONLY);
	ASSERT(fd >= 0);
	EXPECT(fchmod(fd, 0600), EROFS);
	EXPECT(fchown(fd, 0, 0), EROFS);
	EXPECT(ftruncate(fd, 0), EINVAL);
	EXPECT(ftruncate64(fd, 0), EINVAL);
	EXPECT(futimens(fd, NULL), EROFS);
	EXPECT(futimes(fd, NULL), EROFS);
	EXPECT(fsetxattr(fd, "user.x", "1", 1, 0), EROFS);
	EXPECT(fremovexattr(fd, "user.x"), EROFS);
	EXPECT(write(fd, "x", 1), EBADF);
	close(fd);
	/* outside the prefix nothing is refused */
	char p[PATH_MAX], q[PATH_MAX];
	ct_path(0, "made", p);
	ASSERT(mkdir(p, 0755) == 0 && rmdir(p) == 0);
	ct_path(0, "new.txt", p);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ASSERT(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
	ct_path(0, "new2.txt", q);
	ASSERT(chmod(p, 0600) == 0 && rename(p, q) == 0 && truncate(q, 0) == 0 && unlink(q) == 0);
	return ct_done();
}
