/*
 * path.c - classify a (dirfd, path) pair: outside the mount (forward),
 * an entry of the image, or the error the kernel would give.
 *
 * Paths are made absolute against the virtual cwd or a virtual dirfd,
 * canonicalised (fs_path_canon) and looked up in O(1).  Only when the
 * whole path is not found do we walk it component by component, to
 * follow symlinks of the dataset and to tell ENOENT from ENOTDIR.  A path
 * with "." or ".." components is walked component by component from the
 * start (careful()), as the kernel does: what precedes them must exist
 * and be a directory.
 */
#include <string.h>
#include <sys/syscall.h>

#include "fsi.h"

/* A damaged entry of the image is refused with EIO where it is reached,
 * as a disk refuses a bad sector; the first few are reported. */
static void damaged(struct fsi_ctx *c, const struct fs_err *err)
{
	static _Atomic unsigned said;
	unsigned n = atomic_fetch_add(&said, 1);
	if (n < 8)
		fsi_log("%s/%s: %s; the metadata image is damaged there (EIO)%s", c->jobdir,
			FS_JOB_IMAGE, err->msg, n == 7 ? "; later damage is not reported" : "");
}

int64_t fsi_lookup(struct fsi_ctx *c, const char *rel, size_t len)
{
	struct fs_err err;
	int64_t i = fs_image_lookup(&c->img, rel, len, &err);
	if (__builtin_expect(i == FS_IMG_DAMAGED, 0))
		damaged(c, &err);
	return i;
}

int64_t fsi_child(struct fsi_ctx *c, uint64_t dir, uint64_t k)
{
	struct fs_err err;
	int64_t i = fs_image_child(&c->img, dir, k, &err);
	if (__builtin_expect(i == FS_IMG_DAMAGED, 0))
		damaged(c, &err);
	return i;
}

static enum fsi_kind fin(struct fsi_res *r, enum fsi_kind k, int err, int64_t ent)
{
	r->kind = k;
	r->err = err;
	r->ent = ent;
	return k;
}

/* The common case: an absolute path under the mount with no "//", "/.",
 * or trailing '/' that names an entry (not a link to follow) needs no
 * canonicalisation or walk. */
static inline int plain_hit(struct fsi_ctx *c, const char *p, int flags, struct fsi_res *r)
{
	if (!fsi_maybe_under(c, p))
		return 0;
	const char *rel = p + c->mlen + (p[c->mlen] == '/');
	size_t len = 0;
	for (const char *s = rel; *s; s++, len++)
		if (*s == '/' && (s[1] == '/' || s[1] == '.' || s[1] == 0))
			return 0;
	if (len >= PATH_MAX - c->mlen - 1 || (rel[0] == '.' || rel[0] == '/'))
		return 0;
	int64_t i = fsi_lookup(c, rel, len);
	if (i == FS_IMG_DAMAGED) {
		fin(r, FSI_ERR, EIO, -1);
		return 1;
	}
	if (i < 0 || (S_ISLNK(fsi_ent(c, (uint64_t)i)->mode) && !(flags & FSI_NOFOLLOW)))
		return 0;
	fin(r, FSI_IN, 0, i);
	return 1;
}

static inline int has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == 0))
			return 1;
	return 0;
}

int fsi_ent_path(struct fsi_ctx *c, uint64_t i, char *out, size_t cap)
{
	const struct fs_ment *e = fsi_ent(c, i);
	int n = e->name_len ? snprintf(out, cap, "%s/%.*s", c->mount, (int)e->name_len,
				       fs_image_name(&c->img, e))
			    : snprintf(out, cap, "%s", c->mount);
	return n < 0 || (size_t)n >= cap ? fsi_fail(ENAMETOOLONG) : 0;
}

int64_t fsi_ent_parent(struct fsi_ctx *c, uint64_t i)
{
	const struct fs_ment *e = fsi_ent(c, i);
	const char *name = fs_image_name(&c->img, e);
	size_t n = e->name_len;
	while (n > 0 && name[n - 1] != '/')
		n--;
	int64_t p = fsi_lookup(c, name, n ? n - 1 : 0);
	return p == FS_IMG_DAMAGED ? fsi_fail(EIO) : p < 0 ? 0 : p;
}

/* Base directory for a relative path into out; 0, 1 when the path cannot
 * reach the tree (forward unchanged), -1 with r filled on error. */
