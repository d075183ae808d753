/* Readers that go through the kernel see the true bytes: stdio (fopen,
 * fopen64, fdopen of a dup, freopen, fileno + read), mmap (MAP_SHARED and
 * MAP_PRIVATE with PROT_WRITE), sendfile, copy_file_range, splice. */
#include <sys/mman.h>
#include <sys/sendfile.h>

#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2 -l 6");
	static unsigned char buf[200000];
	FILE *f = fopen(CT_MNT "/big.bin", "rb");
	ASSERT(f && fread(buf, 1, sizeof buf, f) == sizeof buf);
	ct_check_big(buf, 0, sizeof buf);
	ASSERT(fseek(f, 1234, SEEK_SET) == 0 && fgetc(f) == ct_big_byte(1234) && ftell(f) == 1235);
	ASSERT(fclose(f) == 0);
	f = fopen64(CT_MNT "/a.txt", "re");
	char line[64];
	ASSERT(f && fgets(line, sizeof line, f) && !strcmp(line, "hello fanstore\n"));
	int fd = fileno(f);   /* C++ ifstream style: read(fileno) */
	ASSERT(lseek(fd, 0, SEEK_SET) == 0 && read(fd, line, 5) == 5 && !memcmp(line, "hello", 5));
	fclose(f);
	errno = 0;
	ASSERT(!fopen(CT_MNT "/a.txt", "w") && errno == EROFS);
	ASSERT(!fopen(CT_MNT "/nothere", "r") && errno == ENOENT);
	/* numpy's np.fromfile: fdopen(dup(fd)) after a seek */
	fd = open(CT_MNT "/sub/b.bin", O_RDONLY);
	ASSERT(lseek(fd, 100, SEEK_SET) == 100);
	f = fdopen(dup(fd), "rb");
	ASSERT(f && fread(buf, 1, 10, f) == 10);
	ct_check_big(buf, 1100, 10);
	fclose(f);
	close(fd);
	f = fopen("/dev/null", "r");
	ASSERT(f && (f = freopen(CT_MNT "/a.txt", "r", f)) && fgets(line, sizeof line, f) && line[0] == 'h');
	fclose(f);

	fd = open(CT_MNT "/big.bin", O_RDONLY);
	unsigned char *m = mmap(NULL, 200000, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT(m != MAP_FAILED);
	ct_check_big(m, 0, 200000);
	ASSERT(read(fd, buf, 3) == 3);   /* still readable, from offset 0 */
	ct_check_big(buf, 0, 3);
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
	ASSERT(p != MAP_FAILED);
	ct_check_big(p, 4096, 8192);
	p[0] ^= 1;   /* private copy */
	munmap(p, 8192);
	munmap(m, 200000);
	close(fd);

	char tmp[] = "/tmp/fsct_kio.XXXXXX";
	int out = mkstemp(tmp);
	ASSERT(out >= 0);
	unlink(tmp);
	fd = open(CT_MNT "/big.bin", O_RDONLY);
	off_t off = 1000;
	ASSERT(sendfile(out, fd, &off, 5000) == 5000 && off == 6000 && lseek(fd, 0, SEEK_CUR) == 0);
	ASSERT(sendfile(out, fd, NULL, 100) == 100 && lseek(fd, 0, SEEK_CUR) == 100);
	loff_t oin = 199990, oout = 0;
	ASSERT(copy_file_range(fd, &oin, out, &oout, 100, 0) == 10 && oin == 200000);
	ASSERT(pread(out, buf, 5000, 0) == 5000);
	ct_check_big(buf, 199990, 10);
	ASSERT(pread(out, buf, 5000, 10) == 5000);
	ct_check_big(buf, 1010, 4990);
	close(fd);
	int pfd[2];
	ASSERT(pipe(pfd) == 0);
	fd = open(CT_MNT "/a.txt", O_RDONLY);
	ASSERT(splice(fd, NULL, pfd[1], NULL, 100, 0) == 15 && read(pfd[0], line, 15) == 15 &&
	       !memcmp(line, "hello fanstore\n", 15));
	close(fd);
	close(out);
	return ct_done();
}
