/* progress.c - files and MB done, rate and time left, on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "prep.h"

struct prep_progress {
	uint64_t files, bytes, done_files, done_bytes;
	double start, last;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct prep_progress *prep_progress_new(int enabled, uint64_t files, uint64_t bytes)
{
	if (!enabled)
		return NULL;
	struct prep_progress *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->files = files;
	p->bytes = bytes;
	p->start = p->last = now();
	return p;
}

static void show(struct prep_progress *p, double t)
{
	double el = t - p->start, mb = (double)p->done_bytes / 1e6;
	double rate = el > 0 ? mb / el : 0;
	double left = rate > 0 ? ((double)p->bytes / 1e6 - mb) / rate : 0;
	fprintf(stderr, "\r%llu/%llu files  %.1f/%.1f MB  %.1f MB/s  %d:%02d left   ",
		(unsigned long long)p->done_files, (unsigned long long)p->files, mb,
		(double)p->bytes / 1e6, rate, (int)left / 60, (int)left % 60);
}

void prep_progress_step(struct prep_progress *p, uint64_t bytes)
{
	if (!p)
		return;
	p->done_files++;
	p->done_bytes += bytes;
	double t = now();
	if (t - p->last >= 0.25) {
		p->last = t;
		show(p, t);
	}
}

void prep_progress_free(struct prep_progress **pp)
{
	struct prep_progress *p = *pp;
	if (!p)
		return;
	show(p, now());
	fputc('\n', stderr);
	free(p);
	*pp = NULL;
}
