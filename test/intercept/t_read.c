/* Reads on the mount: read, pread(64), readv, preadv(2), lseek(64) with
 * every whence, EOF, EISDIR on a directory, EINVAL for bad offsets; the
 * same bytes as the original for raw and compressed files, read whole
 * (decoded into the caller's buffer) or in small pieces. */
#include <sys/uio.h>

#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2 -l 6");
	static unsigned char buf[300000];
	int fd = open(CT_MNT "/big.bin", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, sizeof buf) == 200000);   /* read-all */
	ct_check_big(buf, 0, 200000);
	ASSERT(read(fd, buf, 10) == 0);
	ASSERT(pread(fd, buf, 100, 199950) == 50);
	ct_check_big(buf, 199950, 50);
	ASSERT(pread64(fd, buf, 10, 300000) == 0);
	ASSERT(pread(fd, buf, 10, -1) < 0 && errno == EINVAL);
	ASSERT(lseek(fd, 1000, SEEK_SET) == 1000 && read(fd, buf, 7) == 7);
	ct_check_big(buf, 1000, 7);
	ASSERT(lseek64(fd, 10, SEEK_CUR) == 1017 && lseek(fd, -17, SEEK_END) == 199983);
	ASSERT(lseek(fd, 5, SEEK_DATA) == 5 && lseek(fd, 5, SEEK_HOLE) == 200000);
	ASSERT(lseek(fd, 200001, SEEK_DATA) < 0 && errno == ENXIO);
	ASSERT(lseek(fd, -1, SEEK_SET) < 0 && errno == EINVAL);
	ASSERT(lseek(fd, 0, 99) < 0 && errno == EINVAL);
	unsigned char x[3], y[5000];
	struct iovec iov[2] = { { x, sizeof x }, { y, sizeof y } };
	ASSERT(lseek(fd, 10, SEEK_SET) == 10 && readv(fd, iov, 2) == 5003);
	ct_check_big(x, 10, 3);
	ct_check_big(y, 13, 5000);
	ASSERT(lseek(fd, 0, SEEK_CUR) == 5013);
	ASSERT(preadv(fd, iov, 2, 199000) == 1000 && lseek(fd, 0, SEEK_CUR) == 5013);
	ct_check_big(y, 199003, 997);
	ASSERT(preadv2(fd, iov, 2, -1, 0) == 5003 && lseek(fd, 0, SEEK_CUR) == 10016);
	close(fd);
	/* piecewise reads of a compressed file */
	fd = open(CT_MNT "/big.bin", O_RDONLY);
	size_t got = 0;
	ssize_t k;
	while ((k = read(fd, buf + got, 777)) > 0)
		got += (size_t)k;
	ASSERT(got == 200000);
	ct_check_big(buf, 0, got);
	close(fd);
	fd = open(CT_MNT "/sub/b.bin", O_RDONLY);
	ASSERT(fd >= 0 && read(fd, buf, 5000) == 5000);
	ct_check_big(buf, 1000, 5000);
	close(fd);
	fd = open(CT_MNT "/sub", O_RDONLY | O_DIRECTORY);
	ASSERT(read(fd, buf, 1) < 0 && errno == EISDIR);
	ASSERT(pread(fd, buf, 1, 0) < 0 && errno == EISDIR);
	close(fd);
	/* a pure-forward fd is untouched */
	fd = open("/dev/zero", O_RDONLY);
	ASSERT(read(fd, buf, 10) == 10 && buf[3] == 0);
	close(fd);
	return ct_done();
}
