/*
 * w_walk.c - glibc's own walkers (scandir, glob, nftw, ftw) read
 * directories through internal calls; for the tree they are rebuilt here
 * on top of the wrapped opendir/readdir/stat.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

typedef int (*scan_filter)(const struct dirent *);
typedef int (*scan_cmp)(const struct dirent **, const struct dirent **);

/* scandir over our stream d (closed here). */
static int vscandir(DIR *d, struct dirent ***list, scan_filter filter, scan_cmp cmp)
{
	struct dirent **v = NULL, *de;
	size_t n = 0, cap = 0;
	int e = 0;
	while ((de = readdir(d)) != NULL) {
		if (filter && !filter(de))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			struct dirent **nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				e = ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = malloc(de->d_reclen))) {
			e = ENOMEM;
			break;
		}
		memcpy(v[n++], de, de->d_reclen);
	}
	closedir(d);
	if (e) {
		while (n)
			free(v[--n]);
		free(v);
		return fsi_fail(e);
	}
	if (cmp && n > 1)
		qsort(v, n, sizeof *v, (int (*)(const void *, const void *))cmp);
	*list = v;
	return (int)n;
}

/* A stream for (dirfd, path) when it is in the tree; -2 to forward. */
static int vscan_open(int dirfd, const char *path, DIR **d, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	r->dirfd = dirfd;
	r->path = path;
	if (!c || fsi_resolve(c, dirfd, path, 0, r) == FSI_OUT)
		return -2;
	if (r->kind == FSI_ERR)
		return fsi_fail(r->err);
	char p[PATH_MAX];
	if (fsi_ent_path(c, (uint64_t)r->ent, p, sizeof p) < 0 || !(*d = opendir(p)))
		return -1;
	return 0;
}

int scandir(const char *path, struct dirent ***list, scan_filter filter, scan_cmp cmp)
{
	struct fsi_res r;
	DIR *d;
	int rc = vscan_open(AT_FDCWD, path, &d, &r);
	return rc == -2 ? fsi_real.scandir(r.path, list, filter, cmp)
			: rc < 0 ? -1 : vscandir(d, list, filter, cmp);
}

int scandir64(const char *path, struct dirent64 ***list, int (*filter)(const struct dirent64 *),
	      int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	return scandir(path, (struct dirent ***)list, (scan_filter)filter, (scan_cmp)cmp);
}

int scandirat(int dirfd, const char *path, struct dirent ***list, scan_filter filter, scan_cmp cmp)
{
	struct fsi_res r;
	DIR *d;
	int rc = vscan_open(dirfd, path, &d, &r);
	return rc == -2 ? fsi_real.scandirat(r.dirfd, r.path, list, filter, cmp)
			: rc < 0 ? -1 : vscandir(d, list, filter, cmp);
}

int scandirat64(int dirfd, const char *path, struct dirent64 ***list,
		int (*filter)(const struct dirent64 *),
		int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	return scandirat(dirfd, path, (struct dirent ***)list, (scan_filter)filter, (scan_cmp)cmp);
}

/* glob: glibc's own directory access is replaced by ours (which forward
 * everything outside the tree) when the library is active. */
static void *g_opendir(const char *p) { return opendir(p); }
static void *g_readdir(void *d) { return readdir(d); }
static void g_closedir(void *d) { closedir(d); }
static int g_stat(const char *p, void *st) { return stat(p, st); }
static int g_lstat(const char *p, void *st) { return lstat(p, st); }

static int glob_ours(int flags)
{
	return fsi_enter() && !(flags & GLOB_ALTDIRFUNC);
}

int glob(const char *pat, int flags, int (*errfn)(const char *, int), glob_t *g)
{
	if (!glob_ours(flags))
		return fsi_real.glob(pat, flags, errfn, g);
	g->gl_opendir = g_opendir;
	g->gl_readdir = (struct dirent * (*)(void *)) g_readdir;
	g->gl_closedir = g_closedir;
	g->gl_stat = (int (*)(const char *, struct stat *))g_stat;
	g->gl_lstat = (int (*)(const char *, struct stat *))g_lstat;
	return fsi_real.glob(pat, flags | GLOB_ALTDIRFUNC, errfn, g);
}

int glob64(const char *pat, int flags, int (*errfn)(const char *, int), glob64_t *g)
{
	if (!glob_ours(flags))
		return fsi_real.glob64(pat, flags, errfn, g);
	g->gl_opendir = g_opendir;
	g->gl_readdir = (struct dirent64 * (*)(void *)) g_readdir;
	g->gl_closedir = g_closedir;
	g->gl_stat = (int (*)(const char *, struct stat64 *))g_stat;
	g->gl_lstat = (int (*)(const char *, struct stat64 *))g_lstat;
	return fsi_real.glob64(pat, flags | GLOB_ALTDIRFUNC, errfn, g);
}

