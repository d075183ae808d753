/*
 * fx.h - fanstore-exec internals: the job context shared by the launcher's
 * modules.  Only launcher/ includes this (and only launcher/ calls MPI).
 *
 * A run goes through phases (run.c): options -> manifest -> node split ->
 * job directory -> load -> metadata image -> child -> serve -> finish.
 * Every phase that can fail on one rank ends with fx_agree(), an allreduce
 * of a status, so that all ranks fail together and none waits forever.
 */
#ifndef FANSTORE_FX_H
#define FANSTORE_FX_H

#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "stats.h"
#include "store.h"

/* Exit codes of fanstore-exec itself (the child's status otherwise). */
enum fx_exit {
	FX_EXIT_FAIL = 1,       /* load or setup failed */
	FX_EXIT_USAGE = 2,      /* bad command line */
	FX_EXIT_NOEXEC = 126,   /* command found but not executable */
	FX_EXIT_NOTFOUND = 127, /* command not found */
};

/* MPI tags.  Replies use tag = request id, which is in [FX_TAG_REP0, tag_ub]. */
enum fx_tag {
	FX_TAG_BCAST = 1,
	FX_TAG_REQ = 2,
	FX_TAG_PROGRESS = 3,    /* --progress: a rank's byte count to rank 0 */
	FX_TAG_FAIL = 4,        /* a rank's command failed: {rank, status} (serve.c) */
	FX_TAG_REP0 = 16,
};

struct fx_opts {
	const char *data;        /* --data / FANSTORE_DATA */
	const char *mount;       /* --mount / FANSTORE_MOUNT */
	const char *cache;       /* --cache / FANSTORE_CACHE, NULL: choose */
	int verbose;             /* -v / FANSTORE_VERBOSE */
	int progress;            /* --progress */
	int keep;                /* --keep / FANSTORE_KEEP */
	unsigned replicas;       /* --replicas, >= 1 */
	unsigned timeout;        /* --timeout / FANSTORE_TIMEOUT, seconds */
	int verify_always;       /* --verify / FANSTORE_VERIFY: 1 always, 0 once */
	int mpi;                 /* --mpi / FANSTORE_MPI: spawn, not fork */
	int force_mount;         /* --force-mount / FANSTORE_FORCE_MOUNT */
	int stats;               /* --stats / FANSTORE_STATS: the report's table */
	const char *stats_json;  /* --stats-json / FANSTORE_STATS_JSON, or NULL */
	char **cmd;              /* the command after "--", NULL-terminated */
	char cmd_path[PATH_MAX]; /* cmd[0] resolved against PATH */
};

struct fx_ctx {
	struct fx_opts opt;
	double t0;                 /* MPI_Wtime at start */

	MPI_Comm world;            /* the job */
	MPI_Comm host;             /* ranks on this host (shared memory) */
	MPI_Comm node;             /* ranks sharing this node-local cache */
	MPI_Comm leaders;          /* node rank 0 of every node, else NULL */
	int rank, nranks;
	int host_rank, host_size;
	int node_rank, node_size;
	int node_id, nnodes;       /* node index among leaders, node count */
	int *node_ranks;           /* world ranks of this node, node_size */
	int *node_of;              /* node index of every world rank, nranks */
	int tag_ub;

	struct fs_manifest man;
	int have_man;
	uint32_t nslot;            /* npart + has_bcast */

	char cache[PATH_MAX];      /* the node-local cache directory */
	char jobid[40];            /* agreed over MPI */
	char jobdir[PATH_MAX];     /* cache/fanstore.UID.JOBID */
	int jobdir_made;           /* this rank created it (node leader) */
	int owner_fd;              /* JOBDIR/owner, flock shared for the job, or -1 */

	uint8_t *held;             /* [nslot] 1: this rank holds the slot */
	uint8_t *on_node;          /* [nslot] 1: some rank of this node holds it */
	struct fs_part **parts;    /* [nslot] mapped from the job dir, lazily */
	uint64_t held_bytes;       /* bytes this rank copied */
	struct fx_progress *prog;  /* --progress during the load, else NULL */

	struct fs_image img;
	int have_img;
	struct fx_prebuilt *pre;   /* image.c: the dataset's own image, while it is fetched */

	/* The job report (stats.c), when --stats or --stats-json asks. */
	struct fs_stats_hdr *stats;  /* node leader: JOBDIR/stats, or NULL */
	struct {                     /* serve.c: replies to other ranks */
		uint64_t bytes, crc;
	} served;
	double ready_time;           /* rank 0: seconds to the "loaded" line */
	uint64_t loaded_bytes;       /* rank 0: bytes every rank copied */
};

/* Check an MPI call's result as IOR's MPI_CHECK does: on error, print the
 * MPI error string with file:line and the rank, then abort the job.  (MPI
 * returns errors instead of aborting: main() sets MPI_ERRORS_RETURN.) */
