/* scan.c - find what to pack: walk a directory, or read a find(1) listing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prep.h"

#define SHOW 1024

static int push(struct prep_tree *t, const char *rel, size_t rlen, const struct stat *st,
		const char *target, size_t tlen)
{
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 1024;
		struct prep_ent *v = realloc(t->v, c * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = c;
	}
	struct prep_ent *e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = malloc(rlen + 1)))
		return -1;
	memcpy(e->name, rel, rlen);
	e->name[rlen] = 0;
	e->name_len = (uint32_t)rlen;
	e->mode = st->st_mode & (S_IFMT | 07777);
	e->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	e->mtime_sec = st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	if (target) {
		if (!(e->target = malloc(tlen + 1))) {
			free(e->name);
			return -1;
		}
		memcpy(e->target, target, tlen);
		e->target[tlen] = 0;
		e->size = tlen;
	}
	t->n++;
	return 0;
}

/* A bad entry: fail, or with --skip-bad warn and go on.  0 = skipped. */
static int bad(struct prep_tree *t, const struct prep_opts *o, const char *rel, size_t rlen,
	       const char *why)
{
	char s[SHOW];
	prep_show(rel, rlen, s, sizeof(s));
	t->nbad++;
	if (o->skip_bad) {
		prep_warn("skipping %s: %s", s, why);
		return 0;
	}
	prep_err("%s: %s (fix it, or pass --skip-bad to skip such entries)", s, why);
	return -1;
}

static int nomem(void)
{
	prep_err("out of memory while scanning the dataset");
	return -1;
}

static int readable(int dfd, const char *name, int follow)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Where a symlink at rel with target tgt points, relative to the root;
 * into out.  Returns 1 when inside (out holds the target to store), 0 when
 * outside. */
static int link_inside(const struct prep_tree *t, const char *rel, const char *tgt, char *out,
		       size_t cap)
{
	size_t depth = 0;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	if (tgt[0] == '/') {
		size_t rl = strlen(t->rootreal);
		const char *rest;
		if (strcmp(t->rootreal, "/") == 0)
			rest = tgt + 1;
		else if (strncmp(tgt, t->rootreal, rl) == 0 && (tgt[rl] == '/' || tgt[rl] == 0))
			rest = tgt + rl + (tgt[rl] == '/');
		else
			return 0;
		char canon[PATH_MAX];
		if (fs_path_canon(*rest ? rest : ".", canon, sizeof(canon), NULL) < 0)
			return 0;
		/* rewrite as a relative target: "../" per directory level */
		size_t o = 0;
		for (size_t i = 0; i < depth; i++) {
			if (o + 3 >= cap)
				return 0;
			memcpy(out + o, "../", 3);
			o += 3;
		}
		if (strcmp(canon, ".") == 0) {
			if (o)
				o--;   /* drop the last '/' */
			else
				out[o++] = '.';
		} else {
			size_t cl = strlen(canon);
			if (o + cl >= cap)
				return 0;
			memcpy(out + o, canon, cl);
			o += cl;
		}
		out[o] = 0;
		return 1;
	}
	char joined[2 * PATH_MAX + 2], canon[2 * PATH_MAX + 2];
	const char *slash = strrchr(rel, '/');
	size_t dl = slash ? (size_t)(slash - rel) : 0;
	if (dl + strlen(tgt) + 2 > sizeof(joined))
		return 0;
	memcpy(joined, rel, dl);
	joined[dl] = dl ? '/' : 0;
	strcpy(joined + dl + (dl ? 1 : 0), tgt);
	if (fs_path_canon(joined, canon, sizeof(canon), NULL) < 0)
		return 0;
	if (strcmp(canon, "..") == 0 || strncmp(canon, "../", 3) == 0)
		return 0;
	if (strlen(tgt) >= cap)
		return 0;
	strcpy(out, tgt);
	return 1;
}

static int add_link(struct prep_tree *t, const struct prep_opts *o, int dfd, const char *name,
		    const char *rel, size_t rlen, const struct stat *st)
{
	char tgt[PATH_MAX], kept[PATH_MAX], s[SHOW], ts[SHOW];
	ssize_t k = readlinkat(dfd, name, tgt, sizeof(tgt) - 1);
	if (k < 0)
		return bad(t, o, rel, rlen, "cannot read the symlink");
	tgt[k] = 0;
	if (link_inside(t, rel, tgt, kept, sizeof(kept))) {
		if (push(t, rel, rlen, st, kept, strlen(kept)) < 0)
			return nomem();
		t->nlinks++;
		return 0;
	}
	/* outside the dataset: a link to a regular file is packed as that file */
	struct stat fst;
	if (fstatat(dfd, name, &fst, 0) == 0 && S_ISREG(fst.st_mode)) {
		if (readable(dfd, name, 1) < 0)
			return bad(t, o, rel, rlen, "the file this symlink points to cannot be read");
		if (push(t, rel, rlen, &fst, NULL, 0) < 0)
			return nomem();
		t->v[t->n - 1].follow = 1;
		t->nfiles++;
		t->bytes += (uint64_t)fst.st_size;
		return 0;
	}
	prep_warn("skipping symlink %s -> %s: it points outside the dataset and not to a regular file",
		  prep_show(rel, rlen, s, sizeof(s)), prep_show(tgt, (size_t)k, ts, sizeof(ts)));
	t->nskipped++;
	return 0;
}

