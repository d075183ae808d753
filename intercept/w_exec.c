/*
 * w_exec.c - exec and spawn keep the library: LD_PRELOAD and FANSTORE_*
 * are put back into the new environment (with FANSTORE_CWD carrying the
 * virtual cwd).  Virtual fds that survive the exec are listed in
 * FANSTORE_FDS, each a carrier whose offset the kernel keeps (share.c),
 * so the new program reads on from where we are and we see where it
 * stopped; a program that will not load the library (static, set-id, or
 * another ELF class) gets the bytes in a memfd instead.  This path may run
 * in a vfork child: it allocates with mmap only and takes no locks.
 * MPI_Init is refused here, unless the launcher spawned this program as an
 * MPI job (w_spawn.c).
 */
#include <elf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "fsi.h"

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

#define ENV_CWD FS_ENV_CWD
#define FDS_ENTRY_MAX 48          /* "fd:entry:flags," */

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

/* The environment for the new program, in one anonymous mapping; fds:
 * the FANSTORE_FDS list or NULL. */
static int env_build(struct fsi_ctx *c, char *const envp[], const char *fds, struct envbuf *eb)
{
	size_t n = 0, bytes = 0;
	const char *preload = NULL;
	for (; envp && envp[n]; n++) {
		bytes += strlen(envp[n]) + 1;
		if (env_is(envp[n], "LD_PRELOAD"))
			preload = envp[n] + sizeof "LD_PRELOAD";
	}
	const char *cwd = fsi_exec_cwd(c);
	bytes += (n + 7) * sizeof(char *) + sizeof c->preload + 2 * PATH_MAX + 3 * PATH_MAX + 128;
	bytes += fds ? strlen(fds) : 0;
	bytes += preload ? strlen(preload) : 0;
	void *m = fsi_real.mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	eb->env = m;
	eb->bytes = bytes;
	char *s = (char *)(eb->env + n + 7);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_is(envp[i], "LD_PRELOAD") && !env_is(envp[i], FS_ENV_JOBDIR) &&
		    !env_is(envp[i], FS_ENV_MOUNT) && !env_is(envp[i], FS_ENV_VERIFY) &&
		    !env_is(envp[i], ENV_CWD) && !env_is(envp[i], FS_ENV_FDS))
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
	if (fds && *fds)
		eb->env[k++] = put(&s, FS_ENV_FDS "=", fds, "", "");
	eb->env[k] = NULL;
	return 0;
}

static void env_free(struct envbuf *eb)
{
	if (eb->env)
		munmap(eb->env, eb->bytes);
	eb->env = NULL;
}

/* Will the program at path load the library?  A dynamic ELF of our class
 * without set-id bits, or a script; system calls only. */
