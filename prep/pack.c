/*
 * pack.c - read, checksum and compress entries on all cores, write them in
 * a fixed order so that the output does not depend on thread timing.
 *
 * Entries are packed in (slot, name) order.  Workers claim the next entry
 * and produce its blob into a window slot; whichever worker finds the next
 * entry in order ready appends the ready blobs to the open partition.  The
 * bytes in flight are bounded (a job that alone exceeds the bound runs
 * when everything before it is written).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prep.h"

#define WINDOW 256u
#define BIG (64ull << 20)          /* larger buffers are mapped with huge pages */
#define MIN_COMPRESS 32u           /* smaller files are stored raw */

struct buf {
	void *p;
	size_t len;
	int mapped;
};

struct result {
	int ready;
	char *err;                 /* failure message, or NULL */
	uint32_t method, crc;
	const void *blob;
	uint64_t stored;
	struct buf in, out;
	uint64_t cost;
};

struct writer;

struct pack {
	const struct prep_tree *t;
	const struct prep_opts *o;
	struct writer *wr;
	pthread_mutex_t mu;
	pthread_cond_t space;      /* the window moved, or abort */
	size_t next, written;
	uint64_t inflight, budget;
	int abort, writing;
	struct result res[WINDOW];
};

static void buf_free(struct buf *b)
{
	if (!b->p)
		return;
	if (b->mapped)
		fs_big_free(b->p);
	else
		free(b->p);
	b->p = NULL;
	b->len = 0;
}

static int buf_alloc(struct buf *b, size_t len)
{
	b->len = len;
	if (len > BIG) {
		b->p = fs_big_alloc(len, 0);
		b->mapped = 1;
	} else {
		b->p = malloc(len ? len : 1);
		b->mapped = 0;
	}
	return b->p ? 0 : -1;
}

