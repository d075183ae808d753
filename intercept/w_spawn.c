/*
 * w_spawn.c - a command that fanstore-exec --mpi spawned as an MPI job
 * (FANSTORE_SPAWNED names its launcher's status socket).
 *
 * MPI_Init and MPI_Init_thread go through to the MPI library.  The process
 * connects to the status socket in its constructor (the launcher learns its
 * pid from the peer credentials) and sends its exit status, a 32-bit int,
 * from exit() (on_exit) and from _exit()/_Exit() (wrapped: glibc's exit
 * path does not come through them).  Only the spawned process itself
 * reports: fork children inherit the handler and the descriptor but not
 * the pid.  After an exec the new program connects again from the same
 * pid.  A process killed by a signal sends nothing; the launcher sees it
 * gone through its pid and counts it as killed.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsi.h"

static int sp_fd = -1;
static pid_t sp_pid;

int fsi_spawned(void)
{
	const char *p = getenv(FS_ENV_SPAWNED);
	return p && *p;
}

static void report(int status)
{
	if (sp_fd < 0 || (pid_t)syscall(SYS_getpid) != sp_pid)
		return;
	int32_t v = status;
	int saved = errno;
	(void)!send(sp_fd, &v, sizeof v, MSG_NOSIGNAL | MSG_DONTWAIT);
	errno = saved;
}

static void at_exit(int status, void *arg)
{
	(void)arg;
	report(status);
}

__attribute__((constructor)) static void fsi_spawn_init(void)
{
	const char *p = getenv(FS_ENV_SPAWNED);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!p || !*p || strlen(p) >= sizeof sa.sun_path)
		return;
	strcpy(sa.sun_path, p);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fsi_log("cannot reach the launcher's status socket %s: %s", p, strerror(errno));
		close(fd);
		return;
	}
	sp_fd = fd;
	sp_pid = (pid_t)syscall(SYS_getpid);
	on_exit(at_exit, NULL);
}

/* the wrappers below are the library's interface */
#pragma GCC visibility push(default)

void _exit(int status)
{
	report(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

void _Exit(int status)
{
	_exit(status);
}

#pragma GCC visibility pop

struct mpi_find {
	const char *name;
	void *self, *found;
};

static int mpi_find_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct mpi_find *f = arg;
	if (!info->dlpi_name || !*info->dlpi_name)
		return 0;
	void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return 0;
	void *p = dlsym(h, f->name);
	dlclose(h);
	if (p && p != f->self) {
		f->found = p;
		return 1;
	}
	return 0;
}

/* The MPI library's own definition of name (self: ours).  The next
 * definition after this library when the MPI library is in the global
 * scope; else (mpi4py loads it with its module, RTLD_LOCAL) the first
 * loaded object that defines it. */
void *fsi_mpi_real(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p && p != self)
		return p;
	struct mpi_find f = {name, self, NULL};
	dl_iterate_phdr(mpi_find_one, &f);
	return f.found;
}