/* nftw over the tree.  fn gets (path, stat, type, FTW) as glibc's. */
typedef int (*nftw_fn)(const char *, const struct stat *, int, struct FTW *);
typedef int (*ftw_fn)(const char *, const struct stat *, int);

struct walk {
	nftw_fn nfn;
	ftw_fn ffn;
	int flags;
	char path[PATH_MAX];
};

static int walk_call(struct walk *w, const struct stat *st, int type, struct FTW *ftw)
{
	return w->nfn ? w->nfn(w->path, st, type, ftw) : w->ffn(w->path, st, type);
}

static int walk_stop(const struct walk *w, int rc)
{
	return (w->flags & FTW_ACTIONRETVAL) ? rc == FTW_STOP : rc != 0;
}

static int walk(struct walk *w, size_t len, int level)
{
	struct stat st;
	struct FTW ftw = { .level = level };
	const char *slash = strrchr(w->path, '/');
	ftw.base = slash && slash[1] ? (int)(slash + 1 - w->path) : 0;
	int phys = w->flags & FTW_PHYS;
	int type, rc;
	if ((phys ? lstat(w->path, &st) : stat(w->path, &st)) < 0) {
		if (!phys && lstat(w->path, &st) == 0 && S_ISLNK(st.st_mode))
			type = FTW_SLN;
		else
			type = FTW_NS;
	} else {
		type = S_ISDIR(st.st_mode) ? FTW_D : S_ISLNK(st.st_mode) ? FTW_SL : FTW_F;
	}
	if (type != FTW_D)
		return walk_call(w, &st, type, &ftw);
	DIR *d = opendir(w->path);
	if (!d)
		return walk_call(w, &st, FTW_DNR, &ftw);
	if (!(w->flags & FTW_DEPTH)) {
		rc = walk_call(w, &st, FTW_D, &ftw);
		if (walk_stop(w, rc) || ((w->flags & FTW_ACTIONRETVAL) &&
					 (rc == FTW_SKIP_SUBTREE || rc == FTW_SKIP_SIBLINGS))) {
			closedir(d);
			return rc == FTW_SKIP_SUBTREE ? 0 : rc;
		}
	}
	struct dirent *de;
	rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t n = strlen(de->d_name);
		if (len + 1 + n >= sizeof w->path)
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		rc = walk(w, len + 1 + n, level + 1);
		w->path[len] = 0;
		if ((w->flags & FTW_ACTIONRETVAL) && rc == FTW_SKIP_SIBLINGS) {
			rc = 0;
			break;
		}
		if (walk_stop(w, rc))
			break;
	}
	closedir(d);
	if (!walk_stop(w, rc) && (w->flags & FTW_DEPTH))
		rc = walk_call(w, &st, FTW_DP, &ftw);
	return rc;
}

/* 1 when path is in the tree (then *rc is the result). */
static int walk_tree(const char *path, nftw_fn nfn, ftw_fn ffn, int flags, int *rc)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_res r;
	if (!c || fsi_resolve(c, AT_FDCWD, path, FSI_NOFOLLOW, &r) == FSI_OUT)
		return 0;
	if (r.kind == FSI_ERR) {
		*rc = fsi_fail(r.err);
		return 1;
	}
	struct walk *w = malloc(sizeof *w);
	if (!w) {
		*rc = fsi_fail(ENOMEM);
		return 1;
	}
	w->nfn = nfn;
	w->ffn = ffn;
	w->flags = flags & ~FTW_CHDIR;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	memcpy(w->path, path, n);
	w->path[n] = 0;
	*rc = walk(w, n, 0);
	free(w);
	return 1;
}

int nftw(const char *path, nftw_fn fn, int nfd, int flags)
{
	int rc;
	return walk_tree(path, fn, NULL, flags, &rc) ? rc : fsi_real.nftw(path, fn, nfd, flags);
}

int nftw64(const char *path, int (*fn)(const char *, const struct stat64 *, int, struct FTW *),
	   int nfd, int flags)
{
	int rc;
	return walk_tree(path, (nftw_fn)fn, NULL, flags, &rc) ? rc : fsi_real.nftw64(path, fn, nfd, flags);
}

int ftw(const char *path, ftw_fn fn, int nfd)
{
	int rc;
	return walk_tree(path, NULL, fn, 0, &rc) ? rc : fsi_real.ftw(path, fn, nfd);
}

int ftw64(const char *path, int (*fn)(const char *, const struct stat64 *, int), int nfd)
{
	int rc;
	return walk_tree(path, NULL, (ftw_fn)fn, 0, &rc) ? rc : fsi_real.ftw64(path, fn, nfd);
}
