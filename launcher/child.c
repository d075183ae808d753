/*
 * child.c - the user's command: its environment, fork and exec.
 *
 * The child gets LD_PRELOAD with libfanstore.so first, FANSTORE_JOBDIR,
 * FANSTORE_MOUNT, FANSTORE_TIMEOUT, and torch.distributed's env://
 * variables unless the user set them.  Variables through which an MPI
 * library would take the child for this MPI rank (OMPI_*, PMIX_*, PMI_*,
 * ...) are removed, so a child that initialises MPI starts as a singleton
 * instead of joining (and hanging) this job.  The child dies with the
 * launcher (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

extern char **environ;

#define FX_ENV_LIB "FANSTORE_LIB"

int fx_child_lib(struct fx_ctx *c, char *out, size_t cap)
{
	const char *v = getenv(FX_ENV_LIB);
	char guess[PATH_MAX];
	out[0] = 0;
	if (v && !*v)
		return 0;
	if (cap < PATH_MAX)
		return FX_EXIT_FAIL;
	if (!v) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n <= 0) {
			fx_errf(c, "cannot find this program (/proc/self/exe): %s: set " FX_ENV_LIB, strerror(errno));
			return FX_EXIT_FAIL;
		}
		exe[n] = 0;
		snprintf(guess, sizeof guess, "%s/../lib/libfanstore.so", dirname(exe));
		v = guess;
	}
	if (!realpath(v, out) || access(out, R_OK) != 0) {
		fx_errf(c, "preload library %s: %s: build it (make) or point " FX_ENV_LIB " at libfanstore.so",
			v, strerror(errno));
		out[0] = 0;
		return FX_EXIT_FAIL;
	}
	return 0;
}

/* MASTER_PORT: rank 0's launcher binds a port the kernel chooses and keeps
 * that socket (never listening, SO_REUSEADDR) until the job ends.  While it
 * is bound, no other process of the node is given the port by bind(0), nor
 * can bind it without SO_REUSEADDR, so another job cannot pick it too;
 * torch.distributed's store binds it with SO_REUSEADDR and listens, which
 * the kernel allows next to a bound socket that does not listen. */
