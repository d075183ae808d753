/*
 * run.c - fx_run(): one job from options to exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

/* A SIGINT/SIGTERM/SIGHUP that arrived before the command started: the
 * job stops (every rank agrees) with 128 + the signal. */
static int interrupted(int sfd)
{
	struct signalfd_siginfo si;
	int sig = 0;
	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo != SIGCHLD)
			sig = (int)si.ssi_signo;
	return sig ? 128 + sig : 0;
}

static int phase(struct fx_ctx *c, int sfd, int rc)
{
	int sig = interrupted(sfd);
	return fx_agree(c->world, rc ? rc : sig);
}

static int check_command(struct fx_ctx *c)
{
	int e = fx_which(c->opt.cmd[0], c->opt.cmd_path, sizeof c->opt.cmd_path);
	if (e == ENOENT) {
		fx_errf(c, "%s: command not found", c->opt.cmd[0]);
		return FX_EXIT_NOTFOUND;
	}
	if (e) {
		fx_errf(c, "%s: %s", c->opt.cmd[0], strerror(e));
		return FX_EXIT_NOEXEC;
	}
	return 0;
}

/* Every rank reads the manifest; they all see the same file, so only
 * rank 0 says what is wrong with it. */
static int read_manifest(struct fx_ctx *c)
{
	struct fs_err err = {0};
	enum fs_result r = fs_manifest_read(c->opt.data, &c->man, &err);
	if (r == FS_OK) {
		c->have_man = 1;
		return 0;
	}
	if (r == FS_ERR_IO && err.sys == ENOENT)
		fx_say(c, "%s: give the directory fanstore-prep wrote with --data DIR or " FS_ENV_DATA,
		       err.msg);
	else
		fx_say(c, "%s", err.msg);
	return FX_EXIT_FAIL;
}

static void summary(struct fx_ctx *c)
{
	const struct fs_manifest_hdr *h = &c->man.hdr;
	uint64_t copied = 0;
	FX_MPI_CHECK(MPI_Reduce(&c->held_bytes, &copied, 1, MPI_UINT64_T, MPI_SUM, 0, c->world));
	double t = MPI_Wtime() - c->t0;
	c->ready_time = t;
	c->loaded_bytes = copied;
	char a[32], b[32], r[32];
	fx_say(c, "%d rank%s, %d node%s, %llu files, %llu dirs, %llu links, %s raw, %s stored; loaded in %.2f s (%s/s); mount %s, cache %s",
	       c->nranks, c->nranks == 1 ? "" : "s", c->nnodes, c->nnodes == 1 ? "" : "s",
	       (unsigned long long)h->nfiles, (unsigned long long)h->ndirs, (unsigned long long)h->nlinks, fx_bytes(h->raw_bytes, a, sizeof a),
	       fx_bytes(h->stored_bytes, b, sizeof b), t,
	       fx_bytes(t > 0 ? (uint64_t)((double)copied / t) : 0, r, sizeof r), c->opt.mount, c->cache);
}

static void release(struct fx_ctx *c)
{
	fx_stats_release(c);
	if (c->have_img)
		fs_image_close(&c->img);
	for (uint32_t s = 0; c->parts && s < c->nslot; s++)
		fs_part_free(&c->parts[s]);
	free(c->parts);
	free(c->held);
	free(c->on_node);
	free(c->node_ranks);
	free(c->node_of);
	if (c->have_man)
		fs_manifest_release(&c->man);
	MPI_Comm *comms[] = {&c->leaders, &c->node, &c->host};
	for (size_t i = 0; i < sizeof comms / sizeof *comms; i++)
		if (*comms[i] != MPI_COMM_NULL)
			FX_MPI_CHECK(MPI_Comm_free(comms[i]));
}

/* Load everything and start the command; on failure nothing is left. */
static int setup(struct fx_ctx *c, int sfd, char *lib, struct fx_child *ch, int *lfd)
{
	int rc = phase(c, sfd, check_command(c));
	if (!rc)
		rc = phase(c, sfd, fx_stats_check(c));
	if (!rc)
		rc = phase(c, sfd, fx_child_lib(c, lib, PATH_MAX));
	if (!rc && c->opt.mpi)
		rc = phase(c, sfd, fx_spawn_check(c, lib));
	if (!rc)
		rc = phase(c, sfd, read_manifest(c));
	if (!rc)
		rc = phase(c, sfd, fx_plan(c));
	if (!rc)
		rc = fx_node_setup(c);
	if (!rc)
		rc = fx_mount_check(c);
	if (rc)
		return rc;
	fx_plan_node(c);
	rc = phase(c, sfd, fx_check_space(c));
	if (!rc)
		rc = phase(c, sfd, fx_jobdir_create(c));
	if (!rc)
		rc = phase(c, sfd, fx_stats_setup(c));
	if (!rc)
		rc = phase(c, sfd, fx_image_start(c));
	if (!rc)
		rc = phase(c, sfd, fx_load(c));
	if (!rc)
		rc = phase(c, sfd, fx_meta_build(c));
	if (!rc)
		rc = phase(c, sfd, fx_listen(c, lfd));
	if (rc)
		return rc;
	summary(c);
	char addr[256];
	int port;
	fx_child_rendezvous(c, addr, sizeof addr, &port, ch);
	return phase(c, sfd, c->opt.mpi ? fx_spawn_start(c, lib, addr, port, ch)
					 : fx_child_start(c, lib, addr, port, ch));
}

int fx_run(int argc, char **argv, MPI_Comm world, int sfd)
{
	struct fx_ctx c = {.world = world, .host = MPI_COMM_NULL, .node = MPI_COMM_NULL,
			   .leaders = MPI_COMM_NULL, .owner_fd = -1};
	FX_MPI_CHECK(MPI_Comm_rank(world, &c.rank));
	FX_MPI_CHECK(MPI_Comm_size(world, &c.nranks));
	fx_log_init(&c);
	int rc = fx_opts_parse(&c, argc, argv);
	rc = fx_agree(world, rc);
	if (rc)
		return rc < 0 ? 0 : rc;
	char lib[PATH_MAX] = "";
	struct fx_child ch = {.pid = -1, .port_fd = -1};
	int lfd = -1;
	rc = setup(&c, sfd, lib, &ch, &lfd);
	if (!rc) {
		fx_serve(&c, &ch, sfd, lfd);
		rc = fx_child_exit_code(&ch);
		/* Stopped because another rank's command failed: that status. */
		if (ch.stopped_for && (rc == 128 + SIGTERM || rc == 128 + SIGKILL))
			rc = ch.stopped_for;
		fx_stats_report(&c, rc);
	} else {
		if (lfd >= 0)
			close(lfd);
		if (ch.pid > 0) {
			kill(ch.pid, SIGKILL);
			waitpid(ch.pid, NULL, 0);
		}
	}
	if (ch.port_fd >= 0)
		close(ch.port_fd);
	fx_spawn_end(&ch);
	/* Nobody uses the job directory any more once all ranks are here. */
	if (c.node != MPI_COMM_NULL)
		FX_MPI_CHECK(MPI_Barrier(c.node));
	fx_image_release(&c);   /* a failed load leaves its copy running */
	fx_jobdir_remove(&c);
	release(&c);
	return rc;
}
