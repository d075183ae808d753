/*
 * progress.c - --progress: one line for the whole job's load, from rank 0.
 *
 * The line says the bytes put into node caches so far out of the job's
 * total (every slot once per node that holds it), the rate and the time
 * left.  On a terminal it is rewritten in place (\r) every second; into a
 * file or pipe a line is written every 5 s.  Both end with one final line.
 *
 * Other ranks tell rank 0 their count during the copy without waiting for
 * it: at most once a second, and only when the previous one has gone, a
 * rank posts a non-blocking send of its cumulative count (tag
 * FX_TAG_PROGRESS).  Rank 0 takes what has arrived (Iprobe) each time it
 * counts bytes of its own and, while it waits for the others at the end of
 * a phase, in fx_progress_agree.  At the end every rank says how many it
 * sent (one gather), rank 0 receives the rest, and each rank completes its
 * last send, so no message outlives the load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fx.h"

#define FX_PROGRESS_POST 1.0    /* seconds between a rank's sends */
#define FX_PROGRESS_TTY 1.0     /* seconds between rewrites on a terminal */
#define FX_PROGRESS_LINE 5.0    /* seconds between lines otherwise */

struct fx_progress {
	uint64_t total;            /* rank 0: the job's bytes */
	uint64_t mine;             /* bytes this rank put in its cache */
	double t0, shown, posted;
	/* not rank 0 */
	uint64_t out;              /* the count in flight */
	MPI_Request req;
	uint64_t sent;
	/* rank 0 */
	uint64_t others;           /* sum of seen[] */
	uint64_t *seen, *got;      /* per rank: last count, messages received */
	int tty, width;            /* stderr is a terminal; length of the line on it */
};

/* The progress line's few bytes: without them the job stops here, as an
 * MPI call that fails does (fx_mpi_check), rather than leave a collective
 * of fx_progress_end with one rank missing. */
static void *need(void *p)
{
	if (!p)
		fx_mpi_check(MPI_ERR_NO_MEM, "calloc", __FILE__, __LINE__);
	return p;
}

void fx_progress_begin(struct fx_ctx *c, uint64_t total)
{
	if (!c->opt.progress)
		return;
	struct fx_progress *p = need(calloc(1, sizeof *p));
	if (c->rank == 0) {
		p->seen = need(calloc((size_t)c->nranks, sizeof *p->seen));
		p->got = need(calloc((size_t)c->nranks, sizeof *p->got));
	}
	p->req = MPI_REQUEST_NULL;
	p->total = total;
	p->t0 = p->shown = p->posted = fx_now();
	p->tty = isatty(2);
	c->prog = p;
}

static void take(struct fx_ctx *c, struct fx_progress *p)
{
	for (;;) {
		int flag = 0;
		MPI_Status st;
		FX_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, FX_TAG_PROGRESS, c->world, &flag, &st));
		if (!flag)
			return;
		uint64_t v;
		FX_MPI_CHECK(MPI_Recv(&v, 1, MPI_UINT64_T, st.MPI_SOURCE, FX_TAG_PROGRESS, c->world,
				      MPI_STATUS_IGNORE));
		p->others += v - p->seen[st.MPI_SOURCE];
		p->seen[st.MPI_SOURCE] = v;
		p->got[st.MPI_SOURCE]++;
	}
}

static void line(struct fx_progress *p, const char *text, int final)
{
	int n = (int)strlen(text);
	if (p->tty) {
		/* spaces over what is left of a longer line before */
		fprintf(stderr, "\r%s%*s%s", text, p->width > n ? p->width - n : 0, "", final ? "\n" : "");
		p->width = final ? 0 : n;
	} else {
		fprintf(stderr, "%s\n", text);
	}
	fflush(stderr);
}

