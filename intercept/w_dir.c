/*
 * w_dir.c - directory streams.  Our DIR (struct fsi_dir) starts with the
 * fd like glibc's, so a stream is ours when the table's object for that
 * fd points back at it.
 */
#include <stdlib.h>
#include <string.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

static struct fsi_dir *dir_attach(struct fsi_file *f, int fd)
{
	struct fsi_dir *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->fd = fd;
	d->f = f;
	f->dir = d;
	return d;
}

/* Open the stream of a path in the tree (r resolved it). */
static DIR *opendir_serve(struct fsi_ctx *c, const struct fsi_res *r)
{
	if (r->kind == FSI_ERR)
		return errno = r->err, NULL;
	if (!fsi_is_dir(c, (uint64_t)r->ent))
		return errno = ENOTDIR, NULL;
	struct fsi_file *f = fsi_file_new((uint32_t)r->ent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct fsi_dir *d = f ? dir_attach(f, -1) : NULL;
	int fd = d ? fsi_newfd(c, 1) : -1;
	if (fd < 0) {
		int e = d ? errno : ENOMEM;
		fsi_file_put(&f);
		return errno = e, NULL;
	}
	d->fd = fd;
	if (fsi_fd_set(fd, f) < 0) {
		fsi_real.close(fd);
		return errno = ENOMEM, NULL;
	}
	return (DIR *)d;
}

DIR *opendir(const char *path)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_res r;
	if (!c)
		return fsi_real.opendir(path);
	uint64_t t0 = fsi_st_begin();
	if (fsi_resolve(c, AT_FDCWD, path, 0, &r) == FSI_OUT) {
		fsi_st_end(t0, 0);
		return fsi_real.opendir(r.path);
	}
	DIR *d = opendir_serve(c, &r);
	fsi_st_end(t0, 1);
	return d;
}

DIR *fdopendir(int fd)
{
	struct fsi_ctx *c = fsi_enter();
	struct fsi_file *f = c ? fsi_fd_get(fd) : NULL;
	if (!f)
		return fsi_real.fdopendir(fd);
	struct fsi_dir *d = NULL;
	int e = 0;
	if (!fsi_is_dir(c, f->ent) || (f->flags & O_PATH)) {
		e = (f->flags & O_PATH) ? EBADF : ENOTDIR;
	} else {
		/* a stream of its own: other dups of fd keep their object */
		struct fsi_file *nf = fsi_file_new(f->ent, f->flags);
		if (nf && (d = dir_attach(nf, fd)) != NULL)
			fsi_fd_set(fd, nf);
		else {
			fsi_file_put(&nf);
			e = ENOMEM;
		}
	}
	fsi_file_put(&f);
	return e ? (errno = e, NULL) : (DIR *)d;
}

/* Our stream behind d with a reference on its object, or NULL. */
static struct fsi_dir *ours(DIR *dp, struct fsi_ctx **cp, struct fsi_file **fp)
{
	struct fsi_ctx *c = *cp = fsi_enter();
	if (!c || !dp)
		return NULL;
	struct fsi_dir *d = (struct fsi_dir *)dp;
	struct fsi_file *f = fsi_fd_get(d->fd);
	if (f && f->dir == d) {
		*fp = f;
		return d;
	}
	fsi_file_put(&f);
	return NULL;
}

/* Fill d->de with entry number pos; 0 at the end, -1 with errno EIO
 * where the image is damaged. */
static int dir_entry(struct fsi_ctx *c, struct fsi_dir *d)
{
	int64_t idx;
	const char *name;
	size_t len;
	if (d->pos == 0) {
		idx = d->f->ent, name = ".", len = 1;
	} else if (d->pos == 1) {
		if ((idx = fsi_ent_parent(c, d->f->ent)) < 0)
			return -1;
		name = "..", len = 2;
	} else {
		idx = fsi_child(c, d->f->ent, d->pos - 2);
		if (idx < 0)
			return idx == FS_IMG_DAMAGED ? fsi_fail(EIO) : 0;
		name = fs_image_basename(&c->img, fsi_ent(c, (uint64_t)idx), &len);
	}
	uint32_t m = fsi_ent(c, (uint64_t)idx)->mode;
	d->de.d_ino = idx + 2;
	d->de.d_off = (off64_t)(d->pos + 1);
	d->de.d_reclen = sizeof d->de;
	d->de.d_type = S_ISDIR(m) ? DT_DIR : S_ISLNK(m) ? DT_LNK : DT_REG;
	if (len >= sizeof d->de.d_name)
		len = sizeof d->de.d_name - 1;
	memcpy(d->de.d_name, name, len);
	d->de.d_name[len] = 0;
	d->pos++;
	return 1;
}

struct dirent *readdir(DIR *dp)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d)
		return fsi_real.readdir(dp);
	uint64_t t0 = fsi_st_begin();
	int more = dir_entry(c, d), e = errno;
	fsi_st_end(t0, 1);
	fsi_file_put(&f);
	errno = e;
	return more > 0 ? (struct dirent *)&d->de : NULL;
}

struct dirent64 *readdir64(DIR *dp)
{
	return (struct dirent64 *)readdir(dp);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int readdir_r(DIR *dp, struct dirent *entry, struct dirent **result)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d)
		return fsi_real.readdir_r(dp, entry, result);
	int more = dir_entry(c, d), e = errno;
	fsi_file_put(&f);
	if (more > 0)
		memcpy(entry, &d->de, sizeof d->de);
	*result = more > 0 ? entry : NULL;
	return more < 0 ? e : 0;
}

int readdir64_r(DIR *dp, struct dirent64 *entry, struct dirent64 **result)
{
	return readdir_r(dp, (struct dirent *)entry, (struct dirent **)result);
}
#pragma GCC diagnostic pop

int closedir(DIR *dp)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d)
		return fsi_real.closedir(dp);
	int fd = d->fd;
	struct fsi_file *t = fsi_fd_take(fd);
	fsi_file_put(&t);
	fsi_file_put(&f);
	return fsi_real.close(fd);
}

int dirfd(DIR *dp)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d)
		return fsi_real.dirfd(dp);
	fsi_file_put(&f);
	return d->fd;
}

void rewinddir(DIR *dp)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d) {
		fsi_real.rewinddir(dp);
		return;
	}
	d->pos = 0;
	fsi_file_put(&f);
}

void seekdir(DIR *dp, long pos)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d) {
		fsi_real.seekdir(dp, pos);
		return;
	}
	d->pos = pos < 0 ? 0 : (uint64_t)pos;
	fsi_file_put(&f);
}

long telldir(DIR *dp)
{
	struct fsi_ctx *c;
	struct fsi_file *f;
	struct fsi_dir *d = ours(dp, &c, &f);
	if (!d)
		return fsi_real.telldir(dp);
	fsi_file_put(&f);
	return (long)d->pos;
}
