/*
 * util.c - small helpers: agreement, time, sizes, paths, tree removal.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fx.h"

int fx_agree(MPI_Comm comm, int st)
{
	int worst = st;
	FX_MPI_CHECK(MPI_Allreduce(&st, &worst, 1, MPI_INT, MPI_MAX, comm));
	return worst;
}

double fx_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *fx_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);
	return r && errno != ENOENT ? -1 : 0;
}

int fx_rmtree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fx_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int executable(const char *p)
{
	struct stat st;
	if (stat(p, &st) != 0)
		return ENOENT;
	if (S_ISDIR(st.st_mode) || access(p, X_OK) != 0)
		return EACCES;
	return 0;
}

int fx_which(const char *cmd, char *out, size_t cap)
{
	if (!*cmd)
		return ENOENT;
	if (strchr(cmd, '/')) {
		if (snprintf(out, cap, "%s", cmd) >= (int)cap)
			return ENOENT;
		return executable(out);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int seen_eacces = 0;
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		int n = snprintf(out, cap, "%.*s%s%s", (int)(e - p), p, e > p ? "/" : "", cmd);
		if (n > 0 && (size_t)n < cap) {
			int r = executable(out);
			if (r == 0)
				return 0;
			if (r == EACCES)
				seen_eacces = 1;
		}
		if (!*e)
			break;
		p = e;
	}
	return seen_eacces ? EACCES : ENOENT;
}

