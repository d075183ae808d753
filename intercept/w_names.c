/*
 * w_names.c - names and the working directory: readlink, realpath,
 * chdir/fchdir/getcwd.  chdir into the tree is virtual: the kernel's cwd
 * stays where it was, getcwd reports the virtual one, relative paths
 * resolve against it, and exec passes it on in FANSTORE_CWD.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

static ssize_t vreadlink(int dirfd, const char *path, char *buf, size_t n, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	r->dirfd = dirfd;
	r->path = path;
	if (!c || fsi_resolve(c, dirfd, path, FSI_NOFOLLOW, r) == FSI_OUT)
		return -2;
	if (r->kind == FSI_ERR)
		return fsi_fail(r->err);
	const struct fs_ment *e = fsi_ent(c, (uint64_t)r->ent);
	if (!S_ISLNK(e->mode))
		return fsi_fail(EINVAL);
	size_t k = e->size < n ? e->size : n;
	memcpy(buf, c->img.names + e->off, k);
	return (ssize_t)k;
}

ssize_t readlink(const char *path, char *buf, size_t n)
{
	struct fsi_res r;
	ssize_t k = vreadlink(AT_FDCWD, path, buf, n, &r);
	return k != -2 ? k : fsi_real.readlink(r.path, buf, n);
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	struct fsi_res r;
	ssize_t k = vreadlink(dirfd, path, buf, n, &r);
	return k != -2 ? k : fsi_real.readlinkat(r.dirfd, r.path, buf, n);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t n, size_t buflen)
{
	struct fsi_res r;
	ssize_t k = n <= buflen ? vreadlink(AT_FDCWD, path, buf, n, &r) : -2;
	return k != -2 ? k : fsi_real.__readlink_chk(n <= buflen ? r.path : path, buf, n, buflen);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t buflen)
{
	struct fsi_res r;
	ssize_t k = n <= buflen ? vreadlink(dirfd, path, buf, n, &r) : -2;
	if (k != -2)
		return k;
	return n <= buflen ? fsi_real.__readlinkat_chk(r.dirfd, r.path, buf, n, buflen)
			   : fsi_real.__readlinkat_chk(dirfd, path, buf, n, buflen);
}

/* realpath for a path in the tree: 1 done (*out set or NULL + errno),
 * 0 forward r->path. */
static int vrealpath(const char *path, char *resolved, char **out, struct fsi_res *r)
{
	struct fsi_ctx *c = fsi_enter();
	r->path = path;
	if (!c || !path || fsi_resolve(c, AT_FDCWD, path, 0, r) == FSI_OUT)
		return 0;
	*out = NULL;
	if (r->kind == FSI_ERR)
		return errno = r->err, 1;
	char buf[PATH_MAX];
	if (fsi_ent_path(c, (uint64_t)r->ent, buf, sizeof buf) < 0)
		return 1;
	if (resolved) {
		memcpy(resolved, buf, strlen(buf) + 1);
		*out = resolved;
	} else if (!(*out = strdup(buf))) {
		errno = ENOMEM;
	}
	return 1;
}

char *realpath(const char *path, char *resolved)
{
	struct fsi_res r;
	char *out;
	return vrealpath(path, resolved, &out, &r) ? out : fsi_real.realpath(r.path, resolved);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	struct fsi_res r;
	char *out;
	if (resolvedlen < PATH_MAX)
		return fsi_real.__realpath_chk(path, resolved, resolvedlen);
	return vrealpath(path, resolved, &out, &r) ? out
						  : fsi_real.__realpath_chk(r.path, resolved, resolvedlen);
}

char *canonicalize_file_name(const char *path)
{
	struct fsi_res r;
	char *out;
	return vrealpath(path, NULL, &out, &r) ? out : fsi_real.canonicalize_file_name(r.path);
}

/* A vfork child (Python's subprocess with cwd=) shares our memory: its
 * chdir goes here, tagged with its pid, never into the parent's state. */
