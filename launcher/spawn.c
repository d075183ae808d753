/*
 * spawn.c - fanstore-exec --mpi: the command runs as an MPI job of its own.
 *
 * The launchers spawn it together (MPI_Comm_spawn_multiple on a copy of
 * the job's communicator), one process per rank, each with an MPI_Info
 * naming its launcher's host ("host").  Each is started as
 * `env -C CWD VAR=VALUE... COMMAND ARGS...` with the launcher's working
 * directory and the variables a forked command gets: Open MPI's info keys
 * "env" and "wdir" would say the same but take at most 255 bytes
 * (MPI_MAX_INFO_VAL), too few for an environment.  The MPI identity
 * variables the run-time gives the new process are kept (child.c does not
 * pass ours).  The command's MPI_COMM_WORLD rank is its launcher's rank.
 *
 * A spawned process is not the launcher's child, so it cannot be waited
 * for.  Instead each launcher listens on JOBDIR/spawn.RANK (named in the
 * command's FANSTORE_SPAWNED): the preloaded library connects from its
 * constructor (the peer credentials give its pid) and sends its exit
 * status from exit() or _exit().  A watcher thread (which calls no MPI but
 * MPI_Abort) accepts that connection and watches the pid through a pidfd;
 * when the process is gone the status it sent is its status, and a process
 * that sent none was killed by a signal that cannot be known here: it
 * counts as SIGKILL (128 + 9 = 137).  The thread wakes the serve loop with
 * a SIGCHLD to this process (the loop reads signals through a signalfd).
 *
 * Bounds: MPI_Comm_spawn_multiple returns only once every spawned process
 * has called MPI_Init; a command that never does would hold it forever
 * (Open MPI does not fail the spawn when one exits 0 first), so when the
 * command ends before the spawn returned, or the spawn has not returned
 * after --timeout seconds, or the command has not connected --timeout
 * seconds after it did, the watcher says so and calls MPI_Abort.  A
 * spawned process that dies or exits non-zero makes Open MPI's mpirun end
 * the whole job with that status itself.  With Open MPI the info key
 * "map_by" = ":OVERSUBSCRIBE" lets the processes share the launchers' slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

#define FX_HOST_MAX 256

struct fx_spawn {
	struct fx_ctx *c;
	MPI_Comm comm, inter;      /* the launchers' copy; the command's job */
	int lfd, quit[2];          /* status socket; the watcher's stop pipe */
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	char env_path[PATH_MAX];   /* env(1), which starts the command */
	pthread_t th;
	int th_started;
	_Atomic int spawned;       /* MPI_Comm_spawn_multiple returned */
	_Atomic int done;          /* the command is gone; status below */
	_Atomic int status;        /* a waitpid-style status */
	_Atomic pid_t pid;         /* 0 until the command connected */
};

int fx_spawn_check(struct fx_ctx *c, const char *lib)
{
	if (!*lib) {
		fx_say(c, "--mpi needs the preloaded library (it reports the command's exit status): unset FANSTORE_LIB or point it at libfanstore.so");
		return FX_EXIT_FAIL;
	}
#if defined(OPEN_MPI)
	const char *mine = getenv("OMPI_MCA_orte_hnp_uri");   /* started by Open MPI's mpirun */
#elif defined(MPICH)
	const char *mine = getenv("HYDI_CONTROL_FD");         /* started by MPICH's mpiexec (hydra) */
#else
	const char *mine = "";
#endif
	if (mine)
		return 0;
	if (getenv("SLURM_STEP_ID") || getenv("SLURM_JOB_ID"))
		fx_say(c, "--mpi cannot spawn the command here: this job was started by srun, whose PMI cannot spawn processes; run mpirun inside the allocation instead (mpirun -np N fanstore-exec --mpi ...)");
	else
		fx_say(c, "--mpi cannot spawn the command here: this job was not started by mpirun (a singleton cannot place processes on other nodes); run it as mpirun -np N fanstore-exec --mpi ...");
	return FX_EXIT_FAIL;
}

/* ---- the watcher thread ---- */

static void finish(struct fx_spawn *sp, int status)
{
	atomic_store(&sp->status, status);
	atomic_store(&sp->done, 1);
	kill(getpid(), SIGCHLD);   /* wakes the serve loop's signalfd */
}

/* The command cannot become an MPI job: say why, and end the whole job
 * (the main thread may be inside MPI_Comm_spawn_multiple for good). */
static void give_up(struct fx_spawn *sp, const char *why, int status)
{
	struct fx_ctx *c = sp->c;
	if (status >= 0)
		fx_errf(c, "%s exited with status %d without calling MPI_Init: --mpi is for MPI programs; run other commands without --mpi",
			c->opt.cmd[0], status);
	else
		fx_errf(c, "%s %s within %u s (--timeout); stopping the job", c->opt.cmd[0], why, c->opt.timeout);
	unlink(sp->path);
	fx_jobdir_remove(c);
	MPI_Abort(c->world, FX_EXIT_FAIL);
}

