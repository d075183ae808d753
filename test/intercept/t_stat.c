/* The stat family on the mount equals the original tree where it matters
 * (type, mode, size, mtime, nlink, blocks), through stat/lstat/fstat,
 * the *64 names, fstatat with AT_SYMLINK_NOFOLLOW/AT_EMPTY_PATH, the
 * pre-2.33 __xstat family (declared here by hand) and statx; st_ino is
 * unique per path; errors match. */
#include <sys/sysmacros.h>

#include "ctest.h"

int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

static void same_stat(const struct stat *a, const struct stat *b, const char *what)
{
	int ok = (a->st_mode == b->st_mode) && a->st_nlink == b->st_nlink &&
		 (S_ISDIR(a->st_mode) || a->st_size == b->st_size) &&
		 a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		 (S_ISDIR(a->st_mode) || a->st_blocks == b->st_blocks) && b->st_ino != 0;
	if (!ok) {
		fprintf(stderr, "%s: original mode %o nlink %lu size %ld mtime %ld.%09ld blocks %ld\n"
				"%*s  mount    mode %o nlink %lu size %ld mtime %ld.%09ld blocks %ld\n",
			what, a->st_mode, a->st_nlink, a->st_size, a->st_mtim.tv_sec, a->st_mtim.tv_nsec,
			a->st_blocks, (int)strlen(what), "", b->st_mode, b->st_nlink, b->st_size,
			b->st_mtim.tv_sec, b->st_mtim.tv_nsec, b->st_blocks);
		exit(1);
	}
}

typedef int (*statfn)(const char *, struct stat *);

static int via_xstat(const char *p, struct stat *s) { return __xstat(1, p, s); }
static int via_xstat64(const char *p, struct stat *s) { return __xstat64(1, p, (struct stat64 *)s); }
static int via_lxstat(const char *p, struct stat *s) { return __lxstat(1, p, s); }
static int via_lxstat64(const char *p, struct stat *s) { return __lxstat64(1, p, (struct stat64 *)s); }
static int via_stat64(const char *p, struct stat *s) { return stat64(p, (struct stat64 *)s); }
static int via_lstat64(const char *p, struct stat *s) { return lstat64(p, (struct stat64 *)s); }
static int via_fstatat(const char *p, struct stat *s) { return fstatat(AT_FDCWD, p, s, 0); }
static int via_fstatat_nf(const char *p, struct stat *s) { return fstatat64(AT_FDCWD, p, (struct stat64 *)s, AT_SYMLINK_NOFOLLOW); }
static int via_fxstatat(const char *p, struct stat *s) { return __fxstatat(1, AT_FDCWD, p, s, 0); }
static int via_fxstatat64(const char *p, struct stat *s) { return __fxstatat64(1, AT_FDCWD, p, (struct stat64 *)s, AT_SYMLINK_NOFOLLOW); }

static int via_statx(const char *p, struct stat *s)
{
	struct statx x;
	if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x) < 0)
		return -1;
	memset(s, 0, sizeof *s);
	s->st_mode = x.stx_mode, s->st_nlink = x.stx_nlink, s->st_size = (off_t)x.stx_size;
	s->st_mtim.tv_sec = x.stx_mtime.tv_sec, s->st_mtim.tv_nsec = x.stx_mtime.tv_nsec;
	s->st_blocks = (blkcnt_t)x.stx_blocks, s->st_ino = x.stx_ino;
	return 0;
}

static int via_fstat(const char *p, struct stat *s)
{
	int fd = open(p, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	int rc = fstat(fd, s), rc2 = fstat64(fd, (struct stat64 *)s), rc3 = __fxstat(1, fd, s),
	    rc4 = __fxstat64(1, fd, (struct stat64 *)s);
	struct stat e;
	int rc5 = fstatat(fd, "", &e, AT_EMPTY_PATH);
	ASSERT(rc5 == rc && (rc5 < 0 || e.st_ino == s->st_ino));
	close(fd);
	return rc | rc2 | rc3 | rc4;
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2 -l 6");
	const statfn fns[] = { stat, lstat, via_stat64, via_lstat64, via_xstat, via_xstat64, via_lxstat,
			       via_lxstat64, via_fstatat, via_fstatat_nf, via_fxstatat, via_fxstatat64,
			       via_statx, via_fstat };
	const char *names[] = { "", "a.txt", "big.bin", "sub", "sub/b.bin", "sub/deeper", "emptyd", "ln",
				"dln", "dang", "loop1", "nothere", "a.txt/", "sub/", "a.txt/x",
				"dln/b.bin", "sub/../a.txt" };
	char a[PATH_MAX], b[PATH_MAX], what[PATH_MAX + 32];
	for (size_t f = 0; f < sizeof fns / sizeof *fns; f++)
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			if (f == 0 && i == 0)
				continue;   /* the roots' mtimes differ: the mount's root is made */
			struct stat sa, sb;
			errno = 0;
			int ra = fns[f](ct_path(0, names[i], a), &sa), ea = errno;
			errno = 0;
			int rb = fns[f](ct_path(1, names[i], b), &sb), eb = errno;
			snprintf(what, sizeof what, "fn %zu %s", f, names[i]);
			if (ra != rb || (ra < 0 && ea != eb)) {
				fprintf(stderr, "%s: original %d/%s, mount %d/%s\n", what, ra, strerror(ea),
					rb, strerror(eb));
				return 1;
			}
			if (ra == 0 && i > 0)
				same_stat(&sa, &sb, what);
		}
	/* st_ino unique per path; nlink 1 for files, 2 + subdirs for dirs */
	struct stat s1, s2;
	ASSERT(stat(CT_MNT "/a.txt", &s1) == 0 && stat(CT_MNT "/big.bin", &s2) == 0);
	ASSERT(s1.st_ino != s2.st_ino && s1.st_dev == s2.st_dev && s1.st_nlink == 1);
	ASSERT(stat(CT_MNT, &s1) == 0 && S_ISDIR(s1.st_mode) && s1.st_nlink == 2 + 2);
	ASSERT(stat(CT_MNT "/ln", &s2) == 0 && lstat(CT_MNT "/a.txt", &s1) == 0 && s1.st_ino == s2.st_ino);
	/* AT_EMPTY_PATH on a directory fd; statx on it as ls does */
	int dfd = open(CT_MNT "/sub", O_RDONLY | O_DIRECTORY);
	struct statx x;
	ASSERT(dfd >= 0 && statx(dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x) == 0 && S_ISDIR(x.stx_mode));
	ASSERT(fstatat(dfd, "deeper/c.txt", &s1, 0) == 0 && s1.st_size == 2);
	ASSERT(fstatat(dfd, "", &s1, 0) < 0 && errno == ENOENT);
	close(dfd);
	return ct_done();
}
