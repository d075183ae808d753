/*
 * shim_nosendfile.so - preloaded into fanstore-exec by a test: sendfile()
 * fails with EINVAL, as on a file system that cannot splice, so that the
 * launcher's copy falls back to read and write.  Each refused call appends
 * a line to the file $SHIM_NOSENDFILE_LOG, so the test knows it was used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

ssize_t sendfile(int out, int in, off_t *off, size_t n);
ssize_t sendfile64(int out, int in, off_t *off, size_t n);

ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	(void)out, (void)in, (void)off, (void)n;
	const char *log = getenv("SHIM_NOSENDFILE_LOG");
	int fd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		(void)!write(fd, "refused\n", 8);
		close(fd);
	}
	errno = EINVAL;
	return -1;
}

ssize_t sendfile64(int out, int in, off_t *off, size_t n)
{
	return sendfile(out, in, off, n);
}