static const char *type_name(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : "of an unknown type";
}

static int walk(struct prep_tree *t, const struct prep_opts *o, int dfd, char *rel, size_t rlen);

/* One entry named `name` in directory dfd, at relative path rel. */
static int classify(struct prep_tree *t, const struct prep_opts *o, int dfd, const char *name,
		    char *rel, size_t rlen, int recurse)
{
	struct stat st;
	char s[SHOW];
	if (rlen > FS_NAME_MAX)
		return bad(t, o, rel, rlen, "path longer than 4095 bytes");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return bad(t, o, rel, rlen, errno == ENOENT ? "does not exist" : strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if (readable(dfd, name, 0) < 0)
			return bad(t, o, rel, rlen, strerror(errno));
		if (push(t, rel, rlen, &st, NULL, 0) < 0)
			return nomem();
		t->nfiles++;
		t->bytes += (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISLNK(st.st_mode))
		return add_link(t, o, dfd, name, rel, rlen, &st);
	if (S_ISDIR(st.st_mode)) {
		if (push(t, rel, rlen, &st, NULL, 0) < 0)
			return nomem();
		t->ndirs++;
		if (!recurse)
			return 0;
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return bad(t, o, rel, rlen, strerror(errno));
		int r = walk(t, o, sub, rel, rlen);
		close(sub);
		return r;
	}
	prep_warn("skipping %s: it is %s (only files, directories and symlinks are packed)",
		  prep_show(rel, rlen, s, sizeof(s)), type_name(st.st_mode));
	t->nskipped++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Children of dfd in name order; rel (room for FS_NAME_MAX + NAME_MAX + 2)
 * holds the directory's path, restored on return. */
static int walk(struct prep_tree *t, const struct prep_opts *o, int dfd, char *rel, size_t rlen)
{
	int fd2 = dup(dfd);
	DIR *d = fd2 < 0 ? NULL : fdopendir(fd2);
	if (!d) {
		if (fd2 >= 0)
			close(fd2);
		return bad(t, o, rlen ? rel : ".", rlen ? rlen : 1, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				r = nomem();
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = nomem();
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0 && n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t nl = strlen(names[i]);
		size_t l = rlen + (rlen ? 1 : 0) + nl;
		if (l > FS_NAME_MAX) {
			r = bad(t, o, rel, rlen, "holds an entry whose path is longer than 4095 bytes");
			continue;
		}
		if (rlen)
			rel[rlen] = '/';
		memcpy(rel + rlen + (rlen ? 1 : 0), names[i], nl + 1);
		r = classify(t, o, dfd, names[i], rel, l, 1);
		rel[rlen] = 0;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int open_root(struct prep_tree *t, const char *dir)
{
	memset(t, 0, sizeof(*t));
	t->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0) {
		int e = errno;
		prep_err("%s: cannot open the dataset directory: %s%s", dir, strerror(e),
			 e == ENOENT ? " (check the path)" : "");
		return -1;
	}
	if (!(t->rootreal = realpath(dir, NULL))) {
		prep_err("%s: cannot resolve the dataset directory: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct prep_ent *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* Sort by name and drop repeated names (a listing may repeat a path). */
static void sort_unique(struct prep_tree *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	size_t o = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (o && strcmp(t->v[o - 1].name, t->v[i].name) == 0) {
			free(t->v[i].name);
			free(t->v[i].target);
			continue;
		}
		t->v[o++] = t->v[i];
	}
	t->n = o;
}

static int check_bcast(struct prep_tree *t, const struct prep_opts *o)
{
	for (size_t i = 0; i < o->nbcast; i++) {
		char c[PATH_MAX];
		long l = fs_path_canon(o->bcast[i], c, sizeof(c), NULL);
		struct prep_ent key = {.name = c};
		struct prep_ent *e = l < 0 || c[0] == '/' || !strcmp(c, ".") || !strncmp(c, "..", 2) ?
			NULL : bsearch(&key, t->v, t->n, sizeof(*t->v), ent_cmp);
		if (!e || !S_ISDIR(e->mode)) {
			prep_err("broadcast directory '%s' is not a directory inside the dataset %s "
				 "(give it relative to the dataset root)", o->bcast[i], o->dataset);
			return -1;
		}
	}
	return 0;
}

int prep_scan_dir(struct prep_tree *t, const struct prep_opts *o)
{
	if (open_root(t, o->dataset) < 0)
		return -1;
	char *rel = calloc(1, FS_NAME_MAX + NAME_MAX + 2);
	if (!rel)
		return nomem();
	int r = walk(t, o, t->rootfd, rel, 0);
	free(rel);
	if (r < 0)
		return -1;
	sort_unique(t);
	return check_bcast(t, o);
}

/* Listing lines name entries; their parent directories are recorded too.
 * Candidates (every prefix of each distinct parent) are sorted and made
 * unique, then looked up in the sorted entries: O(n log n). */
static int add_parents(struct prep_tree *t, const struct prep_opts *o)
{
	char **cand = NULL;
	size_t nc = 0, cc = 0, n0 = t->n;
	const char *last = NULL;
	size_t lastlen = 0;
	int r = 0;
	for (size_t i = 0; i < n0 && r == 0; i++) {
		const char *name = t->v[i].name, *slash = strrchr(name, '/');
		size_t dl = slash ? (size_t)(slash - name) : 0;
		if (!dl || (last && dl == lastlen && memcmp(name, last, dl) == 0))
			continue;
		last = name;
		lastlen = dl;
		for (size_t k = 0; k <= dl; k++) {
			if (k != dl && name[k] != '/')
				continue;
			if (nc == cc) {
				cc = cc ? 2 * cc : 256;
				char **nn = realloc(cand, cc * sizeof(*nn));
				if (!nn) {
					r = nomem();
					break;
				}
				cand = nn;
			}
			if (!(cand[nc] = strndup(name, k))) {
				r = nomem();
				break;
			}
			nc++;
		}
	}
	if (r == 0 && nc > 1)
		qsort(cand, nc, sizeof(*cand), cmp_str);
	for (size_t i = 0; i < nc && r == 0; i++) {
		if (i && strcmp(cand[i], cand[i - 1]) == 0)
			continue;
		struct prep_ent key = {.name = cand[i]};
		if (bsearch(&key, t->v, n0, sizeof(*t->v), ent_cmp))
			continue;
		struct stat st;
		if (fstatat(t->rootfd, cand[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			r = bad(t, o, cand[i], strlen(cand[i]), "parent is not a directory");
		else if (push(t, cand[i], strlen(cand[i]), &st, NULL, 0) < 0)
			r = nomem();
		else
			t->ndirs++;
	}
	for (size_t i = 0; i < nc; i++)
		free(cand[i]);
	free(cand);
	if (r < 0)
		return -1;
	sort_unique(t);
	return 0;
}

int prep_scan_list(struct prep_tree *t, const struct prep_opts *o)
{
	if (open_root(t, ".") < 0)
		return -1;
	FILE *f = fopen(o->filelist, "re");
	if (!f) {
		prep_err("%s: cannot open the file list: %s", o->filelist, strerror(errno));
		return -1;
	}
	struct stat lst;
	fstat(fileno(f), &lst);
	char *line = NULL, c[PATH_MAX + 1];
	size_t lcap = 0;
	ssize_t k;
	unsigned long lineno = 0;
	int r = 0;
	size_t rl = strlen(t->rootreal);
	while (r == 0 && (k = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r'))
			line[--k] = 0;
		if (k == 0)
			continue;
		char why[128];
		long l = fs_path_canon(line, c, sizeof(c), NULL);
		if (l < 0) {
			snprintf(why, sizeof(why), "line %lu of %s: path too long", lineno, o->filelist);
			r = bad(t, o, line, (size_t)k, why);
			continue;
		}
		char *rel = c;
		if (c[0] == '/') {
			if (strcmp(t->rootreal, "/") == 0)
				rel = c + 1;
			else if (strncmp(c, t->rootreal, rl) == 0 && (c[rl] == '/' || c[rl] == 0))
				rel = c + rl + (c[rl] == '/');
			else {
				snprintf(why, sizeof(why),
					 "line %lu of %s: absolute path outside the dataset root (the current directory)",
					 lineno, o->filelist);
				r = bad(t, o, line, (size_t)k, why);
				continue;
			}
			if (!*rel)
				continue;
		}
		if (!strcmp(rel, "."))
			continue;
		if (!strcmp(rel, "..") || !strncmp(rel, "../", 3)) {
			snprintf(why, sizeof(why), "line %lu of %s: path escapes the dataset root",
				 lineno, o->filelist);
			r = bad(t, o, line, (size_t)k, why);
			continue;
		}
		struct stat st;
		if (fstatat(t->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == lst.st_dev && st.st_ino == lst.st_ino)
			continue;   /* the listing itself */
		if (fstatat(t->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(why, sizeof(why), "listed on line %lu of %s: %s", lineno, o->filelist,
				 errno == ENOENT ? "does not exist" : strerror(errno));
			r = bad(t, o, rel, strlen(rel), why);
			continue;
		}
		r = classify(t, o, t->rootfd, rel, rel, strlen(rel), 0);
	}
	if (r == 0 && ferror(f)) {
		prep_err("%s: read error", o->filelist);
		r = -1;
	}
	free(line);
	fclose(f);
	if (r < 0)
		return -1;
	sort_unique(t);
	if (add_parents(t, o) < 0)
		return -1;
	return check_bcast(t, o);
}

void prep_tree_release(struct prep_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].target);
	}
	free(t->v);
	free(t->rootreal);
	if (t->rootfd > 0)
		close(t->rootfd);
	memset(t, 0, sizeof(*t));
	t->rootfd = -1;
}