/* A connection on the status socket: the command (or, after an exec,
 * the new program in the same process) replaces the one before it;
 * any other process (a subprocess of the command) is turned away. */
static void accept_one(struct fx_spawn *sp, int *conn, int *pidfd)
{
	int fd = accept4(sp->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred cr;
	socklen_t len = sizeof cr;
	pid_t pid = atomic_load(&sp->pid);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != getuid() ||
	    (pid && cr.pid != pid)) {
		close(fd);
		return;
	}
	if (*conn >= 0)
		close(*conn);
	*conn = fd;
	if (!pid) {
		atomic_store(&sp->pid, cr.pid);
		*pidfd = (int)syscall(SYS_pidfd_open, cr.pid, 0);
		FX_INFO(sp->c, "spawned %s is pid %d", sp->c->opt.cmd[0], (int)cr.pid);
	}
}

/* The status the command sent on conn, if any (-1: none). */
static int read_status(int conn, int *have)
{
	int32_t v;
	ssize_t r = conn >= 0 ? recv(conn, &v, sizeof v, MSG_DONTWAIT) : -1;
	if (r == (ssize_t)sizeof v) {
		*have = 1;
		return (int)v;
	}
	return r == 0 ? -1 : -2;   /* -1: closed; -2: nothing yet */
}

/* Is pid gone?  Through its pidfd, or (no pidfd) by asking the kernel. */
static int gone(int pidfd, pid_t pid, short revents)
{
	if (pidfd >= 0)
		return (revents & POLLIN) != 0;
	return pid && kill(pid, 0) != 0 && errno == ESRCH;
}

static void *watch(void *arg)
{
	struct fx_spawn *sp = arg;
	const struct fx_ctx *c = sp->c;
	int conn = -1, pidfd = -1, have = 0, code = 0;
	double t0 = fx_now(), connected_by = 0;
	for (;;) {
		struct pollfd p[4] = {{sp->quit[0], POLLIN, 0}, {sp->lfd, POLLIN, 0}, {conn, POLLIN, 0},
				      {pidfd, POLLIN, 0}};
		int n = poll(p, 4, pidfd >= 0 ? 200 : 50);
		if (n > 0 && p[0].revents)
			break;
		if (n > 0 && p[1].revents)
			accept_one(sp, &conn, &pidfd);
		if (n > 0 && p[2].revents) {
			int v = read_status(conn, &have);
			if (v >= 0)
				code = v;
			if (v == -1) {       /* closed: an exec, or the end; the pid says which */
				close(conn);
				conn = -1;
			}
		}
		pid_t pid = atomic_load(&sp->pid);
		if (pid && gone(pidfd, pid, p[3].revents)) {
			int v = read_status(conn, &have);
			if (v >= 0)
				code = v;
			if (!atomic_load(&sp->spawned))
				give_up(sp, "", have ? code : 128 + SIGKILL);
			if (have) {
				FX_INFO(c, "spawned %s (pid %d) exited with status %d", c->opt.cmd[0], (int)pid, code);
				finish(sp, (code & 0xff) << 8);
			} else {
				fx_errf(c, "spawned %s (pid %d) ended without an exit status: killed by a signal, counted as SIGKILL (status 137)",
					c->opt.cmd[0], (int)pid);
				finish(sp, SIGKILL);
			}
			break;
		}
		double now = fx_now();
		if (!atomic_load(&sp->spawned) && now - t0 > c->opt.timeout)
			give_up(sp, "did not call MPI_Init", -1);
		if (atomic_load(&sp->spawned) && !pid) {
			if (!connected_by)
				connected_by = now + c->opt.timeout;
			else if (now > connected_by)
				give_up(sp, "called MPI_Init but never reached this launcher (is it linked statically, or did it unset LD_PRELOAD?)", -1);
		}
	}
	if (conn >= 0)
		close(conn);
	if (pidfd >= 0)
		close(pidfd);
	return NULL;
}

/* ---- starting ---- */

static int listen_status(struct fx_ctx *c, struct fx_spawn *sp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" FS_JOB_SPAWN "%d", c->jobdir, c->rank) >=
	    (int)sizeof sa.sun_path) {
		fx_errf(c, "socket path %s/" FS_JOB_SPAWN "%d is longer than %zu bytes: use a shorter --cache path",
			c->jobdir, c->rank, sizeof sa.sun_path - 1);
		return FX_EXIT_FAIL;
	}
	memcpy(sp->path, sa.sun_path, sizeof sp->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);
	int r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r != 0 || listen(fd, 16) != 0) {
		fx_errf(c, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return FX_EXIT_FAIL;
	}
	sp->lfd = fd;
	return 0;
}

