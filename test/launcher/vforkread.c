/*
 * vforkread - a vfork child that materialises a dataset file must leave
 * the parent's state alone.  Run under libfanstore:
 *
 *   vforkread FILE ORIG
 *
 * Another thread opens FILE (so this thread has no channel of its own
 * yet); a vfork child makes it its stdin, which materialises it there (a
 * file larger than the library fetches at open is fetched then, through a
 * channel if another node holds it), and execs `cmp - ORIG`.  Then this
 * thread reads FILE itself (pread: the child's reads moved the offset it
 * shares with ours) and compares it with ORIG.  Exit 0 when both matched.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd = -1;

static void *opener(void *path)
{
	fd = open(path, O_RDONLY);
	return NULL;
}

static int read_all(int f, char *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = pread(f, buf + got, n - got, (off_t)got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vforkread FILE ORIG\n");
		return 2;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, opener, argv[1]) != 0 || pthread_join(t, NULL) != 0 || fd < 0) {
		fprintf(stderr, "vforkread: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	pid_t pid = vfork();
	if (pid == 0) {
		if (dup2(fd, 0) == 0)
			execl("/usr/bin/cmp", "cmp", "-", argv[2], (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "vforkread: the vfork child's copy of %s differs (status %d)\n", argv[1], st);
		return 1;
	}
	struct stat sb;
	int o = open(argv[2], O_RDONLY);
	if (o < 0 || fstat(o, &sb) != 0) {
		fprintf(stderr, "vforkread: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	size_t n = (size_t)sb.st_size;
	char *a = malloc(n + 1), *b = malloc(n + 1);
	if (!a || !b || read_all(o, b, n) != 0) {
		fprintf(stderr, "vforkread: cannot read %s\n", argv[2]);
		return 1;
	}
	if (read_all(fd, a, n) != 0 || pread(fd, a + n, 1, (off_t)n) != 0 || memcmp(a, b, n) != 0) {
		fprintf(stderr, "vforkread: %s read after the vfork child: %s\n", argv[1],
			errno ? strerror(errno) : "wrong bytes");
		return 1;
	}
	printf("vforkread: %s: %zu bytes, the same in the vfork child and after it\n", argv[1], n);
	return 0;
}