static int rel_base(struct fsi_ctx *c, int dirfd, const char *path, char *out, size_t cap,
		    struct fsi_res *r, int *virt)
{
	if (dirfd == AT_FDCWD) {
		const char *v = atomic_load(&c->vcwd);
		if (v) {
			snprintf(out, cap, "%s", v);
			*virt = 1;
			return 0;
		}
		if (!has_dotdot(path))
			return 1;
		return syscall(SYS_getcwd, out, cap) > 0 && out[0] == '/' ? 0 : 1;
	}
	struct fsi_file *f = fsi_fd_get(dirfd);
	if (f) {
		int rc = 0;
		*virt = 1;
		if (!fsi_is_dir(c, f->ent)) {
			fin(r, FSI_ERR, ENOTDIR, -1);
			rc = -1;
		} else if (fsi_ent_path(c, f->ent, out, cap) < 0) {
			fin(r, FSI_ERR, ENAMETOOLONG, -1);
			rc = -1;
		}
		fsi_file_put(&f);
		return rc;
	}
	if (!has_dotdot(path))
		return 1;
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
	long n = syscall(SYS_readlink, proc, out, cap - 1);
	if (n <= 0 || out[0] != '/')
		return 1;
	out[n] = 0;
	return 0;
}

/* Walk rel (canonical, relative to the mount) component by component
 * after a failed whole-path lookup.  Returns the index of the first
 * symlink met on the way (*pre = its prefix length), or -1 with r set. */
static int64_t walk(struct fsi_ctx *c, const char *rel, size_t len, size_t *pre, struct fsi_res *r)
{
	size_t start = 0;
	for (;;) {
		size_t end = start;
		while (end < len && rel[end] != '/')
			end++;
		if (end - start > NAME_MAX)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1), -1;
		int64_t i = fsi_lookup(c, rel, end);
		if (i < 0)
			return fin(r, FSI_ERR, i == FS_IMG_DAMAGED ? EIO : ENOENT, -1), -1;
		const struct fs_ment *e = fsi_ent(c, (uint64_t)i);
		if (S_ISLNK(e->mode)) {
			*pre = end;
			return i;
		}
		if (end == len)  /* found after all: cannot happen for a failed lookup */
			return fin(r, FSI_IN, 0, i), -1;
		if (!S_ISDIR(e->mode))
			return fin(r, FSI_ERR, ENOTDIR, -1), -1;
		start = end + 1;
	}
}

/* Replace the first pre bytes of rel (a symlink, entry i) by its target:
 * builds a new absolute path into out. */