/* This rank's part of the spawn, as NUL-separated strings: the host, the
 * working directory, then the environment (with FANSTORE_SPAWNED). */
static char *block(char **env, const char *status_path, int *len)
{
	char host[FX_HOST_MAX] = "", cwd[PATH_MAX] = "";
	gethostname(host, sizeof host - 1);
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	size_t n = strlen(host) + strlen(cwd) + strlen(FS_ENV_SPAWNED) + strlen(status_path) + 4;
	for (char **p = env; *p; p++)
		n += strlen(*p) + 1;
	char *s = malloc(n), *o = s;
	if (!s || n > INT_MAX)
		return free(s), NULL;
	o = stpcpy(o, host) + 1;
	o = stpcpy(o, cwd) + 1;
	for (char **p = env; *p; p++)
		o = stpcpy(o, *p) + 1;
	o = stpcpy(stpcpy(stpcpy(o, FS_ENV_SPAWNED), "="), status_path) + 1;
	*len = (int)(o - s);
	return s;
}

/* Rank 0: everyone's block, concatenated; offs[i], lens[i] locate rank i's. */
static char *gather(struct fx_ctx *c, const char *b, int len, int *offs, int *lens)
{
	MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, c->world);
	char *all = NULL;
	if (c->rank == 0) {
		long total = 0;
		for (int i = 0; i < c->nranks; i++) {
			offs[i] = (int)total;
			total += lens[i];
		}
		all = total <= INT_MAX ? malloc((size_t)total) : NULL;
		if (!all) {
			fx_errf(c, "out of memory gathering the ranks' environments");
			MPI_Abort(c->world, FX_EXIT_FAIL);
		}
	}
	MPI_Gatherv(b, len, MPI_CHAR, all, lens, offs, MPI_CHAR, 0, c->world);
	return all;
}

/* Rank 0: the argv for `env` that starts rank i's command: -C CWD, the
 * variables, the command and its arguments.  *host points into the block. */
static char **env_argv(const struct fx_ctx *c, char *b, int len, char **host)
{
	int n = 0;
	for (int i = 0; i < len; i++)
		n += b[i] == 0;
	int nargs = 0;
	while (c->opt.cmd[nargs])
		nargs++;
	char **v = calloc((size_t)(n + nargs + 4), sizeof *v);
	if (!v)
		return NULL;
	*host = b;
	char *p = b + strlen(b) + 1;
	int k = 0;
	v[k++] = "-C";
	v[k++] = p;   /* the working directory */
	for (p += strlen(p) + 1; p < b + len; p += strlen(p) + 1)
		v[k++] = p;
	v[k++] = (char *)c->opt.cmd_path;
	for (int i = 1; i < nargs; i++)
		v[k++] = c->opt.cmd[i];
	v[k] = NULL;
	return v;
}

/* Every rank: its command goes to rank 0, which spawns them all. */
static int spawn(struct fx_ctx *c, struct fx_spawn *sp, const char *mine, int len)
{
	int n = c->nranks, root = c->rank == 0, rc;
	int *offs = root ? calloc((size_t)n, sizeof *offs) : NULL;
	int *lens = root ? calloc((size_t)n, sizeof *lens) : NULL;
	int *maxprocs = root ? calloc((size_t)n, sizeof *maxprocs) : NULL;
	int *errs = root ? calloc((size_t)n, sizeof *errs) : NULL;
	char **cmds = root ? calloc((size_t)n, sizeof *cmds) : NULL;
	char ***argvs = root ? calloc((size_t)n, sizeof *argvs) : NULL;
	MPI_Info *infos = root ? calloc((size_t)n, sizeof *infos) : NULL;
	if (root && (!offs || !lens || !maxprocs || !errs || !cmds || !argvs || !infos)) {
		fx_errf(c, "out of memory preparing the spawn");
		MPI_Abort(c->world, FX_EXIT_FAIL);
	}
	char *all = gather(c, mine, len, offs, lens);
	for (int i = 0; root && i < n; i++) {
		char *host = NULL;
		cmds[i] = sp->env_path;
		argvs[i] = env_argv(c, all + offs[i], lens[i], &host);
		if (!argvs[i]) {
			fx_errf(c, "out of memory preparing the spawn");
			MPI_Abort(c->world, FX_EXIT_FAIL);
		}
		maxprocs[i] = 1;
		MPI_Info_create(&infos[i]);
		MPI_Info_set(infos[i], "host", host);
#if defined(OPEN_MPI)
		/* the launchers fill the slots, and mostly sleep */
		MPI_Info_set(infos[i], "map_by", ":OVERSUBSCRIBE");
#endif
	}
	rc = MPI_Comm_spawn_multiple(n, cmds, argvs, maxprocs, infos, 0, sp->comm, &sp->inter,
				     root ? errs : MPI_ERRCODES_IGNORE);
	atomic_store(&sp->spawned, 1);
	for (int i = 0; root && i < n; i++) {
		MPI_Info_free(&infos[i]);
		free(argvs[i]);
		if (rc == MPI_SUCCESS && errs[i] != MPI_SUCCESS)
			rc = errs[i];
	}
	free(all);
	free(offs);
	free(lens);
	free(maxprocs);
	free(errs);
	free(cmds);
	free(argvs);
	free(infos);
	return rc;
}

