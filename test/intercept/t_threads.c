/* Eight threads open, fstat, read and close files of the mount at once
 * (raw and compressed), each checking every byte; eight threads read one
 * shared descriptor and get every byte exactly once; then a forked child
 * and the parent keep reading, an fd opened before the fork sharing one
 * offset between them. */
#include <pthread.h>
#include <sys/wait.h>

#include "ctest.h"

#define NTHREAD 8
#define ROUNDS 300

static int check_file(const char *path, size_t want, size_t base)
{
	static __thread unsigned char buf[200001];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != want)
		return 0;
	size_t n = ct_slurp(fd, (char *)buf, sizeof buf);
	close(fd);
	if (n != want)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] != ct_big_byte(base + i))
			return 0;
	return 1;
}

static void *reader(void *arg)
{
	long id = (long)arg;
	for (int r = 0; r < ROUNDS; r++) {
		int ok = (r + id) % 2 ? check_file(CT_MNT "/big.bin", 200000, 0)
				      : check_file(CT_MNT "/sub/b.bin", 5000, 1000);
		if (!ok)
			return (void *)1;
	}
	return NULL;
}

/* Threads reading one fd in CHUNK-byte reads: the kernel makes each
 * read's use of the offset atomic, so every chunk comes exactly once. */
#define CHUNK 4000
#define NCHUNK (200000 / CHUNK)
static int shared_fd;
static _Atomic int seen[NCHUNK];
static _Atomic int bad;

/* Which chunk of big.bin b holds (i * 7 % 251 with 251 prime: the first
 * byte tells), or -1 when it is none of them. */
static int chunk_of(const unsigned char *b)
{
	int j = -1;
	for (int k = 0; k < NCHUNK; k++)
		if (b[0] == ct_big_byte((size_t)k * CHUNK))
			j = k;
	for (size_t i = 0; j >= 0 && i < CHUNK; i++)
		if (b[i] != ct_big_byte((size_t)j * CHUNK + i))
			j = -1;
	return j;
}

/* Read fd to the end in CHUNK reads; each chunk's number to out (or -1). */
static void read_chunks(int fd, void (*out)(int j, void *arg), void *arg)
{
	static __thread unsigned char b[CHUNK];
	for (;;) {
		ssize_t n = read(fd, b, CHUNK);
		if (n == 0)
			return;
		out(n == CHUNK ? chunk_of(b) : -1, arg);
		if (n != CHUNK)
			return;
	}
}

static void count_chunk(int j, void *arg)
{
	(void)arg;
	if (j < 0)
		bad = 1;
	else
		seen[j]++;
}

static void *chunk_reader(void *arg)
{
	(void)arg;
	read_chunks(shared_fd, count_chunk, NULL);
	return NULL;
}

static void send_chunk(int j, void *arg)
{
	ASSERT(write(*(int *)arg, &j, sizeof j) == sizeof j);
}

/* Processes sharing one description (inherited across fork) read it
 * together: every chunk comes exactly once among them. */
static void one_fd_many_processes(void)
{
	int fd = open(CT_MNT "/big.bin", O_RDONLY), p[2];
	ASSERT(fd >= 0 && pipe(p) == 0);
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		ASSERT((kids[i] = fork()) >= 0);
		if (kids[i] == 0) {
			close(p[0]);
			read_chunks(fd, send_chunk, &p[1]);
			_exit(0);
		}
	}
	close(p[1]);
	int j, got[NCHUNK] = {0};
	while (read(p[0], &j, sizeof j) == sizeof j) {
		ASSERT(j >= 0 && j < NCHUNK);
		got[j]++;
	}
	for (int i = 0; i < 4; i++) {
		int status;
		ASSERT(waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (j = 0; j < NCHUNK; j++)
		ASSERT(got[j] == 1);
	ASSERT(lseek(fd, 0, SEEK_CUR) == 200000);
	close(p[0]);
	close(fd);
}

static void one_fd_many_threads(void)
{
	shared_fd = open(CT_MNT "/big.bin", O_RDONLY);
	ASSERT(shared_fd >= 0);
	pthread_t t[NTHREAD];
	for (long i = 0; i < NTHREAD; i++)
		ASSERT(pthread_create(&t[i], NULL, chunk_reader, NULL) == 0);
	for (int i = 0; i < NTHREAD; i++)
		ASSERT(pthread_join(t[i], NULL) == 0);
	ASSERT(!bad);
	for (int j = 0; j < NCHUNK; j++)
		ASSERT(seen[j] == 1);
	ASSERT(lseek(shared_fd, 0, SEEK_CUR) == 200000);
	close(shared_fd);
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2 -l 6");
	pthread_t t[NTHREAD];
	for (long i = 0; i < NTHREAD; i++)
		ASSERT(pthread_create(&t[i], NULL, reader, (void *)i) == 0);
	for (int i = 0; i < NTHREAD; i++) {
		void *rc;
		ASSERT(pthread_join(t[i], &rc) == 0 && rc == NULL);
	}
	for (int rep = 0; rep < 20; rep++) {
		one_fd_many_threads();
		memset(seen, 0, sizeof seen);
	}
	for (int rep = 0; rep < 10; rep++)
		one_fd_many_processes();
	/* fork: an fd opened before is shared (one offset), both sides read on */
	int fd = open(CT_MNT "/big.bin", O_RDONLY);
	unsigned char b[100];
	ASSERT(read(fd, b, 10) == 10);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		int ok = read(fd, b, 10) == 10 && b[0] == ct_big_byte(10) &&
			 check_file(CT_MNT "/sub/b.bin", 5000, 1000) && reader((void *)1) == NULL;
		_exit(ok ? 0 : 1);
	}
	ASSERT(reader((void *)0) == NULL);
	int status;
	ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child's read moved the one offset: the parent goes on at 20 */
	ASSERT(read(fd, b, 1) == 1 && b[0] == ct_big_byte(20));
	ASSERT(lseek(fd, 0, SEEK_CUR) == 21);
	close(fd);
	return ct_done();
}
