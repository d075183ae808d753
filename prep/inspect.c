/* inspect.c - list, summarise, verify and extract a packed dataset with
 * the store's reader. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prep.h"

#define SHOW 16384
#define BIG (64ull << 20)

struct dataset {
	struct fs_manifest m;
	uint32_t nslots;
	struct fs_part **parts;   /* NULL where a partition could not be opened */
	char (*pname)[32];
};

struct item {
	const struct fs_part *p;
	uint64_t i;
	uint32_t slot;
	const struct fs_dentry *e;
	const char *name;
};

static void ds_close(struct dataset *d)
{
	for (uint32_t s = 0; d->parts && s < d->nslots; s++)
		fs_part_free(&d->parts[s]);
	free(d->parts);
	free(d->pname);
	fs_manifest_release(&d->m);
	memset(d, 0, sizeof(*d));
}

/* Open the manifest and every partition.  With keep_going, a partition
 * that fails is reported, left NULL and counted in *nbad. */
static int ds_open(struct dataset *d, const char *dir, int keep_going, unsigned *nbad)
{
	struct fs_err err = {0};
	memset(d, 0, sizeof(*d));
	if (fs_manifest_read(dir, &d->m, &err) != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	d->nslots = d->m.hdr.npart + d->m.hdr.has_bcast;
	d->parts = calloc(d->nslots, sizeof(*d->parts));
	d->pname = calloc(d->nslots, sizeof(*d->pname));
	if (!d->parts || !d->pname) {
		prep_err("out of memory");
		ds_close(d);
		return -1;
	}
	for (uint32_t s = 0; s < d->nslots; s++) {
		uint32_t idx = s == d->m.hdr.npart ? FS_PART_BCAST : s;
		char path[4200];
		fs_part_filename(idx, d->pname[s], sizeof(d->pname[s]));
		snprintf(path, sizeof(path), "%s/%s", dir, d->pname[s]);
		enum fs_result r = fs_part_open(path, &d->parts[s], &err);
		if (r == FS_OK)
			r = fs_manifest_match(&d->m, s, fs_part_header(d->parts[s]), path, &err);
		if (r != FS_OK) {
			prep_err("%s", err.msg);
			fs_part_free(&d->parts[s]);
			if (!keep_going) {
				ds_close(d);
				return -1;
			}
			++*nbad;
		}
	}
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* Every entry of every open partition, sorted by name. */
static struct item *ds_items(const struct dataset *d, size_t *n)
{
	size_t total = 0, k = 0;
	for (uint32_t s = 0; s < d->nslots; s++)
		if (d->parts[s])
			total += fs_part_count(d->parts[s]);
	struct item *v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) {
		prep_err("out of memory");
		return NULL;
	}
	for (uint32_t s = 0; s < d->nslots; s++) {
		const struct fs_part *p = d->parts[s];
		for (uint64_t i = 0; p && i < fs_part_count(p); i++) {
			const struct fs_dentry *e = fs_part_entry(p, i);
			v[k++] = (struct item){p, i, s, e, fs_part_ename(p, e)};
		}
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), item_cmp);
	*n = k;
	return v;
}

