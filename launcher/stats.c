/*
 * stats.c - the job report (--stats, --stats-json FILE).
 *
 * The command's processes count into JOBDIR/stats as they go (the
 * library: intercept/stats.c; what each count means: store/stats.h).
 * When the command has ended on every rank, each node leader adds up its
 * node's slots, every launcher adds what it served to other ranks, and
 * rank 0 gathers one row of figures per rank, folds them into nodes and
 * prints one table (stderr) and/or writes the same as JSON.  Both come
 * from one list of figures, so they cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "fx.h"

/* One row per rank, then per node. */
enum { V_FILES_L, V_FILES_R, V_BYTES_L, V_BYTES_R, V_FETCHES, V_SENT_BYTES, V_WAIT_NS, V_CRC, V_N };

/* The figures, in the table's order; seconds: a time in ns shown in s. */
static const struct figure {
	int v;
	const char *key;     /* JSON */
	const char *label;   /* table */
	int seconds;
} figures[] = {
	{V_FILES_L, "files_local", "files read, local", 0},
	{V_FILES_R, "files_remote", "files read, remote", 0},
	{V_BYTES_L, "bytes_local", "bytes read, local", 0},
	{V_BYTES_R, "bytes_remote", "bytes read, remote", 0},
	{V_FETCHES, "remote_fetches", "remote fetches", 0},
	{V_SENT_BYTES, "bytes_sent", "bytes sent to other nodes", 0},
	{V_WAIT_NS, "wait_seconds", "wait in FanStore calls, s", 1},
	{V_CRC, "crc_failures", "crc failures", 0},
};
#define NFIG (sizeof figures / sizeof *figures)

