/*
 * mount.c - is the mount path safe to cover?
 *
 * The library serves every path under the mount from the dataset and
 * refuses writes there with EROFS, so whatever the real file system holds
 * at that path disappears for the command.  A mount over the cache, over
 * /dev/shm (shared memory of DataLoader workers, POSIX semaphores), over
 * the temporary directory, the dataset or the working directory breaks
 * the command in ways far from their cause; so does one over anything
 * that exists and is not an empty directory.  Such a path is refused with
 * one line saying what it would hide, unless --force-mount
 * (FANSTORE_FORCE_MOUNT=1) says the user means it.
 *
 * Paths are compared as the kernel resolves them: the mount's longest
 * existing prefix through realpath(), the rest as written (lexically
 * normalised by fs_path_canon in opts.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

/* Is path equal to dir or under it?  (Both absolute and canonical.) */
static int covers(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	return strncmp(dir, path, n) == 0 && (path[n] == 0 || path[n] == '/' || (n == 1 && dir[0] == '/'));
}

/* The canonical absolute path m as the kernel would reach it into out:
 * its longest existing prefix resolved, the rest appended.  -1 if too long. */
static int real_mount(const char *m, char *out, size_t cap)
{
	char head[PATH_MAX], real[PATH_MAX];
	if (snprintf(head, sizeof head, "%s", m) >= (int)sizeof head)
		return -1;
	size_t cut = strlen(head);
	for (;;) {
		if (realpath(cut ? head : "/", real)) {
			const char *rest = m + cut;
			int n = snprintf(out, cap, "%s%s", strcmp(real, "/") == 0 && *rest ? "" : real, rest);
			return n < 0 || (size_t)n >= cap ? -1 : 0;
		}
		char *slash = strrchr(head, '/');
		if (!slash)
			return -1;
		*slash = 0;
		cut = (size_t)(slash - head);
	}
}

/* What covering real (the mount, resolved) would hide, into why; 0 when
 * nothing. */
static int hides(const struct fx_ctx *c, const char *real, char *why, size_t cap)
{
	char path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	struct {
		const char *path;      /* NULL: skip */
		const char *what;
	} need[] = {
		{c->cache, "the cache directory"},
		{"/dev/shm", "the shared memory directory"},
		{tmp && *tmp ? tmp : "/tmp", "the temporary directory"},
		{c->opt.data, "the dataset"},
		{getcwd(path, sizeof path), "the working directory"},
	};
	char r[PATH_MAX];
	for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
		if (!need[i].path || !realpath(need[i].path, r) || !covers(real, r))
			continue;
		snprintf(why, cap, "would hide %s %s from the command", need[i].what, r);
		return 1;
	}
	struct stat st;
	if (stat(real, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, cap, "exists and is not a directory: the command could not reach it");
		return 1;
	}
	DIR *d = opendir(real);
	struct dirent *e;
	int full = 0;
	while (d && !full && (e = readdir(d)))
		full = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	if (full)
		snprintf(why, cap, "would hide what the directory %s holds from the command", real);
	return full;
}

int fx_mount_check(struct fx_ctx *c)
{
	char real[PATH_MAX], why[PATH_MAX + 128] = "";
	int bad = 0;
	if (!c->opt.force_mount)
		bad = real_mount(c->opt.mount, real, sizeof real) == 0 && hides(c, real, why, sizeof why);
	/* Ranks may differ (working directory, cache): the lowest that
	 * refuses says why, once. */
	int me = bad ? c->rank : c->nranks, first = me;
	FX_MPI_CHECK(MPI_Allreduce(&me, &first, 1, MPI_INT, MPI_MIN, c->world));
	if (first == c->nranks)
		return 0;
#define REFUSED "mount path %s %s; choose a path that does not exist, such as " \
	FS_DEFAULT_MOUNT ", or pass --force-mount (" FS_ENV_FORCE_MOUNT "=1)"
	if (first == c->rank && c->rank == 0)
		fx_say(c, REFUSED, c->opt.mount, why);
	else if (first == c->rank)
		fx_errf(c, REFUSED, c->opt.mount, why);
	return FX_EXIT_USAGE;
}