#define FX_MPI_CHECK(call) fx_mpi_check((call), #call, __FILE__, __LINE__)
static inline void fx_mpi_check(int rc, const char *call, const char *file, int line)
{
	if (rc == MPI_SUCCESS)
		return;
	char msg[MPI_MAX_ERROR_STRING] = "";
	int len = 0, rank = -1;
	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		snprintf(msg, sizeof msg, "MPI error %d", rc);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	fprintf(stderr, "fanstore-exec: rank %d: %s:%d: %s failed: %s\n", rank, file, line, call, msg);
	MPI_Abort(MPI_COMM_WORLD, FX_EXIT_FAIL);
}

/* ---- log.c ---- */
void fx_log_init(struct fx_ctx *c);
void fx_logf(const struct fx_ctx *c, int level, const char *file, int line,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A user-facing error: always printed, prefixed by the rank. */
void fx_errf(const struct fx_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Rank 0 only, no prefix beyond the program name. */
void fx_say(const struct fx_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define FX_LOG(c, level, ...) fx_logf((c), (level), __FILE__, __LINE__, __VA_ARGS__)
#define FX_INFO(c, ...) FX_LOG(c, 1, __VA_ARGS__)
#define FX_DEBUG(c, ...) FX_LOG(c, 2, __VA_ARGS__)

/* ---- opts.c ---- */
/* Parse argv into c->opt.  Returns 0, or an fx_exit code (usage errors
 * and --help, which returns -1 after printing). Messages on rank 0 only. */
int fx_opts_parse(struct fx_ctx *c, int argc, char **argv);
void fx_usage(const struct fx_ctx *c, FILE *out);

/* ---- mount.c ---- */
/* Refuse (FX_EXIT_USAGE, one line) a mount path that would hide what the
 * command or the job needs, unless --force-mount.  Collective; after
 * fx_node_setup (it needs the cache). */
int fx_mount_check(struct fx_ctx *c);

/* ---- util.c ---- */
/* Agree on a status: returns the worst (largest) st of all ranks in comm. */
int fx_agree(MPI_Comm comm, int st);
double fx_now(void);
/* "12.3 MB" into buf. */
const char *fx_bytes(uint64_t n, char *buf, size_t len);
/* Remove a directory tree (no symlinks followed).  0 or -1/errno. */
int fx_rmtree(const char *path);
int fx_path(char *out, size_t cap, const char *dir, const char *name);
/* Resolve a command as execvp would: into out; 0, ENOENT or EACCES. */
int fx_which(const char *cmd, char *out, size_t cap);

/* ---- node.c ---- */
/* Choose the cache, split world into host, node and leader communicators. */
int fx_node_setup(struct fx_ctx *c);
/* Node leader: remove stale job directories, create this job's. */
int fx_jobdir_create(struct fx_ctx *c);
/* Bytes of cache this node needs; node leader: is there room? */
uint64_t fx_node_need(const struct fx_ctx *c);
int fx_check_space(struct fx_ctx *c);
/* Say that the cache filled up: how much this node needs, what to do. */
void fx_cache_full(const struct fx_ctx *c);
void fx_jobdir_remove(struct fx_ctx *c);

/* ---- load.c ---- */
/* Which rank holds slot s first (its primary), and whether `rank` holds it. */
int fx_slot_primary(const struct fx_ctx *c, uint32_t s);
int fx_holds(const struct fx_ctx *c, int rank, uint32_t s);
/* Which slot of the image's part table to ask for slot s from node_id. */
int fx_slot_owner_for(const struct fx_ctx *c, uint32_t s, int node_id);
/* Before the node split: what this rank holds.  After: what its node holds. */
int fx_plan(struct fx_ctx *c);
void fx_plan_node(struct fx_ctx *c);
int fx_load(struct fx_ctx *c);
/* Partitions copied without their index (the dataset's image was to give
 * the namespace) get it from the dataset now: before records are made. */
int fx_load_indexes(struct fx_ctx *c);
/* The mapped partition for slot s if it is on this node (opened lazily). */
const struct fs_part *fx_part(struct fx_ctx *c, uint32_t s);

/* ---- progress.c (--progress) ---- */
/* Start the job's progress line; total: bytes the whole job will put into
 * node caches.  No-op without --progress, as are the others. */
void fx_progress_begin(struct fx_ctx *c, uint64_t total);
/* This rank put n more bytes into its node's cache. */
void fx_progress(struct fx_ctx *c, uint64_t n);
/* fx_agree on world that keeps rank 0's line moving while it waits. */
int fx_progress_agree(struct fx_ctx *c, int st);
/* Collective: the last line (ok: the load succeeded); no message is left
 * in flight. */
void fx_progress_end(struct fx_ctx *c, int ok);

/* ---- meta.c ---- */
int fx_meta_build(struct fx_ctx *c);
/* The part table of this node's image: slot by slot, local and owner as
 * seen from this node (calloc'ed, c->nslot entries; NULL out of memory). */
struct fs_img_partinfo *fx_meta_partinfo(const struct fx_ctx *c);

/* ---- image.c ---- */
/* Rank 0 looks at the dataset's prebuilt image (DATASET/fanstore.image);
 * all ranks learn whether it is used.  On one node its copy to the job
 * directory starts at once, beside the partitions' load.  0 whether or not
 * the image can be used (a damaged one is said and left aside). */
int fx_image_start(struct fx_ctx *c);
/* Finish it: every node leader has JOBDIR/meta.img from the prebuilt image
 * (*used = 1), or nobody has and the namespace must come from the
 * partitions (*used = 0, said on rank 0 when the image is damaged).
 * Agreed by all ranks; non-zero only when the job cannot go on (a full
 * cache). */
int fx_image_finish(struct fx_ctx *c, int *used);
/* Wait for any copy still running and let go of the source. */
void fx_image_release(struct fx_ctx *c);

/* ---- child.c ---- */
struct fx_spawn;
struct fx_child {
	pid_t pid;
	int status;                /* waitpid status once exited */
	int exited;
	int port_fd;               /* rank 0: the socket holding MASTER_PORT, or -1 */
	struct fx_spawn *sp;       /* --mpi: the spawned command (spawn.c) */
	int stopped_for;           /* stopped because another rank's command failed:
				    * that command's status (the launcher's), else 0 */
	pid_t before[16];          /* our children before the command's (an MPI
				    * singleton's daemon): not the command's leftovers */
	int nbefore;
};
/* Our children now, other than the command and those in ch->before: what
 * the command left, come to us as its subreaper.  At most cap; the count. */
int fx_child_adopted(const struct fx_child *ch, pid_t *out, int cap);
/* The library to preload into out ("" for none); checks it exists. */
int fx_child_lib(struct fx_ctx *c, char *out, size_t cap);
/* Torch variables shared by every rank: rank 0's host and a free port,
 * which rank 0 keeps reserved in ch->port_fd until the job ends. */
int fx_child_rendezvous(struct fx_ctx *c, char *addr, size_t addrlen, int *port,
			struct fx_child *ch);
int fx_child_start(struct fx_ctx *c, const char *lib, const char *addr, int port,
		   struct fx_child *ch);
int fx_child_exit_code(const struct fx_child *ch);
/* The command's environment (malloc'ed strings, NULL-terminated) and its
 * release. */
char **fx_child_env(struct fx_ctx *c, const char *lib, const char *addr, int port);
void fx_child_env_free(char **env);

/* ---- spawn.c (--mpi) ---- */
/* Can this job spawn MPI processes?  0, or FX_EXIT_FAIL with one line
 * saying what to run instead. */
int fx_spawn_check(struct fx_ctx *c, const char *lib);
/* Collectively spawn the command, one process per rank on this rank's
 * host, as a new MPI job; ch->sp tracks it.  0 or an fx_exit code. */
int fx_spawn_start(struct fx_ctx *c, const char *lib, const char *addr, int port,
		   struct fx_child *ch);
/* Serve loop: forward signal sig to the command; fold its end into ch. */
void fx_spawn_kill(struct fx_child *ch, int sig);
void fx_spawn_poll(struct fx_child *ch);
/* After serving (or a failed start): stop watching, free MPI objects. */
void fx_spawn_end(struct fx_child *ch);

/* ---- serve.c ---- */
/* Node leader: listen on JOBDIR/sock (0600); others get -1. */
int fx_listen(struct fx_ctx *c, int *lfd);
/* Serve until every rank's child has exited.  sfd: the signalfd; lfd:
 * the listening socket or -1.  Closes lfd. */
int fx_serve(struct fx_ctx *c, struct fx_child *ch, int sfd, int lfd);

/* ---- stats.c: the job report ---- */
static inline int fx_stats_wanted(const struct fx_ctx *c)
{
	return c->opt.stats || c->opt.stats_json;
}
/* Rank 0: can --stats-json's file be written?  0 or FX_EXIT_USAGE. */
int fx_stats_check(struct fx_ctx *c);
/* Node leader: create and map JOBDIR/stats.  0 or FX_EXIT_FAIL. */
int fx_stats_setup(struct fx_ctx *c);
/* Collective, after the command ended everywhere: rank 0 prints the
 * table and writes the JSON.  status: the command's exit status. */
void fx_stats_report(struct fx_ctx *c, int status);
void fx_stats_release(struct fx_ctx *c);

/* ---- run.c ---- */
int fx_run(int argc, char **argv, MPI_Comm world, int sfd);

#endif /* FANSTORE_FX_H */