static int splice_link(struct fsi_ctx *c, int64_t i, const char *rel, size_t pre, size_t len,
		       char *out, size_t cap)
{
	const struct fs_ment *e = fsi_ent(c, (uint64_t)i);
	const char *target = c->img.names + e->off;
	size_t dlen = pre;
	while (dlen > 0 && rel[dlen - 1] != '/')
		dlen--;
	int n;
	if (target[0] == '/')
		n = snprintf(out, cap, "%s%.*s", target, (int)(len - pre), rel + pre);
	else
		n = snprintf(out, cap, "%s/%.*s%s%.*s", c->mount, (int)dlen, rel, target,
			     (int)(len - pre), rel + pre);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Does the absolute path p have a "." or ".." component? */
static inline int has_dot_comp(const char *p)
{
	for (const char *s = p; (s = strstr(s, "/.")) != NULL; s++) {
		const char *t = s[2] == '.' ? s + 3 : s + 2;
		if (*t == '/' || *t == 0)
			return 1;
	}
	return 0;
}

/* The next component of p: *s, *n bytes; returns what follows it, or
 * NULL at the end. */
static inline const char *next_comp(const char *p, const char **s, size_t *n)
{
	p += strspn(p, "/");
	if (!*p)
		return NULL;
	*n = strcspn(p, "/");
	*s = p;
	return p + *n;
}

#define CUR_OUT (-1)       /* outside the mount */
#define CUR_MISSING (-2)   /* inside, but no such entry */
#define CUR_DAMAGED (-3)   /* the image is damaged there */

/* The entry named by the canonical absolute path cur (cl bytes), or one
 * of the CUR_ values. */
static int64_t cur_ent(struct fsi_ctx *c, const char *cur, size_t cl)
{
	if (cl < c->mlen || memcmp(cur, c->mount, c->mlen) != 0 ||
	    (cl > c->mlen && cur[c->mlen] != '/'))
		return CUR_OUT;
	size_t off = cl > c->mlen ? c->mlen + 1 : c->mlen;
	int64_t i = fsi_lookup(c, cur + off, cl - off);
	return i == FS_IMG_DAMAGED ? CUR_DAMAGED : i < 0 ? CUR_MISSING : i;
}

/* Resolve the absolute path src component by component, as the kernel
 * does: every component before "." or ".." or a '/' must be a directory
 * (symlinks followed), ".." goes to the parent of what was reached.
 * Parts outside the mount are taken lexically.  cur is built in r->buf. */
static enum fsi_kind careful(struct fsi_ctx *c, const char *path, const char *src, int flags,
			     int loops, int virt, struct fsi_res *r)
{
	char work[FSI_PATH_MAX];
	size_t wl = strlen(src);
	if (wl >= sizeof work)
		return fin(r, FSI_ERR, ENAMETOOLONG, -1);
	memcpy(work, src, wl + 1);
	char *cur = r->buf;
	size_t cl = 0;
	cur[0] = 0;
	int64_t ent = CUR_OUT;   /* entry reached, or outside the mount */
	const char *p = work;
	const char *s;
	size_t n;
	while ((p = next_comp(p, &s, &n)) != NULL) {
		const char *q = p + strspn(p, "/");
		int last = *q == 0;
		if (last && p != q)
			r->trailing = 1;
		if (ent >= 0 && !fsi_is_dir(c, (uint64_t)ent))
			return fin(r, FSI_ERR, ENOTDIR, -1);
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (cl > 0 && cur[cl - 1] != '/')
				cl--;
			cl = cl > 0 ? cl - 1 : 0;
			cur[cl] = 0;
			if ((ent = cur_ent(c, cur, cl)) == CUR_DAMAGED)
				return fin(r, FSI_ERR, EIO, -1);
			continue;
		}
		if (ent >= 0 && n > NAME_MAX)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		if (cl + 1 + n >= PATH_MAX)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		cur[cl++] = '/';
		memcpy(cur + cl, s, n);
		cl += n;
		cur[cl] = 0;
		int64_t i = cur_ent(c, cur, cl);
		if (i == CUR_MISSING || i == CUR_DAMAGED)
			return fin(r, FSI_ERR, i == CUR_MISSING ? ENOENT : EIO, -1);
		ent = i;
		if (i < 0 || !S_ISLNK(fsi_ent(c, (uint64_t)i)->mode) ||
		    (last && (flags & FSI_NOFOLLOW) && !r->trailing))
			continue;
		/* a symlink of the dataset: go on from its target */
		if (++loops > FSI_LOOP_MAX)
			return fin(r, FSI_ERR, ELOOP, -1);
		const char *target = c->img.names + fsi_ent(c, (uint64_t)i)->off;
		size_t tl = strlen(target), rl = strlen(p);
		if (tl == 0)
			return fin(r, FSI_ERR, ENOENT, -1);
		if (tl + rl >= sizeof work)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		memmove(work + tl, p, rl + 1);   /* p is "" or starts with '/' */
		memcpy(work, target, tl);
		p = work;
		virt = 1;
		cl = target[0] == '/' ? 0 : cl - n - 1;
		cur[cl] = 0;
		if ((ent = cur_ent(c, cur, cl)) == CUR_DAMAGED)
			return fin(r, FSI_ERR, EIO, -1);
	}
	if (ent >= 0) {
		if (r->trailing && !fsi_is_dir(c, (uint64_t)ent))
			return fin(r, FSI_ERR, ENOTDIR, -1);
		return fin(r, FSI_IN, 0, ent);
	}
	if (cl == 0)
		memcpy(cur, "/", 2), cl = 1;
	if (virt || loops > 0 || (src == path && fsi_maybe_under(c, path))) {
		r->dirfd = AT_FDCWD;
		r->path = r->buf;
		if (r->trailing && cl > 1 && cl + 1 < sizeof r->buf)
			memcpy(r->buf + cl, "/", 2);
	}
	return FSI_OUT;
}

