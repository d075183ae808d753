/*
 * mpichild - a command that initialises MPI itself, run under
 * fanstore-exec to check that such a child never hangs the job: it either
 * starts (as a singleton, since the launcher strips the variables that
 * would make it join the job) or is refused with a message.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
		return 3;
	int size = 0;
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	printf("mpichild: MPI world of %d\n", size);
	MPI_Finalize();
	return size == 1 ? 0 : 4;
}
