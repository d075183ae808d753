/*
 * env.h - names shared by the launcher and the preloaded library: the
 * environment variables and the files of a job directory.
 *
 * A job directory is one per node per job:
 *   CACHE/fanstore.UID.JOBID/        mode 0700
 *     meta.img                       the metadata image (0600)
 *     fs_0000 ... fs_bcast           partitions held on this node (0600)
 *     sock                           the launcher's request socket (0600)
 *     spawn.RANK                     --mpi: rank RANK's status socket (0600)
 *     verified                       one bit per entry: its stored blob's crc
 *                                    was checked on this node (0600, written
 *                                    by the library and the launcher; not
 *                                    consulted with FANSTORE_VERIFY=always)
 *     stats                          --stats: the command's counters, one
 *                                    slot a thread (stats.h; 0600)
 *     owner                          "HOST PID..." of the launchers; each
 *                                    holds a shared flock on it for the job,
 *                                    so unlocked means stale
 *     bindwarn                       empty: the library said that rank 0
 *                                    runs on one CPU (once per job)
 */
#ifndef FANSTORE_ENV_H
#define FANSTORE_ENV_H

/* Set by the user (flags of fanstore-exec say the same, flags win). */
#define FS_ENV_DATA "FANSTORE_DATA"         /* packed dataset directory */
#define FS_ENV_MOUNT "FANSTORE_MOUNT"       /* where programs see the dataset */
#define FS_ENV_CACHE "FANSTORE_CACHE"       /* node-local storage */
#define FS_ENV_VERBOSE "FANSTORE_VERBOSE"   /* 0 quiet, 1 info, 2 debug */
#define FS_ENV_TIMEOUT "FANSTORE_TIMEOUT"   /* seconds a remote read may take */
#define FS_ENV_KEEP "FANSTORE_KEEP"         /* 1: keep the job directory */
#define FS_ENV_VERIFY "FANSTORE_VERIFY"     /* once (default) or always: when a
					     * stored blob's crc is checked */
#define FS_ENV_MPI "FANSTORE_MPI"           /* 1: spawn the command as an MPI job */
#define FS_ENV_FORCE_MOUNT "FANSTORE_FORCE_MOUNT" /* 1: mount over what
						   * exists (launcher only) */
#define FS_ENV_STATS "FANSTORE_STATS"       /* 1: the job report; the library
					     * counts (JOBDIR/stats) when set */
#define FS_ENV_STATS_JSON "FANSTORE_STATS_JSON" /* the job report as JSON, to a file */

/* Set by fanstore-exec for the library. */
#define FS_ENV_JOBDIR "FANSTORE_JOBDIR"     /* this node's job directory */
/* Only for a command spawned by fanstore-exec --mpi: the launcher's status
 * socket (JOBDIR/spawn.RANK).  The library lets MPI_Init through and tells
 * the launcher its pid (by connecting) and its exit status. */
#define FS_ENV_SPAWNED "FANSTORE_SPAWNED"

/* Set by the library for a program it execs. */
#define FS_ENV_CWD "FANSTORE_CWD"           /* the virtual cwd */
#define FS_ENV_FDS "FANSTORE_FDS"           /* inherited virtual fds */

#define FS_DEFAULT_MOUNT "/fanstore"
#define FS_DEFAULT_TIMEOUT 120

#define FS_JOB_PREFIX "fanstore."           /* CACHE/fanstore.UID.JOBID */
#define FS_JOB_IMAGE "meta.img"
#define FS_JOB_SOCK "sock"
#define FS_JOB_SPAWN "spawn."               /* + the rank */
#define FS_JOB_OWNER "owner"
#define FS_JOB_VERIFIED "verified"
#define FS_JOB_STATS "stats"
#define FS_JOB_CARRIER "fdpos"              /* kernel-kept offsets of shared fds */
#define FS_JOB_BINDWARN "bindwarn"

#endif /* FANSTORE_ENV_H */
