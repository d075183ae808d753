/*
 * pingpong - the MPI baseline for remote reads: rank 0 sends a request
 * the size of struct fs_req, rank 1 answers with SIZE bytes, INFLIGHT
 * requests outstanding, for SECONDS.  Prints replies/s and MB/s.
 *
 *   mpirun -np 2 pingpong SIZE SECONDS [INFLIGHT [SPAN]]
 *
 * With SPAN, rank 1 answers from successive SIZE-byte pieces of a SPAN-byte
 * buffer, as a server of a dataset that does not fit in the caches does;
 * without it, always from the same (cache-hot) buffer, as the usual
 * ping-pong does.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

enum { TAG_REQ = 1, TAG_REP = 2, MAXK = 64 };

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank, size;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (argc < 3 || size != 2) {
		if (rank == 0)
			fprintf(stderr, "usage: mpirun -np 2 pingpong SIZE SECONDS [INFLIGHT]\n");
		MPI_Finalize();
		return 2;
	}
	size_t len = strtoull(argv[1], NULL, 10);
	double seconds = atof(argv[2]);
	int k = argc > 3 ? atoi(argv[3]) : 1;
	if (k < 1 || k > MAXK)
		k = 1;
	char *buf = malloc(len * (size_t)k + 1);
	memset(buf, 7, len * (size_t)k + 1);
	struct fs_req req[MAXK];
	size_t span = argc > 4 ? strtoull(argv[4], NULL, 10) : 0, pieces = 1, next = 0;
	const char *src = buf;
	if (rank == 1 && span >= 2 * len) {
		char *big = malloc(span);
		if (!big) {
			fprintf(stderr, "pingpong: no memory for a span of %zu bytes\n", span);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
		memset(big, 7, span);
		src = big;
		pieces = span / len;
	}
	if (rank == 1) {
		/* Serve until a request with id 0 says stop. */
		for (;;) {
			struct fs_req q;
			MPI_Recv(&q, sizeof q, MPI_BYTE, 0, TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			if (q.id == 0)
				break;
			MPI_Send(src + next * len, (int)len, MPI_BYTE, 0, TAG_REP + (int)q.id, MPI_COMM_WORLD);
			next = (next + 1) % pieces;
		}
	} else {
		MPI_Request r[MAXK];
		uint64_t n = 0;
		double t0 = MPI_Wtime(), t1 = t0;
		for (int i = 0; i < k; i++) {
			fs_req_init(&req[i], FS_MSG_FETCH, (uint64_t)i + 1, 0, 0, len);
			MPI_Irecv(buf + (size_t)i * len, (int)len, MPI_BYTE, 1, TAG_REP + i + 1, MPI_COMM_WORLD, &r[i]);
			MPI_Send(&req[i], sizeof req[i], MPI_BYTE, 1, TAG_REQ, MPI_COMM_WORLD);
		}
		int live = k;
		while (live) {
			int i;
			MPI_Waitany(k, r, &i, MPI_STATUS_IGNORE);
			n++;
			live--;
			t1 = MPI_Wtime();
			if (t1 - t0 < seconds) {
				MPI_Irecv(buf + (size_t)i * len, (int)len, MPI_BYTE, 1, TAG_REP + i + 1, MPI_COMM_WORLD, &r[i]);
				MPI_Send(&req[i], sizeof req[i], MPI_BYTE, 1, TAG_REQ, MPI_COMM_WORLD);
				live++;
			}
		}
		struct fs_req stop;
		fs_req_init(&stop, FS_MSG_FETCH, 0, 0, 0, 0);
		MPI_Send(&stop, sizeof stop, MPI_BYTE, 1, TAG_REQ, MPI_COMM_WORLD);
		double dt = t1 - t0;
		printf("pingpong: %zu bytes, %d in flight: %llu replies in %.3f s: %.0f replies/s %.1f MB/s\n",
		       len, k, (unsigned long long)n, dt, (double)n / dt, (double)n * (double)len / dt / 1e6);
	}
	if (src != buf)
		free((char *)src);
	free(buf);
	MPI_Finalize();
	return 0;
}