int fx_child_rendezvous(struct fx_ctx *c, char *addr, size_t addrlen, int *port, struct fx_child *ch)
{
	char host[256] = "localhost";
	int p = 0;
	ch->port_fd = -1;
	if (c->rank == 0) {
		gethostname(host, sizeof host - 1);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
		socklen_t sl = sizeof sa;
		if (s >= 0 && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    getsockname(s, (struct sockaddr *)&sa, &sl) == 0)
			p = ntohs(sa.sin_port);
		if (p)
			ch->port_fd = s;
		else if (s >= 0)
			close(s);
		if (!p)
			p = 29500;
	}
	FX_MPI_CHECK(MPI_Bcast(host, sizeof host, MPI_CHAR, 0, c->world));
	FX_MPI_CHECK(MPI_Bcast(&p, 1, MPI_INT, 0, c->world));
	snprintf(addr, addrlen, "%s", host);
	*port = p;
	return 0;
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Would this variable make an MPI library in the child think it is part
 * of this job? */
static int mpi_identity(const char *kv)
{
	static const char *keep[] = {"OMPI_ALLOW_RUN_AS_ROOT=", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=",
				     "OPAL_PREFIX=", NULL};
	static const char *drop[] = {"OMPI_", "OPAL_", "ORTE_", "PMIX_", "PMI_", "PMI2_", "HYDRA_",
				     "MPI_LOCALRANKID=", "MPI_LOCALNRANKS=", NULL};
	for (int i = 0; keep[i]; i++)
		if (has_prefix(kv, keep[i]))
			return 0;
	for (int i = 0; drop[i]; i++)
		if (has_prefix(kv, drop[i]))
			return 1;
	return 0;
}

struct envb {
	char **v;
	size_t n, cap;
};

static int env_put(struct envb *e, char *kv)
{
	if (!kv)
		return -1;
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **v = realloc(e->v, cap * sizeof *v);
		if (!v)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
	return 0;
}

static char *kvf(const char *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *kvf(const char *k, const char *fmt, ...)
{
	char val[PATH_MAX * 2], *out = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof val, fmt, ap);
	va_end(ap);
	if (asprintf(&out, "%s=%s", k, val) < 0)
		return NULL;
	return out;
}

/* Set unless the user already has it. */
static int env_default(struct envb *e, const char *k, char *kv)
{
	if (getenv(k)) {
		free(kv);
		return 0;
	}
	return env_put(e, kv);
}

char **fx_child_env(struct fx_ctx *c, const char *lib, const char *addr, int port)
{
	struct envb e = {0};
	for (char **p = environ; *p; p++) {
		if (mpi_identity(*p) || has_prefix(*p, "LD_PRELOAD=") || has_prefix(*p, FS_ENV_JOBDIR "=") ||
		    has_prefix(*p, FS_ENV_MOUNT "=") || has_prefix(*p, FS_ENV_TIMEOUT "=") ||
		    has_prefix(*p, FS_ENV_VERIFY "=") || has_prefix(*p, FS_ENV_STATS "="))
			continue;
		if (env_put(&e, strdup(*p)))
			return NULL;
	}
	const char *pre = getenv("LD_PRELOAD");
	int r = 0;
	if (*lib)
		r |= env_put(&e, kvf("LD_PRELOAD", "%s%s%s", lib, pre && *pre ? ":" : "", pre ? pre : ""));
	else if (pre)
		r |= env_put(&e, kvf("LD_PRELOAD", "%s", pre));
	r |= env_put(&e, kvf(FS_ENV_JOBDIR, "%s", c->jobdir));
	r |= env_put(&e, kvf(FS_ENV_MOUNT, "%s", c->opt.mount));
	r |= env_put(&e, kvf(FS_ENV_TIMEOUT, "%u", c->opt.timeout));
	r |= env_put(&e, kvf(FS_ENV_VERIFY, "%s", c->opt.verify_always ? "always" : "once"));
	if (fx_stats_wanted(c))   /* the library counts */
		r |= env_put(&e, kvf(FS_ENV_STATS, "1"));
	r |= env_default(&e, "RANK", kvf("RANK", "%d", c->rank));
	r |= env_default(&e, "WORLD_SIZE", kvf("WORLD_SIZE", "%d", c->nranks));
	r |= env_default(&e, "LOCAL_RANK", kvf("LOCAL_RANK", "%d", c->host_rank));
	r |= env_default(&e, "LOCAL_WORLD_SIZE", kvf("LOCAL_WORLD_SIZE", "%d", c->host_size));
	r |= env_default(&e, "MASTER_ADDR", kvf("MASTER_ADDR", "%s", addr));
	r |= env_default(&e, "MASTER_PORT", kvf("MASTER_PORT", "%d", port));
	if (r) {
		for (size_t i = 0; i < e.n; i++)
			free(e.v[i]);
		free(e.v);
		return NULL;
	}
	return e.v;
}

void fx_child_env_free(char **env)
{
	for (char **p = env; p && *p; p++)
		free(*p);
	free(env);
}

/* What the child says when execve fails, made before fork: the child of a
 * process with MPI's threads may only make async-signal-safe calls, so it
 * picks a prepared text and writes one line. */
static const int exec_errnos[] = {ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, ENAMETOOLONG, ETXTBSY,
				  E2BIG, ENOMEM, EISDIR, ELIBBAD, EPERM, EIO, EMFILE, ENFILE, EINVAL,
				  EFAULT};
#define FX_NEXEC_ERR (sizeof exec_errnos / sizeof *exec_errnos)

struct exec_say {
	char pre[PATH_MAX + 32];            /* "fanstore-exec: CMD: " */
	size_t prelen;
	char text[FX_NEXEC_ERR + 1][96];    /* strerror of each, last: any other */
};

static void exec_say_init(struct exec_say *m, const char *cmd)
{
	int n = snprintf(m->pre, sizeof m->pre, "fanstore-exec: %s: ", cmd);
	m->prelen = n < 0 ? 0 : (size_t)n < sizeof m->pre ? (size_t)n : sizeof m->pre - 1;
	for (size_t i = 0; i < FX_NEXEC_ERR; i++)
		snprintf(m->text[i], sizeof m->text[i], "%s\n", strerror(exec_errnos[i]));
	snprintf(m->text[FX_NEXEC_ERR], sizeof m->text[FX_NEXEC_ERR], "cannot execute\n");
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) exec_child(struct fx_ctx *c, char **env, pid_t parent,
						  const struct exec_say *m)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(FX_EXIT_FAIL);
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->opt.cmd_path, c->opt.cmd, env);
	int e = errno;
	size_t i = 0;
	while (i < FX_NEXEC_ERR && exec_errnos[i] != e)
		i++;
	char line[sizeof m->pre + sizeof m->text[0]];
	size_t tl = strlen(m->text[i]);
	memcpy(line, m->pre, m->prelen);
	memcpy(line + m->prelen, m->text[i], tl);
	(void)!write(2, line, m->prelen + tl);
	_exit(e == ENOENT ? FX_EXIT_NOTFOUND : FX_EXIT_NOEXEC);
}

