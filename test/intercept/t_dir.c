/* Directory streams on the mount: opendir/readdir(64)/readdir_r/closedir,
 * fdopendir + dirfd + rewinddir (Python's os.scandir(fd)), seekdir/telldir,
 * every entry once with d_type and non-zero d_ino; scandir, scandirat,
 * glob, nftw and ftw. */
#include <dirent.h>
#include <ftw.h>
#include <glob.h>

#include "ctest.h"

/* Entries of a stream as "name:type " sorted, "." and ".." skipped. */
static void listing(DIR *d, char *out, size_t cap)
{
	char names[64][80];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ASSERT(e->d_ino != 0 && n < 64);
		snprintf(names[n++], sizeof names[0], "%.60s:%d ", e->d_name, e->d_type);
	}
	qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < n; i++)
		strncat(out, names[i], cap - strlen(out) - 1);
}

static int count;
static int nftw_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)p, (void)st, (void)f;
	count += type == FTW_F ? 1 : type == FTW_D ? 100 : type == FTW_SL ? 10000 : type == FTW_DP ? 1000000 : 0;
	return 0;
}
static int ftw_cb(const char *p, const struct stat *st, int type)
{
	return nftw_cb(p, st, type, NULL);
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2");
	char a[PATH_MAX], b[PATH_MAX], la[4096], lb[4096];
	const char *dirs[] = { "", "sub", "sub/deeper", "emptyd", "dln" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		DIR *da = opendir(ct_path(0, dirs[i], a)), *db = opendir(ct_path(1, dirs[i], b));
		ASSERT(da && db);
		listing(da, la, sizeof la);
		listing(db, lb, sizeof lb);
		if (strcmp(la, lb)) {
			fprintf(stderr, "%s:\n original %s\n mount    %s\n", dirs[i], la, lb);
			return 1;
		}
		ASSERT(closedir(da) == 0 && closedir(db) == 0);
	}
	errno = 0;
	ASSERT(!opendir(CT_MNT "/a.txt") && errno == ENOTDIR);
	ASSERT(!opendir(CT_MNT "/nothere") && errno == ENOENT);

	/* fdopendir: dirfd gives the fd back, rewinddir restarts, closedir closes it */
	int fd = open(CT_MNT "/sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fdopendir(dup);
	ASSERT(d && dirfd(d) == dup);
	int n1 = 0, n2 = 0;
	while (readdir64(d))
		n1++;
	rewinddir(d);
	long pos = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (n2++ == 1)
			pos = telldir(d);
	}
	ASSERT(n1 == 4 && n2 == 4);   /* . .. b.bin deeper */
	seekdir(d, pos);
	ASSERT(readdir(d) != NULL);
	struct dirent ent, *res;
	rewinddir(d);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	ASSERT(readdir_r(d, &ent, &res) == 0 && res == &ent && !strcmp(ent.d_name, "."));
#pragma GCC diagnostic pop
	ASSERT(closedir(d) == 0);
	ASSERT(fcntl(dup, F_GETFD) < 0 && errno == EBADF);   /* closed with the stream */
	ASSERT(fcntl(fd, F_GETFD) == FD_CLOEXEC);             /* the original fd lives on */
	ASSERT(!fdopendir(open(CT_MNT "/a.txt", O_RDONLY)) && errno == ENOTDIR);
	close(fd);

	struct dirent **list;
	int n = scandir(CT_MNT "/sub", &list, NULL, alphasort);
	ASSERT(n == 4 && !strcmp(list[2]->d_name, "b.bin") && !strcmp(list[3]->d_name, "deeper"));
	while (n--)
		free(list[n]);
	free(list);
	fd = open(CT_MNT, O_RDONLY | O_DIRECTORY);
	n = scandirat(fd, "sub/deeper", &list, NULL, alphasort);
	ASSERT(n == 3 && !strcmp(list[2]->d_name, "c.txt"));
	while (n--)
		free(list[n]);
	free(list);
	close(fd);

	glob_t g;
	ASSERT(glob(CT_MNT "/s*/*.bin", 0, NULL, &g) == 0 && g.gl_pathc == 1 &&
	       !strcmp(g.gl_pathv[0], CT_MNT "/sub/b.bin"));
	globfree(&g);
	ASSERT(glob(CT_MNT "/*", GLOB_MARK, NULL, &g) == 0 && g.gl_pathc == 10);
	globfree(&g);

	count = 0;
	ASSERT(nftw(ct_path(0, "", a), nftw_cb, 8, FTW_PHYS) == 0);
	int want = count;
	count = 0;
	ASSERT(nftw(CT_MNT, nftw_cb, 8, FTW_PHYS) == 0 && count == want);
	count = 0;
	ASSERT(nftw(ct_path(0, "sub", a), nftw_cb, 8, FTW_PHYS | FTW_DEPTH) == 0);
	want = count;
	count = 0;
	ASSERT(nftw(CT_MNT "/sub", nftw_cb, 8, FTW_PHYS | FTW_DEPTH) == 0 && count == want);
	count = 0;
	ASSERT(ftw(CT_MNT "/sub", ftw_cb, 8) == 0 && count == 2 * 100 + 2);
	return ct_done();
}