enum fsi_kind fsi_resolve_slow(struct fsi_ctx *c, int dirfd, const char *path, int flags,
			       struct fsi_res *r)
{
	char tmp[FSI_PATH_MAX];
	const char *src = path;
	int virt = 0;    /* the path was built from virtual state */
	r->dirfd = dirfd;
	r->path = path;
	r->trailing = 0;
	fin(r, FSI_OUT, 0, -1);
	if (!path)
		return FSI_OUT;
	if (path[0] == '/') {
		if (!fsi_maybe_in(c, path))
			return FSI_OUT;
		if (plain_hit(c, path, flags, r))
			return r->kind;
		if (strnlen(path, PATH_MAX) >= PATH_MAX)   /* the kernel checks this first */
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
	} else if (path[0] == 0) {
		struct fsi_file *f = fsi_fd_get(dirfd);
		if (!f)
			return FSI_OUT;
		int64_t e = f->ent;
		fsi_file_put(&f);
		return (flags & FSI_EMPTY) ? fin(r, FSI_IN, 0, e) : fin(r, FSI_ERR, ENOENT, -1);
	} else {
		int rc = rel_base(c, dirfd, path, tmp, PATH_MAX, r, &virt);
		if (rc)
			return rc > 0 ? FSI_OUT : r->kind;
		if (strnlen(path, PATH_MAX) >= PATH_MAX)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		size_t bl = strlen(tmp), pl = strlen(path);
		if (bl + 1 + pl >= sizeof tmp)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		tmp[bl] = '/';
		memcpy(tmp + bl + 1, path, pl + 1);
		src = tmp;
	}
	if (has_dot_comp(src))
		return careful(c, path, src, flags, 0, virt, r);
	for (int loops = 0;; loops++) {
		if (loops > FSI_LOOP_MAX)
			return fin(r, FSI_ERR, ELOOP, -1);
		int trailing = 0;
		long n = fs_path_canon(src, r->buf, PATH_MAX, &trailing);
		if (n < 0)
			return fin(r, FSI_ERR, ENAMETOOLONG, -1);
		r->trailing |= trailing;
		if (strncmp(r->buf, c->mount, c->mlen) != 0 ||
		    (r->buf[c->mlen] != '/' && r->buf[c->mlen] != 0)) {
			/* outside: the original path when the kernel can resolve it
			 * (it keeps its symlink semantics), else the canonical one */
			if (virt || loops > 0 || (src == path && fsi_maybe_under(c, path))) {
				r->dirfd = AT_FDCWD;
				r->path = r->buf;
				if (trailing && (size_t)n + 1 < sizeof r->buf)
					memcpy(r->buf + n, "/", 2);
			}
			return FSI_OUT;
		}
		const char *rel = r->buf + c->mlen + (r->buf[c->mlen] == '/');
		size_t len = (size_t)n - (size_t)(rel - r->buf);
		int64_t i = fsi_lookup(c, rel, len);
		size_t pre = len;
		if (i == FS_IMG_DAMAGED)
			return fin(r, FSI_ERR, EIO, -1);
		if (i < 0) {
			i = walk(c, rel, len, &pre, r);
			if (i < 0)
				return r->kind;
		}
		const struct fs_ment *e = fsi_ent(c, (uint64_t)i);
		int last = pre == len;
		if (S_ISLNK(e->mode) && (!last || !(flags & FSI_NOFOLLOW) || r->trailing)) {
			if (splice_link(c, i, rel, pre, len, tmp, sizeof tmp) < 0)
				return fin(r, FSI_ERR, ENAMETOOLONG, -1);
			if (has_dot_comp(tmp))
				return careful(c, path, tmp, flags, loops + 1, 1, r);
			src = tmp;
			virt = 1;
			continue;
		}
		if (r->trailing && !S_ISDIR(e->mode))
			return fin(r, FSI_ERR, ENOTDIR, -1);
		return fin(r, FSI_IN, 0, i);
	}
}

enum fsi_kind fsi_resolve_parent(struct fsi_ctx *c, int dirfd, const char *path,
				 struct fsi_res *r)
{
	enum fsi_kind k = fsi_resolve(c, dirfd, path, FSI_NOFOLLOW, r);
	if (k != FSI_ERR || r->err != ENOENT)
		return k;
	/* is the parent an existing directory of the tree? */
	char dir[FSI_PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = 0;
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	struct fsi_res *pr = malloc(sizeof *pr);
	if (!pr)
		return k;
	if (fsi_resolve(c, dirfd, dir, 0, pr) == FSI_IN && fsi_is_dir(c, (uint64_t)pr->ent))
		k = fin(r, FSI_IN, 0, -1);
	free(pr);
	return k;
}