static void show(struct fx_progress *p, double t)
{
	if (t - p->shown < (p->tty ? FX_PROGRESS_TTY : FX_PROGRESS_LINE))
		return;
	p->shown = t;
	uint64_t done = p->mine + p->others;
	double rate = t > p->t0 ? (double)done / (t - p->t0) : 0;
	char a[32], b[32], r[32], text[160], left[48] = "";
	if (rate > 0 && done < p->total)
		snprintf(left, sizeof left, ", %.0f s left", (double)(p->total - done) / rate);
	snprintf(text, sizeof text, "fanstore-exec: loading %s of %s (%.0f%%), %s/s%s",
		 fx_bytes(done, a, sizeof a), fx_bytes(p->total, b, sizeof b),
		 p->total ? 100.0 * (double)done / (double)p->total : 100.0,
		 fx_bytes((uint64_t)rate, r, sizeof r), left);
	line(p, text, 0);
}

/* Not rank 0: send the count if it changed, a second has passed and the
 * last send is done. */
static void post(struct fx_ctx *c, struct fx_progress *p, double t)
{
	if (p->out == p->mine || t - p->posted < FX_PROGRESS_POST)
		return;
	int done = 1;
	if (p->req != MPI_REQUEST_NULL)
		FX_MPI_CHECK(MPI_Test(&p->req, &done, MPI_STATUS_IGNORE));
	if (!done)
		return;
	p->posted = t;
	p->out = p->mine;
	p->sent++;
	FX_MPI_CHECK(MPI_Isend(&p->out, 1, MPI_UINT64_T, 0, FX_TAG_PROGRESS, c->world, &p->req));
}

static void tick(struct fx_ctx *c, struct fx_progress *p)
{
	double t = fx_now();
	if (c->rank == 0) {
		take(c, p);
		show(p, t);
	} else {
		post(c, p, t);
	}
}

void fx_progress(struct fx_ctx *c, uint64_t n)
{
	struct fx_progress *p = c->prog;
	if (!p)
		return;
	p->mine += n;
	tick(c, p);
}

int fx_progress_agree(struct fx_ctx *c, int st)
{
	struct fx_progress *p = c->prog;
	if (!p)
		return fx_agree(c->world, st);
	int worst = st, done = 0;
	MPI_Request req;
	FX_MPI_CHECK(MPI_Iallreduce(&st, &worst, 1, MPI_INT, MPI_MAX, c->world, &req));
	for (;;) {
		FX_MPI_CHECK(MPI_Test(&req, &done, MPI_STATUS_IGNORE));
		if (done)
			return worst;
		tick(c, p);
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
}

void fx_progress_end(struct fx_ctx *c, int ok)
{
	struct fx_progress *p = c->prog;
	if (!p)
		return;
	uint64_t me[2] = {p->mine, p->sent};
	uint64_t *all = c->rank == 0 ? need(calloc((size_t)c->nranks, sizeof me)) : NULL;
	FX_MPI_CHECK(MPI_Gather(me, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, 0, c->world));
	if (c->rank == 0) {
		/* What is still on its way: every send was posted before the gather. */
		uint64_t done = p->mine, v;
		for (int r = 1; r < c->nranks; r++) {
			for (uint64_t k = p->got[r]; k < all[2 * r + 1]; k++)
				FX_MPI_CHECK(MPI_Recv(&v, 1, MPI_UINT64_T, r, FX_TAG_PROGRESS, c->world,
						      MPI_STATUS_IGNORE));
			done += all[2 * r];
		}
		free(all);
		double t = fx_now() - p->t0;
		char a[32], b[32], r[32], text[200];
		if (ok)
			snprintf(text, sizeof text, "fanstore-exec: loaded %s of %s (%llu bytes) in %.2f s, %s/s",
				 fx_bytes(done, a, sizeof a), fx_bytes(p->total, b, sizeof b),
				 (unsigned long long)done, t,
				 fx_bytes(t > 0 ? (uint64_t)((double)done / t) : 0, r, sizeof r));
		else
			snprintf(text, sizeof text, "fanstore-exec: load stopped after %s of %s",
				 fx_bytes(done, a, sizeof a), fx_bytes(p->total, b, sizeof b));
		line(p, text, 1);
	} else if (p->req != MPI_REQUEST_NULL) {
		FX_MPI_CHECK(MPI_Wait(&p->req, MPI_STATUS_IGNORE));
	}
	free(p->seen);
	free(p->got);
	free(p);
	c->prog = NULL;
}
