/*
 * init.c - the process context: set up in a constructor (or by the first
 * wrapper that runs before it), rebuilt in fork children.
 *
 * Without FANSTORE_JOBDIR, or when the job directory cannot be used, the
 * library stays inert: every call is forwarded (a bad job directory is
 * reported once on stderr).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "fsi.h"

struct fsi_ctx fsi_g = { .placeholder = -1, .own_lo = INT_MAX };
_Atomic int fsi_ready;
__thread int fsi_busy __attribute__((tls_model("initial-exec")));
static pthread_once_t fsi_once = PTHREAD_ONCE_INIT;

void fsi_log(const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;
	int n = snprintf(line, sizeof line, "fanstore: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	long w = syscall(SYS_write, 2, line, (size_t)n);
	(void)w;
	errno = saved;
}

static void fsi_atfork_child(void)
{
	atomic_store(&fsi_g.pid, (pid_t)syscall(SYS_getpid));
	atomic_fetch_add(&fsi_g.gen, 1);
	fsi_stats_forked();
}

/* The library's own descriptors (the placeholder, the partitions) live at
 * high numbers so that virtual opens get the lowest free numbers, as
 * kernel opens would: below min(RLIMIT_NOFILE, 4096) by 16 plus one per
 * local partition. */
int fsi_fd_high(struct fsi_ctx *c, int fd)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 64) {
		int lim = (int)(rl.rlim_cur < 4096 ? rl.rlim_cur : 4096), nlocal = 0;
		for (uint32_t p = 0; c->parts && p < c->img.hdr->nparts; p++)
			nlocal += c->img.parts[p].local;
		int high = lim - 16 - (nlocal < lim / 4 ? nlocal : lim / 4);
		int moved = fd < high ? fsi_real.fcntl(fd, F_DUPFD_CLOEXEC, high) : -1;
		if (moved >= 0) {
			fsi_real.close(fd);
			fd = moved;
		}
	}
	int lo = atomic_load(&c->own_lo);
	while (fd < lo && !atomic_compare_exchange_weak(&c->own_lo, &lo, fd))
		;
	return fd;
}