int fx_spawn_start(struct fx_ctx *c, const char *lib, const char *addr, int port, struct fx_child *ch)
{
	struct fx_spawn *sp = calloc(1, sizeof *sp);
	if (!sp) {
		fx_errf(c, "out of memory");
		return FX_EXIT_FAIL;
	}
	sp->c = c;
	sp->lfd = sp->quit[0] = sp->quit[1] = -1;
	sp->comm = sp->inter = MPI_COMM_NULL;
	ch->sp = sp;
	int rc = listen_status(c, sp);
	if (!rc && fx_which("env", sp->env_path, sizeof sp->env_path) != 0) {
		fx_errf(c, "--mpi starts the command through env(1), which is not on PATH");
		rc = FX_EXIT_FAIL;
	}
	char **env = rc ? NULL : fx_child_env(c, lib, addr, port);
	int len = 0;
	char *mine = env ? block(env, sp->path, &len) : NULL;
	fx_child_env_free(env);
	if (!rc && !mine) {
		fx_errf(c, "out of memory building the command's environment");
		rc = FX_EXIT_FAIL;
	}
	if (!rc && pipe2(sp->quit, O_CLOEXEC) != 0) {
		fx_errf(c, "pipe: %s", strerror(errno));
		rc = FX_EXIT_FAIL;
	}
	rc = fx_agree(c->world, rc);
	if (!rc && pthread_create(&sp->th, NULL, watch, sp) == 0)
		sp->th_started = 1;
	rc = fx_agree(c->world, rc ? rc : sp->th_started ? 0 : FX_EXIT_FAIL);
	if (rc) {
		free(mine);
		return rc;
	}
	MPI_Comm_dup(c->world, &sp->comm);
	MPI_Comm_set_errhandler(sp->comm, MPI_ERRORS_RETURN);
	double t = fx_now();
	int mrc = spawn(c, sp, mine, len);
	free(mine);
	if (mrc != MPI_SUCCESS) {
		char msg[MPI_MAX_ERROR_STRING] = "";
		int mlen = 0;
		MPI_Error_string(mrc, msg, &mlen);
		/* the other ranks may still be inside the spawn: end them too */
		fx_errf(c, "cannot spawn %s as an MPI job: %s", c->opt.cmd[0], msg);
		unlink(sp->path);
		fx_jobdir_remove(c);
		MPI_Abort(c->world, FX_EXIT_FAIL);
	}
	FX_INFO(c, "spawned %s as rank %d of a new MPI job in %.2f s", c->opt.cmd_path, c->rank, fx_now() - t);
	return 0;
}

void fx_spawn_kill(struct fx_child *ch, int sig)
{
	pid_t pid = ch->sp ? atomic_load(&ch->sp->pid) : 0;
	if (pid > 0)
		kill(pid, sig);
}

void fx_spawn_poll(struct fx_child *ch)
{
	if (ch->sp && !ch->exited && atomic_load(&ch->sp->done)) {
		ch->status = atomic_load(&ch->sp->status);
		ch->exited = 1;
	}
}

void fx_spawn_end(struct fx_child *ch)
{
	struct fx_spawn *sp = ch->sp;
	if (!sp)
		return;
	if (sp->th_started) {
		(void)!write(sp->quit[1], "q", 1);
		pthread_join(sp->th, NULL);
	}
	if (!atomic_load(&sp->done))
		fx_spawn_kill(ch, SIGKILL);
	for (int i = 0; i < 2; i++)
		if (sp->quit[i] >= 0)
			close(sp->quit[i]);
	if (sp->lfd >= 0) {
		close(sp->lfd);
		unlink(sp->path);
	}
	if (sp->inter != MPI_COMM_NULL)
		MPI_Comm_free(&sp->inter);
	if (sp->comm != MPI_COMM_NULL)
		MPI_Comm_free(&sp->comm);
	free(sp);
	ch->sp = NULL;
}
