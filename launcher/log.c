/*
 * log.c - messages: errors (always, with the rank), rank 0's summary, and
 * -v logging with time since start, rank and file:line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fx.h"

void fx_log_init(struct fx_ctx *c)
{
	c->t0 = MPI_Wtime();
	setvbuf(stderr, NULL, _IOLBF, 0);
}

static void vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];
	int n = snprintf(buf, sizeof buf, "%s", prefix);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	fprintf(f, "%s\n", buf);
}

void fx_logf(const struct fx_ctx *c, int level, const char *file, int line,
	     const char *fmt, ...)
{
	if (c->opt.verbose < level)
		return;
	const char *base = strrchr(file, '/');
	char prefix[128];
	snprintf(prefix, sizeof prefix, "fanstore-exec[%d] %8.3fs %s:%d: ", c->rank,
		 MPI_Wtime() - c->t0, base ? base + 1 : file, line);
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, prefix, fmt, ap);
	va_end(ap);
}

void fx_errf(const struct fx_ctx *c, const char *fmt, ...)
{
	char prefix[64];
	if (c->nranks > 1)
		snprintf(prefix, sizeof prefix, "fanstore-exec: rank %d: ", c->rank);
	else
		snprintf(prefix, sizeof prefix, "fanstore-exec: ");
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, prefix, fmt, ap);
	va_end(ap);
}

void fx_say(const struct fx_ctx *c, const char *fmt, ...)
{
	if (c->rank != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, "fanstore-exec: ", fmt, ap);
	va_end(ap);
}