static int fsi_open_placeholder(struct fsi_ctx *c)
{
	int fd = fsi_real.open(c->jobdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	fd = fsi_fd_high(c, fd);
	int expect = -1;
	if (!atomic_compare_exchange_strong(&c->placeholder, &expect, fd)) {
		fsi_real.close(fd);
		return expect;
	}
	return fd;
}

int fsi_newfd(struct fsi_ctx *c, int cloexec)
{
	for (int tries = 0; tries < 3; tries++) {
		int ph = atomic_load(&c->placeholder);
		if (ph < 0 && (ph = fsi_open_placeholder(c)) < 0)
			return fsi_fail(EIO);
		int fd = fsi_real.fcntl(ph, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
		if (fd >= 0)
			return fd;
		if (errno != EBADF)
			return -1;
		/* the program closed it under us: open another */
		atomic_compare_exchange_strong(&c->placeholder, &ph, -1);
	}
	return fsi_fail(EIO);
}

void fsi_fds_gone(struct fsi_ctx *c, unsigned lo, unsigned hi)
{
	if (hi < (unsigned)atomic_load(&c->own_lo))
		return;
	int ph = atomic_load(&c->placeholder);
	if (ph >= 0 && (unsigned)ph >= lo && (unsigned)ph <= hi)
		atomic_compare_exchange_strong(&c->placeholder, &ph, -1);
	for (uint32_t p = 0; c->parts && p < c->img.hdr->nparts; p++) {
		int fd = atomic_load(&c->parts[p].fd);
		if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
			atomic_compare_exchange_strong(&c->parts[p].fd, &fd, -1);
	}
}

void fsi_fd_gone(struct fsi_ctx *c, int fd)
{
	if (fd >= 0)
		fsi_fds_gone(c, (unsigned)fd, (unsigned)fd);
}

void fsi_stat(struct fsi_ctx *c, uint64_t i, struct stat *st)
{
	fs_image_stat(&c->img, i, c->uid, c->gid, st);
}

/* The mount prefix: absolute, canonical, not "/". */
static int fsi_set_mount(struct fsi_ctx *c, const char *m)
{
	if (!m || !*m)
		m = FS_DEFAULT_MOUNT;
	long n = m[0] == '/' ? fs_path_canon(m, c->mount, sizeof c->mount, NULL) : -1;
	if (n <= 1) {
		fsi_log("%s=%s must be an absolute path other than /; the dataset is not mounted",
			FS_ENV_MOUNT, m);
		return -1;
	}
	c->mlen = (size_t)n;
	return 0;
}

/* The node's record of raw blobs whose crc was checked (store.h); a
 * private one if it cannot be made (each process then checks for itself). */
static _Atomic uint8_t *fsi_verified_map(struct fsi_ctx *c)
{
	uint8_t *m = fs_verified_map(c->jobdir, c->img.hdr->nent);
	return (_Atomic uint8_t *)(m ? m : calloc(fs_verified_len(c->img.hdr->nent), 1));
}

static void fsi_set_cwd(struct fsi_ctx *c, const char *cwd)
{
	struct fsi_res *r = malloc(sizeof *r);
	if (!r)
		return;
	if (fsi_resolve(c, AT_FDCWD, cwd, 0, r) == FSI_IN && fsi_is_dir(c, (uint64_t)r->ent)) {
		char *p = malloc(PATH_MAX);
		if (p && fsi_ent_path(c, (uint64_t)r->ent, p, PATH_MAX) == 0)
			atomic_store(&c->vcwd, p);
		else
			free(p);
	}
	free(r);
}

static void fsi_init(void)
{
	struct fsi_ctx *c = &fsi_g;
	c->pid = (pid_t)syscall(SYS_getpid);
	c->uid = getuid();
	c->gid = getgid();
	pthread_atfork(NULL, NULL, fsi_atfork_child);

	const char *job = getenv(FS_ENV_JOBDIR);
	if (!job || !*job)
		return;
	fsi_busy = 1;
	if (strlen(job) + sizeof "/" FS_JOB_IMAGE >= sizeof c->jobdir) {
		fsi_log("%s is too long; the dataset is not mounted", FS_ENV_JOBDIR);
		goto out;
	}
	if (fsi_set_mount(c, getenv(FS_ENV_MOUNT)) < 0)
		goto out;
	snprintf(c->jobdir, sizeof c->jobdir, "%s/%s", job, FS_JOB_IMAGE);
	struct fs_err err;
	if (fs_image_open(c->jobdir, &c->img, &err) != FS_OK) {
		fsi_log("%s; the dataset is not mounted (is %s=%s a live job directory?)",
			err.msg, FS_ENV_JOBDIR, job);
		goto out;
	}
	snprintf(c->jobdir, sizeof c->jobdir, "%s", job);
	c->parts = calloc(c->img.hdr->nparts ? c->img.hdr->nparts : 1, sizeof *c->parts);
	c->used = calloc(c->img.hdr->nent / 8 + 1, 1);
	c->verified = fsi_verified_map(c);
	if (!c->parts || !c->used || !c->verified) {
		fs_image_close(&c->img);
		goto out;
	}
	for (uint32_t p = 0; p < c->img.hdr->nparts; p++)
		atomic_init(&c->parts[p].fd, -1);
	const char *v = getenv(FS_ENV_VERIFY);
	c->verify_always = v && strcmp(v, "always") == 0;
	const char *t = getenv(FS_ENV_TIMEOUT);
	c->timeout = t && atoi(t) > 0 ? atoi(t) : FS_DEFAULT_TIMEOUT;
	Dl_info info;
	if (dladdr((void *)fsi_init, &info) && info.dli_fname)
		snprintf(c->libpath, sizeof c->libpath, "%s", info.dli_fname);
	const char *pre = getenv("LD_PRELOAD");
	if (pre && c->libpath[0] && strstr(pre, c->libpath) && strlen(pre) < sizeof c->preload)
		snprintf(c->preload, sizeof c->preload, "%s", pre);
	fsi_open_placeholder(c);
	fsi_stats_init(c);
	c->active = 1;
	const char *cwd = getenv(FS_ENV_CWD);
	if (cwd && *cwd)
		fsi_set_cwd(c, cwd);
	fsi_fds_adopt(c, getenv(FS_ENV_FDS));
	/* our exec wrappers pass them on while they hold; libc's own spawns
	 * (system, popen) must not inherit stale ones */
	unsetenv(FS_ENV_CWD);
	unsetenv(FS_ENV_FDS);
out:
	fsi_busy = 0;
}

/* Calls made before our constructor (a sanitizer runtime's own start-up,
 * other libraries' constructors) are forwarded: the environment may not be
 * there yet, so the job directory is looked at only from the constructor on. */
static pthread_once_t fsi_real_once = PTHREAD_ONCE_INIT;
static _Atomic int fsi_started;

struct fsi_ctx *fsi_enter_slow(void)
{
	if (fsi_busy)
		return NULL;
	if (!atomic_load(&fsi_started)) {
		pthread_once(&fsi_real_once, fsi_real_resolve);
		return NULL;
	}
	pthread_once(&fsi_real_once, fsi_real_resolve);
	pthread_once(&fsi_once, fsi_init);
	atomic_store_explicit(&fsi_ready, 1, memory_order_release);
	return (fsi_g.active && !fsi_busy) ? &fsi_g : NULL;
}

__attribute__((constructor)) static void fsi_constructor(void)
{
	atomic_store(&fsi_started, 1);
	(void)fsi_enter();
}
