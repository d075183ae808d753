/* Fortified builds (-D_FORTIFY_SOURCE=2 -O2, see intercept/module.mk)
 * reach the library through __open_2, __open64_2, __openat_2,
 * __openat64_2, __read_chk, __pread_chk, __readlink_chk, __realpath_chk
 * and __getcwd_chk. */
#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-l 6");
	volatile int rd = O_RDONLY;   /* not constants: the _2/_chk forms are used */
	char buf[64], big[4096], link[64], rp[PATH_MAX], cwd[PATH_MAX];
	volatile size_t nbuf = sizeof buf, nbig = sizeof big, nlink = sizeof link, ncwd = sizeof cwd;
	int fd = open(CT_MNT "/a.txt", rd);
	ASSERT(fd >= 0 && read(fd, buf, nbuf) == 15 && !memcmp(buf, "hello", 5));
	ASSERT(pread(fd, buf, nbuf, 6) == 9 && !memcmp(buf, "fanstore\n", 9));
	close(fd);
	fd = open64(CT_MNT "/big.bin", rd);
	ASSERT(fd >= 0 && read(fd, big, nbig) == (ssize_t)sizeof big);
	for (size_t i = 0; i < sizeof big; i++)
		ASSERT((unsigned char)big[i] == ct_big_byte(i));
	close(fd);
	int dfd = open(CT_MNT "/sub", rd | O_DIRECTORY);
	ASSERT(dfd >= 0);
	fd = openat(dfd, "deeper/c.txt", rd);
	ASSERT(fd >= 0 && read(fd, buf, nbuf) == 2 && buf[0] == 'c');
	close(fd);
	fd = openat64(dfd, "b.bin", rd);
	ASSERT(fd >= 0);
	close(fd);
	close(dfd);
	ssize_t n = readlink(CT_MNT "/ln", link, nlink);
	ASSERT(n == 5 && !memcmp(link, "a.txt", 5));
	ASSERT(realpath(CT_MNT "/dln/deeper/../b.bin", rp) && !strcmp(rp, CT_MNT "/sub/b.bin"));
	ASSERT(chdir(CT_MNT "/sub") == 0 && getcwd(cwd, ncwd) && !strcmp(cwd, CT_MNT "/sub"));
	return ct_done();
}