static char vfork_cwd[PATH_MAX];
static pid_t vfork_cwd_pid;

const char *fsi_exec_cwd(struct fsi_ctx *c)
{
	if (fsi_in_vfork(c) && vfork_cwd_pid == (pid_t)syscall(SYS_getpid))
		return vfork_cwd[0] ? vfork_cwd : NULL;
	return atomic_load(&c->vcwd);
}

static int vfork_chdir(struct fsi_ctx *c, int64_t i)
{
	if (i >= 0 && !fsi_is_dir(c, (uint64_t)i))
		return fsi_fail(ENOTDIR);
	if (i < 0)
		vfork_cwd[0] = 0;
	else if (fsi_ent_path(c, (uint64_t)i, vfork_cwd, sizeof vfork_cwd) < 0)
		return -1;
	vfork_cwd_pid = (pid_t)syscall(SYS_getpid);
	return 0;
}

/* Make entry i the virtual cwd.  Old strings are kept: another thread may
 * be reading one (chdir is rare). */
static int set_vcwd(struct fsi_ctx *c, int64_t i)
{
	if (fsi_in_vfork(c))
		return vfork_chdir(c, i);
	if (!fsi_is_dir(c, (uint64_t)i))
		return fsi_fail(ENOTDIR);
	char *p = malloc(PATH_MAX);
	if (!p)
		return fsi_fail(ENOMEM);
	if (fsi_ent_path(c, (uint64_t)i, p, PATH_MAX) < 0) {
		free(p);
		return -1;
	}
	atomic_store(&c->vcwd, p);
	return 0;
}

/* A real chdir succeeded: no virtual cwd any more. */
static void leave_tree(struct fsi_ctx *c)
{
	if (fsi_in_vfork(c))
		vfork_chdir(c, -1);
	else
		atomic_store(&c->vcwd, NULL);
}

int chdir(const char *path)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_res r;
	if (!c)
		return fsi_real.chdir(path);
	switch (fsi_resolve(c, AT_FDCWD, path, 0, &r)) {
	case FSI_ERR:
		return fsi_fail(r.err);
	case FSI_IN:
		return set_vcwd(c, r.ent);
	default: {
		int rc = fsi_real.chdir(r.path);
		if (rc == 0)
			leave_tree(c);
		return rc;
	}
	}
}

int fchdir(int fd)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f) {
		int rc = fsi_real.fchdir(fd);
		if (rc == 0 && c)
			leave_tree(c);
		return rc;
	}
	int rc = set_vcwd(c, f->ent);
	fsi_file_put(&f);
	return rc;
}

/* getcwd from the virtual cwd: 1 done (*out), 0 forward. */
static int vgetcwd(char *buf, size_t size, char **out)
{
	struct fsi_ctx *c = fsi_enter();
	const char *v = c ? atomic_load(&c->vcwd) : NULL;
	if (!v)
		return 0;
	size_t n = strlen(v) + 1;
	*out = NULL;
	if (!buf) {
		if (size && size < n)
			return errno = ERANGE, 1;
		if ((*out = malloc(size > n ? size : n)) != NULL)
			memcpy(*out, v, n);
		return 1;
	}
	if (size < n)
		return errno = size ? ERANGE : EINVAL, 1;
	memcpy(buf, v, n);
	*out = buf;
	return 1;
}

char *getcwd(char *buf, size_t size)
{
	char *out;
	return vgetcwd(buf, size, &out) ? out : fsi_real.getcwd(buf, size);
}

char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	char *out;
	if (size > buflen)
		return fsi_real.__getcwd_chk(buf, size, buflen);
	return vgetcwd(buf, size, &out) ? out : fsi_real.__getcwd_chk(buf, size, buflen);
}

char *get_current_dir_name(void)
{
	char *out;
	return vgetcwd(NULL, 0, &out) ? out : fsi_real.get_current_dir_name();
}
