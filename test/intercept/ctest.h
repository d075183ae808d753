/*
 * ctest.h - shared by the intercept C tests (header only: each t_*.c is
 * its own program).
 *
 * ct_setup() makes a small tree with known contents, packs it with mkjob
 * (next to this binary), and re-executes the test with libfanstore
 * preloaded on it.  Then CT_SRC is the original tree and CT_MNT the same
 * tree through the library; tests compare the two.
 *
 * The tree:  a.txt ("hello fanstore\n"), big.bin (200000 bytes, byte i =
 * i*7 mod 251), sub/b.bin (5000 bytes), sub/deeper/c.txt, emptyd/,
 * ln -> a.txt, dln -> sub, dang -> nothere, loop1 <-> loop2,
 * up -> ../outside (leaves the tree).
 */
#ifndef CTEST_H
#define CTEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CT_MNT "/fanstore"

static char CT_SRC[PATH_MAX / 2];

#define ASSERT(c)                                                                    \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "%s:%d: ASSERT(%s) failed (errno %d %s)\n",  \
				__FILE__, __LINE__, #c, errno, strerror(errno));     \
			exit(1);                                                     \
		}                                                                    \
	} while (0)

static inline void ct_write(const char *dir, const char *name, const void *buf, size_t n)
{
	char p[PATH_MAX + 8];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT(fd >= 0 && write(fd, buf, n) == (ssize_t)n && close(fd) == 0);
}

static inline void ct_mkdir(const char *dir, const char *name)
{
	char p[PATH_MAX + 8];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	ASSERT(mkdir(p, 0755) == 0);
}

static inline void ct_link(const char *dir, const char *name, const char *target)
{
	char p[PATH_MAX + 8];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	ASSERT(symlink(target, p) == 0);
}

static inline unsigned char ct_big_byte(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

/* n bytes at p are big.bin's bytes from offset off. */
static inline void ct_check_big(const unsigned char *p, size_t off, size_t n)
{
	for (size_t k = 0; k < n; k++)
		ASSERT(p[k] == ct_big_byte(off + k));
}

/* Path of name under the original tree or the mount. */
static inline const char *ct_path(int mnt, const char *name, char *buf)
{
	int n = snprintf(buf, PATH_MAX, "%s%s%.*s", mnt ? CT_MNT : CT_SRC, *name ? "/" : "",
			 PATH_MAX / 2 - 2, name);
	ASSERT(n > 0 && n < PATH_MAX);
	return buf;
}

/* Remove the temporary tree (at exit, failed ASSERTs included). */
static void ct_cleanup(void)
{
	const char *tmp = getenv("FANSTORE_CT_TMP");
	char cmd[PATH_MAX + 32];
	if (tmp && strncmp(tmp, "/tmp/fsct.", 10) == 0 && !strchr(tmp, '\'')) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmp);
	}
}

static inline void ct_setup(int argc, char **argv, const char *mkjob_opts)
{
	(void)argc;
	const char *src = getenv("FANSTORE_CT_SRC");
	if (src && getenv("FANSTORE_JOBDIR")) {
		snprintf(CT_SRC, sizeof CT_SRC, "%s", src);
		atexit(ct_cleanup);
		return;
	}
	const char *top = getenv("FANSTORE_TOP");
	char tmp[] = "/tmp/fsct.XXXXXX", lib[PATH_MAX], self[PATH_MAX], cmd[4 * PATH_MAX];
	ASSERT(mkdtemp(tmp));
	snprintf(CT_SRC, sizeof CT_SRC, "%s/src", tmp);
	ASSERT(mkdir(CT_SRC, 0755) == 0);
	ct_write(CT_SRC, "a.txt", "hello fanstore\n", 15);
	static unsigned char big[200000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = ct_big_byte(i);
	ct_write(CT_SRC, "big.bin", big, sizeof big);
	ct_mkdir(CT_SRC, "sub");
	ct_write(CT_SRC, "sub/b.bin", big + 1000, 5000);
	ct_mkdir(CT_SRC, "sub/deeper");
	ct_write(CT_SRC, "sub/deeper/c.txt", "c\n", 2);
	ct_mkdir(CT_SRC, "emptyd");
	ct_link(CT_SRC, "ln", "a.txt");
	ct_link(CT_SRC, "dln", "sub");
	ct_link(CT_SRC, "dang", "nothere");
	ct_link(CT_SRC, "loop1", "loop2");
	ct_link(CT_SRC, "loop2", "loop1");
	ct_link(CT_SRC, "up", "../outside");
	ct_mkdir(tmp, "outside");
	ct_write(tmp, "outside/o.txt", "outside\n", 8);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	ASSERT(n > 0);
	self[n] = 0;
	snprintf(cmd, sizeof cmd, "%.*s/mkjob %s %s %s/job", (int)(strrchr(self, '/') - self), self,
		 mkjob_opts ? mkjob_opts : "", CT_SRC, tmp);
	ASSERT(system(cmd) == 0);
	snprintf(lib, sizeof lib, "%s/lib/libfanstore.so", top ? top : ".");
	ASSERT(access(lib, R_OK) == 0);
	snprintf(cmd, sizeof cmd, "%s/job", tmp);
	setenv("FANSTORE_JOBDIR", cmd, 1);
	setenv("FANSTORE_MOUNT", CT_MNT, 1);
	setenv("FANSTORE_CT_SRC", CT_SRC, 1);
	setenv("FANSTORE_CT_TMP", tmp, 1);
	const char *first = getenv("FANSTORE_PRELOAD_FIRST");   /* e.g. the ASan runtime */
	if (first && *first) {
		snprintf(cmd, sizeof cmd, "%s %s", first, lib);
		setenv("LD_PRELOAD", cmd, 1);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
	execv(self, argv);
	ASSERT(!"re-exec with the library preloaded");
}

/* The end of a passing test (the tree goes at exit). */
static inline int ct_done(void)
{
	printf("ok\n");
	return 0;
}

/* Read all of fd into buf (cap bytes); returns the count. */
static inline size_t ct_slurp(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t k;
	while (got < cap && (k = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)k;
	return got;
}

#endif
