/*
 * main.c - fanstore-exec: a thin main around fx_run().
 *
 * Signals the launcher handles (SIGINT, SIGTERM, SIGHUP, SIGCHLD) are
 * blocked before MPI starts any thread, so they all arrive through one
 * signalfd that the event loop polls.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>

#include "fx.h"

int main(int argc, char **argv)
{
	/* A launcher started in the background by a shell inherits SIGINT
	 * ignored; it must still see (and forward) it, and so must the
	 * command, so the dispositions go back to default first. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		perror("fanstore-exec: signalfd");
		return FX_EXIT_FAIL;
	}
	if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
		fprintf(stderr, "fanstore-exec: MPI_Init failed\n");
		return FX_EXIT_FAIL;
	}
	/* Errors come back to the caller, which checks each (FX_MPI_CHECK) and
	 * aborts the job naming the call, the rank and MPI's message. */
	FX_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
	int rc = fx_run(argc, argv, MPI_COMM_WORLD, sfd);
	if (MPI_Finalize() != MPI_SUCCESS) {
		fprintf(stderr, "fanstore-exec: MPI_Finalize failed\n");
		return rc ? rc : FX_EXIT_FAIL;
	}
	return rc;
}