/* This process's children (of every thread), at most cap; the count. */
static int children(pid_t *out, int cap)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[300], buf[4096], *save = NULL;
		snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		buf[len > 0 ? len : 0] = 0;
		for (char *t = strtok_r(buf, " \n", &save); t && n < cap; t = strtok_r(NULL, " \n", &save))
			out[n++] = (pid_t)strtol(t, NULL, 10);
	}
	if (d)
		closedir(d);
	return n;
}

int fx_child_adopted(const struct fx_child *ch, pid_t *out, int cap)
{
	pid_t all[256];
	int n = children(all, 256), k = 0;
	for (int i = 0; i < n && k < cap; i++) {
		int skip = all[i] == ch->pid;
		for (int j = 0; j < ch->nbefore && !skip; j++)
			skip = all[i] == ch->before[j];
		if (!skip)
			out[k++] = all[i];
	}
	return k;
}

int fx_child_start(struct fx_ctx *c, const char *lib, const char *addr, int port, struct fx_child *ch)
{
	char **env = fx_child_env(c, lib, addr, port);
	struct exec_say *say = malloc(sizeof *say);
	if (!env || !say) {
		fx_child_env_free(env);
		free(say);
		fx_errf(c, "out of memory building the command's environment");
		return FX_EXIT_FAIL;
	}
	exec_say_init(say, c->opt.cmd[0]);
	fflush(NULL);
	/* What the command leaves running when its parent is gone comes to us,
	 * to be killed when the command has exited (serve.c); what we have
	 * already is not the command's. */
	ch->nbefore = children(ch->before, (int)(sizeof ch->before / sizeof ch->before[0]));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_child(c, env, parent, say);
	int e = errno;
	fx_child_env_free(env);
	free(say);
	if (pid < 0) {
		fx_errf(c, "cannot start %s: fork: %s", c->opt.cmd[0], strerror(e));
		return FX_EXIT_FAIL;
	}
	ch->pid = pid;
	ch->exited = 0;
	FX_INFO(c, "started %s as pid %d", c->opt.cmd_path, (int)pid);
	return 0;
}

int fx_child_exit_code(const struct fx_child *ch)
{
	if (WIFEXITED(ch->status))
		return WEXITSTATUS(ch->status);
	if (WIFSIGNALED(ch->status))
		return 128 + WTERMSIG(ch->status);
	return FX_EXIT_FAIL;
}