static void result_clear(struct result *r)
{
	buf_free(&r->in);
	buf_free(&r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static uint64_t job_cost(const struct prep_ent *e)
{
	return S_ISREG(e->mode) ? 2 * e->size + 256 : 256;
}

static void fail_job(struct result *r, const struct prep_ent *e, const char *why, int sys)
{
	char s[1024], m[1400];
	snprintf(m, sizeof(m), "%s: %s%s%s", prep_show(e->name, e->name_len, s, sizeof(s)), why,
		 sys ? ": " : "", sys ? strerror(sys) : "");
	r->err = strdup(m);
	if (!r->err)
		r->err = strdup("out of memory");
}

static int read_range(int fd, char *p, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t want = to - from > (1u << 30) ? (1u << 30) : (size_t)(to - from);
		ssize_t k = pread(fd, p + from, want, (off_t)from);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		if (k == 0)
			return -1;   /* shorter than scanned */
		from += (uint64_t)k;
	}
	return 0;
}

/* Read size bytes.  Large buffers are fresh zero pages, so only the data
 * regions of a sparse file are read. */
static int read_all(int fd, struct buf *b, uint64_t size)
{
	if (buf_alloc(b, size) < 0)
		return ENOMEM;
	if (!b->mapped)
		return read_range(fd, b->p, 0, size);
	uint64_t off = 0;
	while (off < size) {
		off_t d = lseek(fd, (off_t)off, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO ? 0 : read_range(fd, b->p, off, size);
		off_t h = lseek(fd, d, SEEK_HOLE);
		uint64_t end = h < 0 || (uint64_t)h > size ? size : (uint64_t)h;
		int r = read_range(fd, b->p, (uint64_t)d, end);
		if (r)
			return r;
		off = end;
	}
	return 0;
}

static void do_file(struct pack *pk, struct fs_compressor *c, const struct prep_ent *e,
		    struct result *r)
{
	int fd = openat(pk->t->rootfd, e->name,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | (e->follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		fail_job(r, e, "cannot open", errno);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size ||
	    st.st_mtim.tv_sec != e->mtime_sec || (uint32_t)st.st_mtim.tv_nsec != e->mtime_nsec) {
		close(fd);
		fail_job(r, e, "changed while it was being packed (pack a dataset nobody writes to)", 0);
		return;
	}
	int rc = read_all(fd, &r->in, e->size);
	close(fd);
	if (rc) {
		fail_job(r, e, rc < 0 ? "shrank while it was being packed" : "cannot read", rc > 0 ? rc : 0);
		return;
	}
	r->crc = fs_crc32(0, r->in.p, e->size);
	r->method = FS_METHOD_RAW;
	r->blob = r->in.p;
	r->stored = e->size;
	if (!c || e->size < MIN_COMPRESS)
		return;
	/* keep DEFLATE only when it is below PREP_RAW_PERCENT of the original */
	uint64_t cap = (e->size * PREP_RAW_PERCENT - 1) / 100;
	if (buf_alloc(&r->out, cap) < 0) {
		fail_job(r, e, "out of memory for the compressed copy", 0);
		return;
	}
	size_t n = fs_compress(c, r->in.p, e->size, r->out.p, cap);
	if (n == 0) {
		buf_free(&r->out);
		return;
	}
	buf_free(&r->in);
	r->method = FS_METHOD_DEFLATE;
	r->blob = r->out.p;
	r->stored = n;
}

static void do_job(struct pack *pk, struct fs_compressor *c, const struct prep_ent *e,
		   struct result *r)
{
	if (S_ISREG(e->mode)) {
		do_file(pk, c, e, r);
	} else if (S_ISLNK(e->mode)) {
		r->method = FS_METHOD_RAW;
		r->blob = e->target;
		r->stored = e->size;
		r->crc = fs_crc32(0, e->target, e->size);
	}
}

/* The writer role: appends entries to the open partition in (slot, name)
 * order, opening and finishing partitions as slots go by.  Held by one
 * thread at a time (pk->writing), taken by whichever worker finds the next
 * entry's result ready, so no thread waits for a dedicated writer. */
struct writer {
	struct prep_out *out;
	struct fs_manifest *m;
	struct prep_progress *prog;
	uint64_t id;
	struct fs_partw *pw;
	uint32_t cur;              /* slot of pw */
};

static int open_slot(struct pack *pk, uint32_t s)
{
	struct writer *wr = pk->wr;
	struct fs_err err = {0};
	uint32_t idx = s == pk->o->npart ? FS_PART_BCAST : s;
	wr->cur = s;
	if (fs_partw_new(prep_out_path(wr->out, s), idx, pk->o->npart, &wr->pw, &err) != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	return 0;
}

static int finish_slot(struct pack *pk)
{
	struct writer *wr = pk->wr;
	struct fs_err err = {0};
	enum fs_result fr = fs_partw_finish(wr->pw, wr->id, &wr->m->parts[wr->cur], &err);
	fs_partw_free(&wr->pw);
	if (fr != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	return 0;
}

/* Finish partitions until slot s is the open one. */
static int advance_to(struct pack *pk, uint32_t s)
{
	while (pk->wr->cur < s)
		if (finish_slot(pk) < 0 || open_slot(pk, pk->wr->cur + 1) < 0)
			return -1;
	return 0;
}

static int write_one(struct pack *pk, const struct prep_ent *e, struct result *r)
{
	struct writer *wr = pk->wr;
	struct fs_err err = {0};
	if (r->err) {
		prep_err("%s", r->err);
		return -1;
	}
	if (advance_to(pk, e->slot) < 0)
		return -1;
	struct fs_winfo wi = {
		.name = e->name, .name_len = e->name_len, .mode = e->mode, .size = e->size,
		.mtime_sec = e->mtime_sec, .mtime_nsec = e->mtime_nsec, .crc = r->crc,
		.method = r->method,
	};
	if (fs_partw_add(wr->pw, &wi, r->blob, r->stored, &err) != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	if (S_ISREG(e->mode)) {
		wr->m->hdr.stored_bytes += r->stored;
		prep_progress_step(wr->prog, e->size);
	}
	return 0;
}

/* Called with pk->mu held: write every ready result in order. */
static void drain(struct pack *pk)
{
	pk->writing = 1;
	while (!pk->abort && pk->written < pk->t->n && pk->res[pk->written % WINDOW].ready) {
		size_t j = pk->written;
		struct result *r = &pk->res[j % WINDOW];
		uint64_t cost = r->cost;
		pthread_mutex_unlock(&pk->mu);
		int rc = write_one(pk, &pk->t->v[j], r);
		result_clear(r);   /* slot j % WINDOW is not claimed again before written > j */
		pthread_mutex_lock(&pk->mu);
		if (rc < 0)
			pk->abort = 1;
		pk->written++;
		pk->inflight -= cost;
		pthread_cond_broadcast(&pk->space);
	}
	pk->writing = 0;
}

static void *worker(void *arg)
{
	struct pack *pk = arg;
	struct fs_compressor *c = NULL;
	pthread_mutex_lock(&pk->mu);
	if (pk->o->level > 0 && !(c = fs_compressor_new(pk->o->level))) {
		prep_err("cannot start a compressor at level %d (out of memory?)", pk->o->level);
		pk->abort = 1;
	}
	for (;;) {
		if (pk->abort)
			break;
		if (!pk->writing && pk->written < pk->t->n && pk->res[pk->written % WINDOW].ready) {
			drain(pk);
			continue;
		}
		size_t j = pk->next;
		if (j >= pk->t->n)
			break;   /* the last result's producer writes it */
		uint64_t cost = job_cost(&pk->t->v[j]);
		if (j >= pk->written + WINDOW ||
		    (j != pk->written && pk->inflight + cost > pk->budget)) {
			pthread_cond_wait(&pk->space, &pk->mu);
			continue;
		}
		pk->next++;
		pk->inflight += cost;
		pthread_mutex_unlock(&pk->mu);
		struct result r;
		memset(&r, 0, sizeof(r));
		r.cost = cost;
		do_job(pk, c, &pk->t->v[j], &r);
		r.ready = 1;
		pthread_mutex_lock(&pk->mu);
		pk->res[j % WINDOW] = r;
	}
	pthread_cond_broadcast(&pk->space);
	pthread_mutex_unlock(&pk->mu);
	fs_compressor_free(&c);
	return NULL;
}

static void summary(const struct prep_tree *t, const struct fs_manifest *m, const char *dir,
		    const struct prep_opts *o)
{
	if (o->quiet)
		return;
	double raw = (double)m->hdr.raw_bytes, st = (double)m->hdr.stored_bytes;
	fprintf(stderr,
		"fanstore-prep: %s: %llu files, %llu directories, %llu symlinks in %u partition%s%s; "
		"%.1f MB -> %.1f MB (%.1f%%)%s\n",
		dir, (unsigned long long)t->nfiles, (unsigned long long)t->ndirs,
		(unsigned long long)t->nlinks, o->npart, o->npart == 1 ? "" : "s",
		o->nbcast ? " + broadcast" : "", raw / 1e6, st / 1e6, raw > 0 ? 100.0 * st / raw : 100.0,
		t->nskipped || t->nbad ? "; some entries were skipped (see above)" : "");
}

static void init_manifest(struct fs_manifest *m, const struct prep_tree *t,
			  const struct prep_opts *o, uint64_t dataset_id)
{
	memcpy(m->hdr.magic, FS_MANIFEST_MAGIC, 8);
	m->hdr.version = FS_FORMAT_VERSION;
	m->hdr.hdr_size = sizeof(m->hdr);
	m->hdr.dataset_id = dataset_id;
	m->hdr.npart = o->npart;
	m->hdr.has_bcast = o->nbcast ? 1 : 0;
	m->hdr.nfiles = t->nfiles;
	m->hdr.ndirs = t->ndirs;
	m->hdr.nlinks = t->nlinks;
	m->hdr.raw_bytes = t->bytes;
}

/* The dataset's prebuilt image (fanstore.image), from the partitions just
 * written, so that no job turns their indexes into a namespace again. */
static int write_image(struct prep_out *out, const struct fs_manifest *m, uint32_t nslots)
{
	struct fs_part **parts = calloc(nslots, sizeof(*parts));
	struct fs_err err = {0};
	enum fs_result r = parts ? FS_OK : fs_seterr(&err, FS_ERR_NOMEM, 0, NULL, "out of memory");
	for (uint32_t s = 0; !r && s < nslots; s++)
		r = fs_part_open(prep_out_path(out, s), &parts[s], &err);
	if (!r)
		r = fs_image_build_dataset(m, parts, prep_out_image(out), &err);
	if (r)
		prep_err("%s", err.msg);
	for (uint32_t s = 0; parts && s < nslots; s++)
		fs_part_free(&parts[s]);
	free(parts);
	return r ? -1 : 0;
}

/* Run the workers (the calling thread is one of them). */
static int run(struct pack *pk)
{
	int jobs = pk->o->jobs, nth = 0, rc = 0;
	pthread_t *th = calloc((size_t)jobs, sizeof(*th));
	if (!th) {
		prep_err("out of memory");
		return -1;
	}
	for (; nth < jobs - 1; nth++) {
		if (pthread_create(&th[nth], NULL, worker, pk) != 0) {
			prep_err("cannot start a thread");
			pthread_mutex_lock(&pk->mu);
			pk->abort = 1;
			pthread_mutex_unlock(&pk->mu);
			break;
		}
	}
	worker(pk);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (pk->abort || pk->written != pk->t->n)
		rc = -1;
	for (size_t i = 0; i < WINDOW; i++)
		result_clear(&pk->res[i]);
	return rc;
}

int prep_pack(struct prep_tree *t, const struct prep_opts *o, uint64_t dataset_id)
{
	uint32_t nslots = o->npart + (o->nbcast ? 1 : 0);
	struct fs_manifest m;
	memset(&m, 0, sizeof(m));
	m.parts = calloc(nslots, sizeof(*m.parts));
	struct pack *pk = calloc(1, sizeof(*pk));
	if (!m.parts || !pk) {
		free(m.parts);
		free(pk);
		prep_err("out of memory");
		return -1;
	}
	init_manifest(&m, t, o, dataset_id);
	struct prep_out *out = prep_out_new(o, nslots);
	struct prep_progress *prog = prep_progress_new(
		o->progress > 0 || (o->progress == 0 && isatty(2)), t->nfiles, t->bytes);
	struct writer wr = {out, &m, prog, dataset_id, NULL, 0};
	pk->t = t;
	pk->o = o;
	pk->wr = &wr;
	pk->budget = (uint64_t)o->jobs * (64ull << 20);
	if (pk->budget < (256ull << 20))
		pk->budget = 256ull << 20;
	pthread_mutex_init(&pk->mu, NULL);
	pthread_cond_init(&pk->space, NULL);
	int rc = out ? open_slot(pk, 0) : -1;
	if (rc == 0)
		rc = run(pk);
	if (rc == 0)
		rc = advance_to(pk, nslots - 1);
	if (rc == 0)
		rc = finish_slot(pk);
	fs_partw_free(&wr.pw);
	prep_progress_free(&prog);
	if (rc == 0)
		rc = write_image(out, &m, nslots);
	if (rc == 0)
		rc = prep_out_commit(out, &m);
	if (rc == 0)
		summary(t, &m, prep_out_dir(out), o);
	else if (out)
		prep_err("nothing was written to %s", o->legacy ? "the current directory" : prep_out_dir(out));
	prep_out_free(&out);
	pthread_mutex_destroy(&pk->mu);
	pthread_cond_destroy(&pk->space);
	free(pk);
	free(m.parts);
	return rc;
}
