/*
 * w_exec.c - exec and spawn keep the library: LD_PRELOAD and FANSTORE_*
 * are put back into the new environment (with FANSTORE_CWD carrying the
 * virtual cwd), and virtual fds that survive the exec are materialised
 * into memfds first.  This path may run in a vfork child: it allocates
 * with mmap only and takes no locks.  MPI_Init is refused here.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

#define ENV_CWD "FANSTORE_CWD"

extern char **environ;

struct envbuf {
	char **env;
	size_t bytes;
};

static int env_is(const char *e, const char *name)
{
	size_t n = strlen(name);
	return strncmp(e, name, n) == 0 && e[n] == '=';
}

static char *put(char **p, const char *a, const char *b, const char *c2, const char *d)
{
	char *start = *p;
	*p = stpcpy(stpcpy(stpcpy(stpcpy(*p, a), b), c2), d) + 1;
	return start;
}

/* The environment for the new program, in one anonymous mapping. */
static int env_build(struct fsi_ctx *c, char *const envp[], struct envbuf *eb)
{
	size_t n = 0, bytes = 0;
	const char *preload = NULL;
	for (; envp && envp[n]; n++) {
		bytes += strlen(envp[n]) + 1;
		if (env_is(envp[n], "LD_PRELOAD"))
			preload = envp[n] + sizeof "LD_PRELOAD";
	}
	const char *cwd = fsi_exec_cwd(c);
	bytes += (n + 6) * sizeof(char *) + sizeof c->preload + 2 * PATH_MAX + 3 * PATH_MAX + 64;
	bytes += preload ? strlen(preload) : 0;
	void *m = fsi_real.mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	eb->env = m;
	eb->bytes = bytes;
	char *s = (char *)(eb->env + n + 6);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_is(envp[i], "LD_PRELOAD") && !env_is(envp[i], FS_ENV_JOBDIR) &&
		    !env_is(envp[i], FS_ENV_MOUNT) && !env_is(envp[i], FS_ENV_VERIFY) &&
		    !env_is(envp[i], ENV_CWD))
			eb->env[k++] = envp[i];
	/* keep the program's LD_PRELOAD if it names us; else ours (which may
	 * have something that must come first, e.g. a sanitizer) before it */
	const char *ours = c->preload[0] ? c->preload : c->libpath;
	if (c->libpath[0]) {
		if (preload && strstr(preload, c->libpath))
			eb->env[k++] = put(&s, "LD_PRELOAD=", preload, "", "");
		else
			eb->env[k++] = put(&s, "LD_PRELOAD=", ours, preload ? ":" : "",
					   preload ? preload : "");
	} else if (preload) {
		eb->env[k++] = put(&s, "LD_PRELOAD=", preload, "", "");
	}
	eb->env[k++] = put(&s, FS_ENV_JOBDIR "=", c->jobdir, "", "");
	eb->env[k++] = put(&s, FS_ENV_MOUNT "=", c->mount, "", "");
	eb->env[k++] = put(&s, FS_ENV_VERIFY "=", c->verify_always ? "always" : "once", "", "");
	if (cwd)
		eb->env[k++] = put(&s, ENV_CWD "=", cwd, "", "");
	eb->env[k] = NULL;
	return 0;
}

static void env_free(struct envbuf *eb)
{
	if (eb->env)
		munmap(eb->env, eb->bytes);
	eb->env = NULL;
}

/* A virtual fd the new program inherits gets its bytes in a memfd.  The
 * kernel fd must still be our placeholder (a vfork child may have
 * replaced it). */
static void keep_fd(int fd, struct fsi_file *f, void *arg)
{
	struct fsi_ctx *c = arg;
	int fdfl = fsi_real.fcntl(fd, F_GETFD);
	int fl = fsi_real.fcntl(fd, F_GETFL);
	if (fdfl < 0 || (fdfl & FD_CLOEXEC) || fl < 0 || !(fl & O_PATH))
		return;
	fsi_materialise(c, fd, f, 1);
}

/* Before an exec: 0 and eb filled (env NULL: keep envp), or -1. */
static int exec_prepare(struct fsi_ctx *c, char *const envp[], struct envbuf *eb)
{
	eb->env = NULL;
	if (!c)
		return 0;
	fsi_fd_each(keep_fd, c);
	return env_build(c, envp, eb);
}