/* The directory part of path, for a check before the job starts. */
static void dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, cap, ".");
	else if (slash == path)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int fx_stats_check(struct fx_ctx *c)
{
	const char *p = c->opt.stats_json;
	if (!p || c->rank != 0)
		return 0;
	if (!*p) {
		fx_say(c, "--stats-json needs a file name");
		return FX_EXIT_USAGE;
	}
	char dir[PATH_MAX];
	struct stat st;
	dir_of(p, dir, sizeof dir);
	const char *why = NULL;
	if (p[strlen(p) - 1] == '/' || (stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
		why = "is a directory: name a file";
	else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		why = "is in a directory that does not exist";
	else if (access(dir, W_OK | X_OK) != 0)
		why = "is in a directory this user cannot write";
	if (!why)
		return 0;
	fx_say(c, "--stats-json %s %s", p, why);
	return FX_EXIT_USAGE;
}

int fx_stats_setup(struct fx_ctx *c)
{
	if (!fx_stats_wanted(c) || c->node_rank != 0)
		return 0;
	c->stats = fs_stats_map(c->jobdir);
	if (!c->stats) {
		fx_errf(c, "cannot make %s/%s for --stats: %s", c->jobdir, FS_JOB_STATS, strerror(errno));
		return FX_EXIT_FAIL;
	}
	return 0;
}

void fx_stats_release(struct fx_ctx *c)
{
	fs_stats_unmap(c->stats);
	c->stats = NULL;
}

/* This rank's row: its node's counts (leader only) and what it served. */
static void my_row(struct fx_ctx *c, uint64_t *row, uint64_t *lat)
{
	memset(row, 0, V_N * sizeof *row);
	memset(lat, 0, FS_STATS_NLAT * sizeof *lat);
	if (c->stats) {
		struct fs_stats_sum s;
		fs_stats_add(c->stats, &s);
		row[V_FILES_L] = s.files[FS_ST_LOCAL];
		row[V_FILES_R] = s.files[FS_ST_REMOTE];
		row[V_BYTES_L] = s.bytes[FS_ST_LOCAL];
		row[V_BYTES_R] = s.bytes[FS_ST_REMOTE];
		row[V_FETCHES] = s.fetches;
		row[V_WAIT_NS] = s.wait_ns;
		row[V_CRC] = s.crc;
		memcpy(lat, s.lat, sizeof s.lat);
	}
	row[V_SENT_BYTES] = c->served.bytes;
	row[V_CRC] += c->served.crc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Per figure over nodes: min, median (the lower one of an even count),
 * max; and the total. */
struct spread {
	uint64_t total, min, med, max;
};

static void spread_of(const uint64_t *node, int nnodes, int v, uint64_t *tmp, struct spread *sp)
{
	sp->total = 0;
	for (int i = 0; i < nnodes; i++) {
		tmp[i] = node[(size_t)i * V_N + v];
		sp->total += tmp[i];
	}
	qsort(tmp, (size_t)nnodes, sizeof *tmp, cmp_u64);
	sp->min = tmp[0];
	sp->med = tmp[(nnodes - 1) / 2];
	sp->max = tmp[nnodes - 1];
}

struct report {
	int nnodes, nranks, status;
	const int *node_of;
	const uint64_t *node;        /* nnodes x V_N */
	struct spread sp[NFIG];
	const uint64_t *lat;
	uint64_t nlat;
	double lat_med, lat_p99;     /* ns */
	double load_s;
	uint64_t load_bytes;
};

static void cell(FILE *f, const struct figure *g, uint64_t v, int width)
{
	if (g->seconds)
		fprintf(f, " %*.3f", width, (double)v * 1e-9);
	else
		fprintf(f, " %*llu", width, (unsigned long long)v);
}

static void print_table(const struct report *r)
{
	char a[32], b[32];
	fprintf(stderr, "fanstore-exec: job report: %d rank%s on %d node%s, command exit status %d;"
		" min, median, max over nodes\n",
		r->nranks, r->nranks == 1 ? "" : "s", r->nnodes, r->nnodes == 1 ? "" : "s", r->status);
	fprintf(stderr, "  %-28s %14s %14s %14s %14s\n", "", "total", "min", "median", "max");
	for (size_t i = 0; i < NFIG; i++) {
		fprintf(stderr, "  %-28s", figures[i].label);
		cell(stderr, &figures[i], r->sp[i].total, 14);
		cell(stderr, &figures[i], r->sp[i].min, 14);
		cell(stderr, &figures[i], r->sp[i].med, 14);
		cell(stderr, &figures[i], r->sp[i].max, 14);
		fputc('\n', stderr);
	}
	if (r->nlat)
		fprintf(stderr, "  %-28s median %.1f us, 99th percentile %.1f us (%llu fetches, each within 12.5%%)\n",
			"remote fetch time", r->lat_med / 1e3, r->lat_p99 / 1e3, (unsigned long long)r->nlat);
	else
		fprintf(stderr, "  %-28s none\n", "remote fetch time");
	fprintf(stderr, "  %-28s %.2f s, %s/s (%s copied)\n", "load", r->load_s,
		fx_bytes(r->load_s > 0 ? (uint64_t)((double)r->load_bytes / r->load_s) : 0, a, sizeof a),
		fx_bytes(r->load_bytes, b, sizeof b));
}

static void json_value(FILE *f, const struct figure *g, uint64_t v)
{
	if (g->seconds)
		fprintf(f, "%.9f", (double)v * 1e-9);
	else
		fprintf(f, "%llu", (unsigned long long)v);
}

static void write_json(FILE *f, const struct report *r)
{
	fprintf(f, "{\n  \"ranks\": %d,\n  \"nodes\": %d,\n  \"exit_status\": %d,\n  \"total\": {", r->nranks,
		r->nnodes, r->status);
	for (size_t i = 0; i < NFIG; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", figures[i].key);
		json_value(f, &figures[i], r->sp[i].total);
	}
	fprintf(f, "},\n  \"spread\": {");
	for (size_t i = 0; i < NFIG; i++) {
		fprintf(f, "%s\n    \"%s\": {\"min\": ", i ? "," : "", figures[i].key);
		json_value(f, &figures[i], r->sp[i].min);
		fprintf(f, ", \"median\": ");
		json_value(f, &figures[i], r->sp[i].med);
		fprintf(f, ", \"max\": ");
		json_value(f, &figures[i], r->sp[i].max);
		fprintf(f, "}");
	}
	fprintf(f, "\n  },\n  \"per_node\": [");
	for (int n = 0; n < r->nnodes; n++) {
		fprintf(f, "%s\n    {\"node\": %d, \"ranks\": [", n ? "," : "", n);
		for (int k = 0, first = 1; k < r->nranks; k++)
			if (r->node_of[k] == n) {
				fprintf(f, "%s%d", first ? "" : ", ", k);
				first = 0;
			}
		fprintf(f, "]");
		for (size_t i = 0; i < NFIG; i++) {
			fprintf(f, ", \"%s\": ", figures[i].key);
			json_value(f, &figures[i], r->node[(size_t)n * V_N + figures[i].v]);
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"remote_fetch_us\": {\"count\": %llu, \"median\": %.3f, \"p99\": %.3f, "
		   "\"resolution\": 0.125},\n",
		(unsigned long long)r->nlat, r->lat_med / 1e3, r->lat_p99 / 1e3);
	fprintf(f, "  \"load\": {\"seconds\": %.6f, \"bytes\": %llu, \"bytes_per_second\": %.0f}\n}\n",
		r->load_s, (unsigned long long)r->load_bytes,
		r->load_s > 0 ? (double)r->load_bytes / r->load_s : 0.0);
}

/* Under a temporary name, renamed when whole: a script never reads half. */
static void save_json(struct fx_ctx *c, const struct report *r)
{
	const char *path = c->opt.stats_json;
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	int e = f ? 0 : errno;
	if (f) {
		write_json(f, r);
		if (ferror(f))
			e = EIO;
		if (fclose(f) != 0 && !e)
			e = errno;
		if (!e && rename(tmp, path) != 0)
			e = errno;
	}
	if (!e)
		return;
	fx_errf(c, "cannot write the job report to %s: %s", path, strerror(e));
	unlink(tmp);
}

void fx_stats_report(struct fx_ctx *c, int status)
{
	if (!fx_stats_wanted(c))
		return;
	uint64_t row[V_N], lat[FS_STATS_NLAT], tot_lat[FS_STATS_NLAT];
	my_row(c, row, lat);
	uint64_t *rows = c->rank == 0 ? malloc((size_t)c->nranks * V_N * sizeof *rows) : NULL;
	if (c->rank == 0 && !rows) {
		fx_errf(c, "no memory for the job report");
		MPI_Abort(c->world, FX_EXIT_FAIL);
	}
	FX_MPI_CHECK(MPI_Gather(row, V_N, MPI_UINT64_T, rows, V_N, MPI_UINT64_T, 0, c->world));
	FX_MPI_CHECK(MPI_Reduce(lat, tot_lat, FS_STATS_NLAT, MPI_UINT64_T, MPI_SUM, 0, c->world));
	if (c->rank != 0)
		return;
	uint64_t *node = calloc((size_t)c->nnodes * V_N, sizeof *node);
	uint64_t *tmp = calloc((size_t)c->nnodes, sizeof *tmp);
	if (!node || !tmp) {
		fx_errf(c, "no memory for the job report");
		free(rows), free(node), free(tmp);
		return;
	}
	for (int k = 0; k < c->nranks; k++)
		for (int v = 0; v < V_N; v++)
			node[(size_t)c->node_of[k] * V_N + v] += rows[(size_t)k * V_N + v];
	struct report r = {.nnodes = c->nnodes, .nranks = c->nranks, .status = status,
			   .node_of = c->node_of, .node = node, .lat = tot_lat,
			   .load_s = c->ready_time, .load_bytes = c->loaded_bytes};
	for (size_t i = 0; i < NFIG; i++)
		spread_of(node, c->nnodes, figures[i].v, tmp, &r.sp[i]);
	for (unsigned b = 0; b < FS_STATS_NLAT; b++)
		r.nlat += tot_lat[b];
	r.lat_med = fs_stats_quantile(tot_lat, 0.5);
	r.lat_p99 = fs_stats_quantile(tot_lat, 0.99);
	if (c->opt.stats)
		print_table(&r);
	if (c->opt.stats_json)
		save_json(c, &r);
	free(rows);
	free(node);
	free(tmp);
}