static void mode_str(uint32_t m, char *s)
{
	const char *rwx = "rwxrwxrwx";
	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		s[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	if (m & S_ISUID)
		s[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		s[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		s[9] = (m & S_IXOTH) ? 't' : 'T';
	s[10] = 0;
}

int prep_list(const char *dir)
{
	struct dataset d;
	unsigned nbad = 0;
	if (ds_open(&d, dir, 0, &nbad) < 0)
		return 1;
	size_t n;
	struct item *v = ds_items(&d, &n);
	char *s = malloc(SHOW), *ts = malloc(SHOW);
	if (!v || !s || !ts) {
		free(v);
		free(s);
		free(ts);
		ds_close(&d);
		return 1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct fs_dentry *e = v[k].e;
		char ms[11], tb[32];
		time_t sec = (time_t)e->mtime_sec;
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S", &tm);
		mode_str(e->mode, ms);
		printf("%s %12llu %12llu %s.%09u %-8s %s", ms, (unsigned long long)e->size,
		       (unsigned long long)e->stored, tb, e->mtime_nsec, d.pname[v[k].slot],
		       prep_show(v[k].name, e->name_len, s, SHOW));
		if (S_ISLNK(e->mode))
			printf(" -> %s", prep_show(fs_part_blob(v[k].p, e), e->size, ts, SHOW));
		putchar('\n');
	}
	free(v);
	free(s);
	free(ts);
	ds_close(&d);
	return fflush(stdout) == 0 ? 0 : 1;
}

int prep_info(const char *dir)
{
	struct dataset d;
	unsigned nbad = 0;
	if (ds_open(&d, dir, 0, &nbad) < 0)
		return 1;
	printf("dataset %s: id %016llx, format version %u, %u scatter partition%s%s\n", dir,
	       (unsigned long long)d.m.hdr.dataset_id, d.m.hdr.version, d.m.hdr.npart,
	       d.m.hdr.npart == 1 ? "" : "s", d.m.hdr.has_bcast ? " + broadcast" : "");
	printf("%-9s %10s %8s %8s %15s %15s %7s\n", "partition", "files", "dirs", "links",
	       "raw bytes", "stored bytes", "ratio");
	uint64_t tf = 0, td = 0, tl = 0, tr = 0, tsb = 0;
	for (uint32_t s = 0; s < d.nslots; s++) {
		uint64_t f = 0, dd = 0, l = 0, raw = 0, st = 0;
		for (uint64_t i = 0; i < fs_part_count(d.parts[s]); i++) {
			const struct fs_dentry *e = fs_part_entry(d.parts[s], i);
			if (S_ISDIR(e->mode)) {
				dd++;
			} else if (S_ISLNK(e->mode)) {
				l++;
			} else {
				f++;
				raw += e->size;
				st += e->stored;
			}
		}
		printf("%-9s %10llu %8llu %8llu %15llu %15llu %6.2fx\n", d.pname[s],
		       (unsigned long long)f, (unsigned long long)dd, (unsigned long long)l,
		       (unsigned long long)raw, (unsigned long long)st, st ? (double)raw / (double)st : 1.0);
		tf += f, td += dd, tl += l, tr += raw, tsb += st;
	}
	printf("%-9s %10llu %8llu %8llu %15llu %15llu %6.2fx\n", "total", (unsigned long long)tf,
	       (unsigned long long)td, (unsigned long long)tl, (unsigned long long)tr,
	       (unsigned long long)tsb, tsb ? (double)tr / (double)tsb : 1.0);
	ds_close(&d);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* A buffer of at least n bytes, grown as needed (mapped when large). */
struct grow {
	void *p;
	size_t cap;
};

static void *grow_get(struct grow *g, uint64_t n)
{
	if (n <= g->cap && g->p)
		return g->p;
	fs_big_free(g->p);
	g->cap = n > 4096 ? n : 4096;
	if (!(g->p = fs_big_alloc(g->cap, 0)))
		g->cap = 0;
	return g->p;
}

static void grow_free(struct grow *g)
{
	fs_big_free(g->p);
	g->p = NULL;
	g->cap = 0;
}

/* Verification work shared by the threads: entries of every partition,
 * handed out in chunks. */
struct vwork {
	const char *dir;
	struct dataset *d;
	uint64_t *start;          /* start[s]: first global index of slot s; start[nslots] = total */
	pthread_mutex_t mu;
	uint64_t next, nok, bytes;
	unsigned nbad;
};

#define VCHUNK 64

static void verify_entry(struct vwork *w, uint32_t s, uint64_t i, struct grow *g,
			 uint64_t *nok, uint64_t *bytes, unsigned *nbad)
{
	const struct fs_part *p = w->d->parts[s];
	const struct fs_dentry *e = fs_part_entry(p, i);
	struct fs_err err = {0};
	char sh[1024];
	if (S_ISDIR(e->mode))
		return;
	if (e->method == FS_METHOD_RAW) {
		/* checked in place: no copy */
		if (fs_crc32(0, fs_part_blob(p, e), e->size) == e->crc) {
			++*nok;
			*bytes += e->size;
			return;
		}
	}
	void *buf = grow_get(g, e->size);
	if (!buf) {
		prep_err("%s/%s: %s: out of memory for %llu bytes", w->dir, w->d->pname[s],
			 prep_show(fs_part_ename(p, e), e->name_len, sh, sizeof(sh)),
			 (unsigned long long)e->size);
		++*nbad;
		return;
	}
	if (fs_part_extract(p, i, buf, &err) != FS_OK) {
		prep_err("%s/%s: %s: damaged (%s)", w->dir, w->d->pname[s],
			 prep_show(fs_part_ename(p, e), e->name_len, sh, sizeof(sh)), err.msg);
		++*nbad;
		return;
	}
	++*nok;
	*bytes += e->size;
}

static void *verify_worker(void *arg)
{
	struct vwork *w = arg;
	struct grow g = {0};
	uint64_t nok = 0, bytes = 0, total = w->start[w->d->nslots];
	unsigned nbad = 0;
	uint32_t s = 0;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		uint64_t from = w->next;
		w->next = from + VCHUNK < total ? from + VCHUNK : total;
		pthread_mutex_unlock(&w->mu);
		if (from >= total)
			break;
		for (uint64_t k = from; k < from + VCHUNK && k < total; k++) {
			while (k >= w->start[s + 1])
				s++;
			if (s >= w->d->nslots || !w->d->parts[s])
				continue;
			verify_entry(w, s, k - w->start[s], &g, &nok, &bytes, &nbad);
		}
		s = 0;
	}
	grow_free(&g);
	pthread_mutex_lock(&w->mu);
	w->nok += nok;
	w->bytes += bytes;
	w->nbad += nbad;
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* No name in two partitions (directories aside). */
static unsigned check_unique(const char *dir, const struct dataset *d)
{
	size_t n;
	unsigned nbad = 0;
	struct item *v = ds_items(d, &n);
	for (size_t k = 1; v && k < n; k++) {
		if (strcmp(v[k - 1].name, v[k].name) == 0 &&
		    !(S_ISDIR(v[k - 1].e->mode) && S_ISDIR(v[k].e->mode))) {
			char sh[1024];
			prep_err("%s: %s is in both %s and %s", dir,
				 prep_show(v[k].name, v[k].e->name_len, sh, sizeof(sh)),
				 d->pname[v[k - 1].slot], d->pname[v[k].slot]);
			nbad++;
		}
	}
	free(v);
	return v ? nbad : nbad + 1;
}

/* The dataset's prebuilt image: made for this manifest, its body's crc,
 * every entry, and as many files and symlinks as the manifest counts.
 * Returns the number of problems (0 or 1).  An image that is absent is
 * not one (older releases packed none): a note says how to add it. */
static unsigned verify_image(const char *dir, const struct fs_manifest *m, int quiet)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, FS_DATASET_IMAGE);
	struct fs_image img;
	struct fs_err err = {0};
	enum fs_result r = fs_image_open(path, &img, &err);
	if (r == FS_ERR_IO && err.sys == ENOENT) {
		if (!quiet)
			printf("%s: no %s: jobs build the namespace at start; fanstore-prep --image %s adds it\n",
			       dir, FS_DATASET_IMAGE, dir);
		return 0;
	}
	uint64_t nfiles = 0, nlinks = 0;
	if (!r && !(r = fs_image_match(&img, m, path, &err))) {
		if (fs_image_body_crc(&img) != img.hdr->body_crc)
			r = fs_seterr(&err, FS_ERR_CRC, 0, path, "body checksum mismatch (damaged)");
		else if ((r = fs_image_verify(&img, &err))) {
			char what[sizeof(err.msg)];
			snprintf(what, sizeof(what), "%s", err.msg);
			fs_seterr(&err, r, 0, path, "%s", what);
		}
	}
	for (uint64_t i = 0; !r && i < img.hdr->nent; i++) {
		nfiles += S_ISREG(img.ents[i].mode);
		nlinks += S_ISLNK(img.ents[i].mode);
	}
	if (!r && (nfiles != m->hdr.nfiles || nlinks != m->hdr.nlinks))
		r = fs_seterr(&err, FS_ERR_FORMAT, 0, path,
			      "%llu files and %llu symlinks, the manifest says %llu and %llu",
			      (unsigned long long)nfiles, (unsigned long long)nlinks,
			      (unsigned long long)m->hdr.nfiles, (unsigned long long)m->hdr.nlinks);
	fs_image_close(&img);
	if (r) {
		prep_err("%s: rebuild it with fanstore-prep --image %s", err.msg, dir);
		return 1;
	}
	if (!quiet)
		printf("%s: OK: %llu files and symlinks, checksum matches\n", path,
		       (unsigned long long)(nfiles + nlinks));
	return 0;
}

int prep_image(const char *dir)
{
	struct dataset d;
	unsigned nbad = 0;
	if (ds_open(&d, dir, 0, &nbad) < 0)
		return 1;
	char path[4200], tmp[4300];
	struct fs_err err = {0};
	snprintf(path, sizeof(path), "%s/%s", dir, FS_DATASET_IMAGE);
	/* the builder's temporary name (fs_image_build_dataset) */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	prep_out_guard(tmp);
	int r = fs_image_build_dataset(&d.m, d.parts, path, &err) == FS_OK ? 0 : 1;
	prep_out_guard(NULL);
	if (r)
		prep_err("%s", err.msg);
	ds_close(&d);
	return r;
}

int prep_verify(const char *dir, int quiet, int jobs)
{
	struct dataset d;
	unsigned nbad = 0;
	if (ds_open(&d, dir, 1, &nbad) < 0)
		return 1;
	struct vwork w = {.dir = dir, .d = &d};
	pthread_mutex_init(&w.mu, NULL);
	w.start = calloc(d.nslots + 1, sizeof(*w.start));
	pthread_t *th = calloc((size_t)jobs, sizeof(*th));
	if (!w.start || !th) {
		prep_err("out of memory");
		nbad++;
	} else {
		for (uint32_t s = 0; s < d.nslots; s++)
			w.start[s + 1] = w.start[s] + (d.parts[s] ? fs_part_count(d.parts[s]) : 0);
		for (uint32_t s = 0; s < d.nslots; s++)
			if (d.parts[s])   /* read ahead: the blobs are read once, in order */
				madvise((void *)fs_part_base(d.parts[s]),
					fs_part_header(d.parts[s])->file_size, MADV_SEQUENTIAL);
		int nth = 0;
		for (; nth < jobs - 1; nth++)
			if (pthread_create(&th[nth], NULL, verify_worker, &w) != 0)
				break;
		verify_worker(&w);
		for (int i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
		nbad += w.nbad + check_unique(dir, &d);
		nbad += verify_image(dir, &d.m, quiet);
	}
	free(th);
	free(w.start);
	pthread_mutex_destroy(&w.mu);
	ds_close(&d);
	if (nbad) {
		prep_err("%s: %u problem%s found", dir, nbad, nbad == 1 ? "" : "s");
		return 1;
	}
	if (!quiet)
		printf("%s: OK: %llu files and symlinks, %llu bytes, every checksum matches\n", dir,
		       (unsigned long long)w.nok, (unsigned long long)w.bytes);
	return 0;
}

/* mkdir -p of the parents of name under dfd. */
static int make_parents(int dfd, char *name)
{
	for (char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int r = mkdirat(dfd, name, 0755);
		int e = errno;
		*p = '/';
		if (r < 0 && e != EEXIST)
			return -1;
	}
	return 0;
}

static int is_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Write size bytes; all-zero 64 KiB blocks become holes. */
static int write_sparse(int fd, const char *p, uint64_t size)
{
	const uint64_t blk = 64 << 10;
	for (uint64_t off = 0; off < size; off += blk) {
		size_t n = (size_t)(size - off < blk ? size - off : blk);
		if (is_zero(p + off, n))
			continue;
		if (fs_pwrite_all(fd, p + off, n, off) != 0)
			return -1;
	}
	return ftruncate(fd, (off_t)size);
}

static int open_dest(const char *dest)
{
	if (mkdir(dest, 0755) < 0 && errno != EEXIST) {
		prep_err("%s: cannot create the destination: %s", dest, strerror(errno));
		return -1;
	}
	int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		prep_err("%s: cannot open the destination: %s", dest, strerror(errno));
		return -1;
	}
	int fd2 = dup(dfd);
	DIR *dd = fd2 >= 0 ? fdopendir(fd2) : NULL;
	struct dirent *de;
	int empty = 1;
	while (dd && (de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	if (dd)
		closedir(dd);
	if (!empty) {
		prep_err("%s: the destination is not empty: extract into a new directory", dest);
		close(dfd);
		return -1;
	}
	return dfd;
}

static struct timespec *mtime_of(const struct fs_dentry *e, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)e->mtime_nsec;
	return ts;
}

static int extract_one(int dfd, const struct item *it, struct grow *g, const char *dest)
{
	const struct fs_dentry *e = it->e;
	char name[FS_NAME_MAX + 1];
	struct timespec ts[2];
	struct fs_err err = {0};
	char sh[1024];
	const char *what = "cannot create";
	int fd = -1;
	memcpy(name, it->name, e->name_len + 1);
	if (make_parents(dfd, name) < 0)
		goto sys;
	if (S_ISDIR(e->mode)) {
		if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
			goto sys;
		return 0;
	}
	if (S_ISLNK(e->mode)) {
		char *t = malloc(e->size + 1);
		if (!t)
			goto sys;
		memcpy(t, fs_part_blob(it->p, e), e->size);
		t[e->size] = 0;
		int r = symlinkat(t, dfd, name);
		free(t);
		if (r < 0 || utimensat(dfd, name, mtime_of(e, ts), AT_SYMLINK_NOFOLLOW) < 0)
			goto sys;
		return 0;
	}
	void *buf = grow_get(g, e->size);
	if (!buf)
		goto sys;
	if (fs_part_extract(it->p, it->i, buf, &err) != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	what = "cannot write";
	if (fd < 0 || write_sparse(fd, buf, e->size) < 0 || fchmod(fd, e->mode & 07777) < 0 ||
	    futimens(fd, mtime_of(e, ts)) < 0)
		goto sys;
	if (close(fd) < 0) {
		fd = -1;
		goto sys;
	}
	return 0;
sys:
	prep_err("%s/%s: %s: %s", dest, prep_show(name, e->name_len, sh, sizeof(sh)), what,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int prep_extract(const char *dir, const char *dest)
{
	struct dataset d;
	unsigned nbad = 0;
	if (ds_open(&d, dir, 0, &nbad) < 0)
		return 1;
	size_t n = 0;
	struct item *v = ds_items(&d, &n);
	int dfd = v ? open_dest(dest) : -1;
	int r = dfd < 0 ? -1 : 0;
	struct grow g = {0};
	for (size_t k = 0; r == 0 && k < n; k++)
		r = extract_one(dfd, &v[k], &g, dest);
	/* directories last, children before parents, so their times stick */
	for (size_t k = n; r == 0 && k-- > 0;) {
		const struct fs_dentry *e = v[k].e;
		struct timespec ts[2];
		if (S_ISDIR(e->mode) && (fchmodat(dfd, v[k].name, e->mode & 07777, 0) < 0 ||
					 utimensat(dfd, v[k].name, mtime_of(e, ts), 0) < 0)) {
			prep_err("%s/%s: cannot set mode and time: %s", dest, v[k].name, strerror(errno));
			r = -1;
		}
	}
	grow_free(&g);
	if (dfd >= 0)
		close(dfd);
	free(v);
	ds_close(&d);
	return r == 0 ? 0 : 1;
}