static inline char *const *env_of(const struct envbuf *eb, char *const envp[])
{
	return eb->env ? eb->env : envp;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	struct fsi_ctx *c = fsi_enter();
	struct envbuf eb;
	exec_prepare(c, envp, &eb);
	int rc = fsi_real.execve(path, argv, env_of(&eb, envp));
	int e = errno;
	env_free(&eb);
	errno = e;
	return rc;
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct fsi_ctx *c = fsi_enter();
	struct envbuf eb;
	exec_prepare(c, envp, &eb);
	int rc = fsi_real.execvpe(file, argv, env_of(&eb, envp));
	int e = errno;
	env_free(&eb);
	errno = e;
	return rc;
}

int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct fsi_ctx *c = fsi_enter();
	struct envbuf eb;
	exec_prepare(c, envp, &eb);
	int rc = fsi_real.fexecve(fd, argv, env_of(&eb, envp));
	int e = errno;
	env_free(&eb);
	errno = e;
	return rc;
}

/* execl family: collect the arguments into an mmap'ed vector. */
static char **argv_collect(const char *arg0, va_list ap, char ***envp, size_t *bytes)
{
	va_list aq;
	va_copy(aq, ap);
	size_t n = 1;
	while (va_arg(aq, char *))
		n++;
	va_end(aq);
	*bytes = (n + 1) * sizeof(char *);
	char **v = fsi_real.mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return NULL;
	v[0] = (char *)arg0;
	for (size_t i = 1; i <= n; i++)
		v[i] = va_arg(ap, char *);
	if (envp)
		*envp = va_arg(ap, char **);
	return v;
}

int execl(const char *path, const char *arg, ...)
{
	size_t bytes;
	va_list ap;
	va_start(ap, arg);
	char **v = argv_collect(arg, ap, NULL, &bytes);
	va_end(ap);
	if (!v)
		return -1;
	int rc = execve(path, v, environ);
	munmap(v, bytes);
	return rc;
}

int execlp(const char *file, const char *arg, ...)
{
	size_t bytes;
	va_list ap;
	va_start(ap, arg);
	char **v = argv_collect(arg, ap, NULL, &bytes);
	va_end(ap);
	if (!v)
		return -1;
	int rc = execvpe(file, v, environ);
	munmap(v, bytes);
	return rc;
}

int execle(const char *path, const char *arg, ...)
{
	size_t bytes;
	char **envp;
	va_list ap;
	va_start(ap, arg);
	char **v = argv_collect(arg, ap, &envp, &bytes);
	va_end(ap);
	if (!v)
		return -1;
	int rc = execve(path, v, envp);
	munmap(v, bytes);
	return rc;
}

/* posix_spawn runs the child inside glibc: materialise every virtual file
 * fd first (its file actions may dup2 any of them), in the parent. */
static void spawn_fd(int fd, struct fsi_file *f, void *arg)
{
	struct fsi_ctx *c = arg;
	if (!fsi_is_dir(c, f->ent))
		fsi_materialise_fd(c, fd);
}

static int spawn(int search, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct fsi_ctx *c = fsi_enter();
	struct envbuf eb = { 0 };
	if (c) {
		fsi_fd_each(spawn_fd, c);
		env_build(c, envp, &eb);
	}
	int rc = search ? fsi_real.posix_spawnp(pid, path, fa, attr, argv, env_of(&eb, envp))
			: fsi_real.posix_spawn(pid, path, fa, attr, argv, env_of(&eb, envp));
	env_free(&eb);
	return rc;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(0, pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(1, pid, file, fa, attr, argv, envp);
}

/* MPI belongs to fanstore-exec; a second MPI_Init in the child would hang
 * or abort much later, so stop now with a line that says what to do. */
static void refuse_mpi(void)
{
	fsi_log("this program initialises MPI, which fanstore-exec already owns; "
		"use torch.distributed with gloo/nccl or Horovod with gloo");
	_exit(1);
}

int MPI_Init(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	refuse_mpi();
	return 1;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
	(void)argc;
	(void)argv;
	(void)required;
	(void)provided;
	refuse_mpi();
	return 1;
}