static int keeps_library(const char *path)
{
	int fd = path ? (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return 1;   /* the exec will fail or search: nothing to lose */
	int keeps = 0;
	struct stat st;
	Elf64_Ehdr h;
	Elf64_Phdr ph[64];
	if (syscall(SYS_fstat, fd, &st) < 0 || (st.st_mode & (S_ISUID | S_ISGID)))
		goto out;
	long n = syscall(SYS_pread64, fd, &h, sizeof h, 0);
	if (n >= 2 && memcmp(&h, "#!", 2) == 0) {
		keeps = 1;
		goto out;
	}
	if (n < (long)sizeof h || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 ||
	    h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_phentsize != sizeof ph[0] || h.e_phnum > 64)
		goto out;
	size_t len = (size_t)h.e_phnum * sizeof ph[0];
	if (syscall(SYS_pread64, fd, ph, len, (off_t)h.e_phoff) != (long)len)
		goto out;
	for (int i = 0; i < h.e_phnum; i++)
		keeps |= ph[i].p_type == PT_INTERP;
out:
	syscall(SYS_close, fd);
	return keeps;
}

/* The file an execvp of `file` runs (PATH searched as execvp does), in buf. */
static const char *exec_find(const char *file, char *buf, size_t cap)
{
	if (strchr(file, '/'))
		return file;
	const char *p = NULL;
	for (char **e = environ; e && *e; e++)
		if (env_is(*e, "PATH"))
			p = *e + 5;
	if (!p)
		p = "/bin:/usr/bin";
	for (;;) {
		const char *end = strchrnul(p, ':');
		size_t dl = (size_t)(end - p);
		if (dl + strlen(file) + 2 <= cap) {
			memcpy(buf, dl ? p : ".", dl ? dl : 1);
			buf[dl ? dl : 1] = '/';
			strcpy(buf + (dl ? dl : 1) + 1, file);
			if (syscall(SYS_faccessat, AT_FDCWD, buf, X_OK) == 0)
				return buf;
		}
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

struct fdpass {
	struct fsi_ctx *c;
	int keeps;                   /* the new program loads the library */
	char *s, *end;               /* the FANSTORE_FDS list being written */
	size_t count;
};

static void count_fd(int fd, struct fsi_file *f, void *arg)
{
	(void)fd;
	(void)f;
	((struct fdpass *)arg)->count++;
}

/* An fd whose bytes could not be passed on fails the new program's reads
 * (EBADF) rather than giving it an empty file. */
static void pass_failed(struct fsi_ctx *c, int fd, struct fsi_file *f)
{
	const struct fs_ment *e = fsi_ent(c, f->ent);
	fsi_log("%s/%.*s: cannot pass fd %d to the new program (%s); its reads will fail", c->mount,
		(int)e->name_len, fs_image_name(&c->img, e), fd, strerror(errno));
	int ph = (int)syscall(SYS_openat, AT_FDCWD, c->jobdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ph >= 0) {
		syscall(SYS_dup3, ph, fd, 0);
		syscall(SYS_close, ph);
	}
}

/* A virtual fd the new program inherits gets its bytes in the kernel (its
 * carrier filled, or a memfd of its own when it has no carrier), so stdio
 * and programs without the library read it right.  A file over
 * FSI_FILL_MAX on fd 3 or above, passed to a program that loads the
 * library, stays an empty carrier and is listed instead.  The kernel fd
 * must still be ours (a vfork child may have replaced it). */
static void pass_fd(int fd, struct fsi_file *f, void *arg)
{
	struct fdpass *p = arg;
	struct fsi_ctx *c = p->c;
	int fdfl = fsi_real.fcntl(fd, F_GETFD);
	if (fdfl < 0 || (fdfl & FD_CLOEXEC))
		return;
	struct stat st;
	int plain = !(f->flags & O_PATH) && !fsi_is_dir(c, f->ent);
	int carrier = plain && fsi_fd_is_carrier(f, fd, &st);
	if (!carrier && !fsi_fd_is_placeholder(c, fd))
		return;
	if (plain && (fsi_ent(c, f->ent)->size <= FSI_FILL_MAX || fd <= 2 || !p->keeps)) {
		if ((carrier ? fsi_fill(c, fd, f, 1) : fsi_materialise(c, fd, f, 1)) < 0)
			pass_failed(c, fd, f);
		return;
	}
	if (plain && !carrier && fsi_carrier_at(fd, atomic_load(&f->off)) < 0) {
		pass_failed(c, fd, f);
		return;
	}
	if (p->end - p->s > FDS_ENTRY_MAX)
		p->s += snprintf(p->s, (size_t)(p->end - p->s), "%d:%u:%d,", fd, f->ent, f->flags);
}

/* Before an exec of path (NULL: not known): 0 and eb filled (env NULL:
 * keep envp), or -1. */
static int exec_prepare(struct fsi_ctx *c, const char *path, char *const envp[], struct envbuf *eb)
{
	eb->env = NULL;
	if (!c)
		return 0;
	struct fdpass p = { .c = c, .keeps = keeps_library(path) };
	fsi_exec_fds(count_fd, &p);
	size_t cap = p.count * FDS_ENTRY_MAX + 1;
	char *list = p.count ? fsi_real.mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			     : NULL;
	if (list == MAP_FAILED)
		list = NULL;
	p.s = list;
	p.end = list ? list + cap : NULL;
	if (list)
		*list = 0;
	fsi_exec_fds(pass_fd, &p);
	if (list && p.s > list)
		p.s[-1] = 0;   /* the last ',' */
	int rc = env_build(c, envp, list, eb);
	if (list)
		munmap(list, cap);
	return rc;
}

static inline char *const *env_of(const struct envbuf *eb, char *const envp[])
{
	return eb->env ? eb->env : envp;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	struct fsi_ctx *c = fsi_enter();
	struct envbuf eb;
	exec_prepare(c, path, envp, &eb);
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
	char found[PATH_MAX];
	exec_prepare(c, c ? exec_find(file, found, sizeof found) : NULL, envp, &eb);
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
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	exec_prepare(c, proc, envp, &eb);
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

/* posix_spawn runs the child inside glibc, which reads through the kernel:
 * every virtual file fd gets its bytes there first (its file actions may
 * dup2 any of them), in the parent, carriers filled where they are so the
 * fds of one open file keep one offset. */
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
		fsi_bind_check(c);
		fsi_share_all(c);
		fsi_fd_each(spawn_fd, c);
		env_build(c, envp, NULL, &eb);
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

/* MPI belongs to fanstore-exec unless it spawned this program as an MPI
 * job (--mpi, w_spawn.c); a second MPI_Init in a forked command would hang
 * or abort much later, so stop now with a line that says what to do. */
static void refuse_mpi(void)
{
	fsi_log("this program initialises MPI, which fanstore-exec already owns; "
		"run it with fanstore-exec --mpi, or use torch.distributed with gloo/nccl or Horovod with gloo");
	_exit(1);
}

int MPI_Init(int *argc, char ***argv)
{
	int (*real)(int *, char ***) = fsi_spawned() ? (int (*)(int *, char ***))fsi_mpi_real("MPI_Init", (void *)MPI_Init) : NULL;
	if (real)
		return real(argc, argv);
	refuse_mpi();
	return 1;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
	int (*real)(int *, char ***, int, int *) =
		fsi_spawned() ? (int (*)(int *, char ***, int, int *))fsi_mpi_real("MPI_Init_thread", (void *)MPI_Init_thread) : NULL;
	if (real)
		return real(argc, argv, required, provided);
	refuse_mpi();
	return 1;
}
