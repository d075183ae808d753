/*
 * node.c - who shares node-local storage, and the job directory.
 *
 * A node is a set of ranks that see the same cache directory: ranks on one
 * host (MPI_COMM_TYPE_SHARED) split again by the (st_dev, st_ino) of the
 * cache directory, so a rank with a private tmpfs at the cache path (its
 * own mount namespace) is a node of its own.  Node rank 0 is the leader:
 * it removes stale job directories, creates this job's and writes the
 * metadata image; the leaders' communicator carries the broadcast
 * partition.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

/* Seconds a job directory without an owner file is left alone (it may be
 * in the middle of being created by a job starting now). */
#define FX_STALE_GRACE 60

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* Bytes of node-local storage rank holdings need, plus the image. */
static uint64_t meta_estimate(const struct fx_ctx *c)
{
	const struct fs_manifest_hdr *h = &c->man.hdr;
	return (h->nfiles + h->ndirs + h->nlinks + 1) * 160 + (1u << 20);
}

static uint64_t rank_need(const struct fx_ctx *c)
{
	uint64_t need = meta_estimate(c);
	for (uint32_t s = 0; s < c->man.hdr.npart; s++)
		if (c->held[s])
			need += c->man.parts[s].file_size;
	if (c->man.hdr.has_bcast)
		need += c->man.parts[c->man.hdr.npart].file_size;
	return need;
}

uint64_t fx_node_need(const struct fx_ctx *c)
{
	uint64_t need = meta_estimate(c);
	for (uint32_t s = 0; s < c->nslot; s++)
		if (c->on_node[s])
			need += c->man.parts[s].file_size;
	return need;
}

static const char *choose_cache(const struct fx_ctx *c)
{
	if (c->opt.cache)
		return c->opt.cache;
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0 &&
	    free_bytes("/dev/shm") >= rank_need(c) + rank_need(c) / 8)
		return "/dev/shm";
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

static int check_cache(struct fx_ctx *c, const char *dir, struct stat *st)
{
	const char *how = c->opt.cache ? "" : " (the default; choose one with --cache DIR or " FS_ENV_CACHE ")";
	if (stat(dir, st) != 0) {
		fx_errf(c, "cache directory %s: %s%s", dir, strerror(errno), how);
		return FX_EXIT_FAIL;
	}
	if (!S_ISDIR(st->st_mode)) {
		fx_errf(c, "cache directory %s: not a directory%s", dir, how);
		return FX_EXIT_FAIL;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		fx_errf(c, "cache directory %s: not writable (%s): choose node-local storage you can write with --cache DIR or " FS_ENV_CACHE,
			dir, strerror(errno));
		return FX_EXIT_FAIL;
	}
	if (!realpath(dir, c->cache)) {
		fx_errf(c, "cache directory %s: %s", dir, strerror(errno));
		return FX_EXIT_FAIL;
	}
	return 0;
}

static void make_jobid(struct fx_ctx *c)
{
	if (c->rank == 0) {
		uint64_t r[2] = {0, 0};
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			r[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
			r[1] = (uint64_t)getpid();
		}
		snprintf(c->jobid, sizeof c->jobid, "%016llx",
			 (unsigned long long)(r[0] ^ (r[1] << 17)));
	}
	MPI_Bcast(c->jobid, sizeof c->jobid, MPI_CHAR, 0, c->world);
}

int fx_node_setup(struct fx_ctx *c)
{
	struct stat st = {0};
	int rc = check_cache(c, choose_cache(c), &st);
	if (fx_agree(c->world, rc))
		return rc ? rc : FX_EXIT_FAIL;

	MPI_Comm_split_type(c->world, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &c->host);
	MPI_Comm_rank(c->host, &c->host_rank);
	MPI_Comm_size(c->host, &c->host_size);

	uint64_t me[2] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino};
	uint64_t *all = calloc((size_t)c->host_size * 2, sizeof *all);
	if (!all)
		return FX_EXIT_FAIL;
	MPI_Allgather(me, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, c->host);
	int color = 0;
	while (all[2 * color] != me[0] || all[2 * color + 1] != me[1])
		color++;
	free(all);
	MPI_Comm_split(c->host, color, c->rank, &c->node);
	MPI_Comm_rank(c->node, &c->node_rank);
	MPI_Comm_size(c->node, &c->node_size);
	MPI_Comm_split(c->world, c->node_rank == 0 ? 0 : MPI_UNDEFINED, c->rank, &c->leaders);
	int ids[2] = {0, 0};
	if (c->node_rank == 0) {
		MPI_Comm_rank(c->leaders, &ids[0]);
		MPI_Comm_size(c->leaders, &ids[1]);
	}
	MPI_Bcast(ids, 2, MPI_INT, 0, c->node);
	c->node_id = ids[0];
	c->nnodes = ids[1];
	c->node_ranks = calloc((size_t)c->node_size, sizeof *c->node_ranks);
	if (!c->node_ranks)
		return FX_EXIT_FAIL;
	MPI_Allgather(&c->rank, 1, MPI_INT, c->node_ranks, 1, MPI_INT, c->node);
	c->node_of = calloc((size_t)c->nranks, sizeof *c->node_of);
	if (!c->node_of)
		return FX_EXIT_FAIL;
	MPI_Allgather(&c->node_id, 1, MPI_INT, c->node_of, 1, MPI_INT, c->world);

	void *ub;
	int flag = 0;
	MPI_Comm_get_attr(c->world, MPI_TAG_UB, &ub, &flag);
	c->tag_ub = flag ? *(int *)ub : 32767;
	make_jobid(c);
	char base[96];
	snprintf(base, sizeof base, FS_JOB_PREFIX "%u.%s", (unsigned)getuid(), c->jobid);
	int rc2 = fx_path(c->jobdir, sizeof c->jobdir, c->cache, base) ? FX_EXIT_FAIL : 0;
	if (rc2)
		fx_errf(c, "cache directory %s: path too long", c->cache);
	FX_INFO(c, "host rank %d/%d, node %d/%d (node rank %d/%d), cache %s", c->host_rank,
		c->host_size, c->node_id, c->nnodes, c->node_rank, c->node_size, c->cache);
	return 0;
}

