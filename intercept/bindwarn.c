/*
 * bindwarn.c - one line when rank 0's command starts a process while it
 * may run on one CPU of several.
 *
 * Open MPI binds each rank to one core when there are two ranks or fewer
 * (--bind-to core), and srun binds a task to its CPUs (one, with
 * --cpus-per-task=1).  A process the command starts inherits the binding:
 * DataLoader workers, a multiprocessing pool or the stages of a shell
 * pipeline then take turns on that one CPU, and the job only runs slowly.
 * So the first fork, vfork or posix_spawn of every process of rank 0
 * (RANK=0, as fanstore-exec sets it) looks at its affinity, once per
 * process (one sched_getaffinity); if it allows one CPU of several online,
 * the process that creates JOBDIR/bindwarn (O_EXCL: once per job) writes
 * one line saying what it saw and the flag that fixes it.  Nothing here is
 * on the path of a read or a stat.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsi.h"

static _Atomic int bw_looked;

void fsi_bind_check(struct fsi_ctx *c)
{
	/* a vfork child shares our memory: its look would be ours */
	if (fsi_in_vfork(c) || atomic_exchange(&bw_looked, 1))
		return;
	const char *rank = getenv("RANK");
	cpu_set_t set;
	if (!rank || strcmp(rank, "0") != 0 || sched_getaffinity(0, sizeof set, &set) != 0 ||
	    CPU_COUNT(&set) != 1)
		return;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 2)
		return;
	int cpu = 0;
	while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
		cpu++;
	char path[PATH_MAX + sizeof "/" FS_JOB_BINDWARN];
	snprintf(path, sizeof path, "%s/" FS_JOB_BINDWARN, c->jobdir);
	int fd = fsi_real.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	fsi_real.close(fd);
	fsi_log("rank 0 may run on CPU %d only, of %ld online, so the processes it starts "
		"(DataLoader workers, a multiprocessing pool) share that one CPU: give each rank "
		"its cores with mpirun --bind-to none (or --map-by ppr:1:node:pe=N) or "
		"srun --cpus-per-task=N (or --cpu-bind=none); see fanstore-exec(1), NOTES",
		cpu, online);
}