int fx_check_space(struct fx_ctx *c)
{
	int rc = 0;
	if (c->node_rank == 0) {
		uint64_t need = fx_node_need(c), have = free_bytes(c->cache);
		if (have < need) {
			char a[32], b[32];
			fx_errf(c, "cache directory %s is too small: this node needs %s (its partitions and metadata), %s free: choose larger node-local storage with --cache DIR or " FS_ENV_CACHE ", or use more nodes",
				c->cache, fx_bytes(need, a, sizeof a), fx_bytes(have, b, sizeof b));
			rc = FX_EXIT_FAIL;
		}
	}
	return rc;
}

void fx_cache_full(const struct fx_ctx *c)
{
	char a[32];
	fx_errf(c, "cache directory %s is full: this node needs %s (its partitions and metadata): choose larger node-local storage with --cache DIR or " FS_ENV_CACHE ", or use more nodes",
		c->cache, fx_bytes(fx_node_need(c), a, sizeof a));
}

/* ---- stale job directories ---- */

static int pid_is_launcher(long pid)
{
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return 0;
	char path[64], comm[64] = "";
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	if (!fgets(comm, sizeof comm, f))
		comm[0] = 0;
	fclose(f);
	if (strncmp(comm, "fanstore-exec", 13) != 0)
		return 0;
	/* a launcher killed a moment ago may not be reaped yet */
	char st[256] = "";
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f && !fgets(st, sizeof st, f))
		st[0] = 0;
	if (f)
		fclose(f);
	const char *rp = strrchr(st, ')');
	return !(rp && rp[1] == ' ' && rp[2] == 'Z');
}

/* 1 when the job directory's launchers are gone from this host. */
static int is_stale(const char *dir, const char *host, time_t mtime)
{
	char path[PATH_MAX];
	if (fx_path(path, sizeof path, dir, FS_JOB_OWNER))
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT && time(NULL) - mtime > FX_STALE_GRACE;
	char h[256] = "";
	int stale = 0;
	if (fscanf(f, "%255s", h) == 1 && strcmp(h, host) == 0) {
		long pid;
		stale = 1;
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid_is_launcher(pid))
				stale = 0;
	}
	fclose(f);
	return stale;
}

static void remove_stale(struct fx_ctx *c, const char *host)
{
	char prefix[64];
	int plen = snprintf(prefix, sizeof prefix, FS_JOB_PREFIX "%u.", (unsigned)getuid());
	DIR *d = opendir(c->cache);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, (size_t)plen) != 0)
			continue;
		char path[PATH_MAX];
		struct stat st;
		if (fx_path(path, sizeof path, c->cache, de->d_name) || lstat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != getuid())
			continue;
		if (!is_stale(path, host, st.st_mtime))
			continue;
		if (fx_rmtree(path) == 0)
			FX_INFO(c, "removed stale job directory %s", path);
		else
			fx_errf(c, "warning: could not remove stale job directory %s: %s", path,
				strerror(errno));
	}
	closedir(d);
}

static int write_owner(struct fx_ctx *c, const char *host, const int *pids)
{
	char path[PATH_MAX];
	if (fx_path(path, sizeof path, c->jobdir, FS_JOB_OWNER))
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fprintf(f, "%s", host);
	for (int i = 0; i < c->node_size; i++)
		fprintf(f, " %d", pids[i]);
	fprintf(f, "\n");
	return fclose(f);
}

int fx_jobdir_create(struct fx_ctx *c)
{
	int pid = (int)getpid();
	int *pids = c->node_rank == 0 ? calloc((size_t)c->node_size, sizeof *pids) : NULL;
	MPI_Gather(&pid, 1, MPI_INT, pids, 1, MPI_INT, 0, c->node);
	if (c->node_rank != 0)
		return 0;
	int rc = FX_EXIT_FAIL;
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	if (!pids)
		goto out;
	remove_stale(c, host);
	if (mkdir(c->jobdir, 0700) != 0) {
		int e = errno;
		fx_errf(c, "cannot create job directory %s: %s%s", c->jobdir, strerror(e),
			e == EEXIST ? ": another node made it, so the cache is shared between nodes; give node-local storage with --cache DIR or " FS_ENV_CACHE : "");
		goto out;
	}
	c->jobdir_made = 1;
	if (write_owner(c, host, pids) != 0) {
		fx_errf(c, "cannot write %s/%s: %s", c->jobdir, FS_JOB_OWNER, strerror(errno));
		goto out;
	}
	FX_INFO(c, "job directory %s", c->jobdir);
	rc = 0;
out:
	free(pids);
	return rc;
}

void fx_jobdir_remove(struct fx_ctx *c)
{
	if (!c->jobdir_made)
		return;
	if (c->opt.keep) {
		FX_INFO(c, "keeping job directory %s", c->jobdir);
		return;
	}
	if (fx_rmtree(c->jobdir) != 0 && errno != ENOENT)
		fx_errf(c, "warning: could not remove job directory %s: %s", c->jobdir, strerror(errno));
	c->jobdir_made = 0;
}
