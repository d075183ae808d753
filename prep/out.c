/*
 * out.c - the output of a pack, written so that a failure or a signal
 * never leaves something that looks like a dataset.
 *
 * Modern form: everything goes into OUT.tmp.XXXXXX next to OUT, which is
 * renamed to OUT (never over an existing one) once the manifest is in.
 * Original form (output in the current directory): each partition is
 * written as .fs_NNNN.tmp.PID and the image as .fanstore.image.tmp.PID,
 * all are renamed into place when all are complete, and the manifest
 * comes last.  The image's builder writes PATH.tmp.PID itself before its
 * rename to PATH (fs_image_build_dataset), so that name is cleaned too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prep.h"

struct prep_out {
	int legacy;
	char *final;          /* modern: OUT */
	char *dir;            /* modern: the temporary directory; original: "." */
	char *manifest;       /* dir/fanstore.manifest */
	uint32_t nslots;
	char **tmp;           /* per slot: where it is written */
	char **fin;           /* original form: final names */
	uint32_t nrenamed;
	char *img;            /* where the image is built */
	char *img_inner;      /* the builder's own temporary name for it */
	int img_renamed;      /* original form: fanstore.image is in place */
	int committed;
};

/* The one output a signal handler must clean up (a signal handler has no
 * other way to reach it), and one more file (prep_out_guard). */
static struct prep_out *volatile live;
static char guard[4200];

static void on_signal(int sig)
{
	struct prep_out *w = live;
	if (guard[0])
		unlink(guard);
	if (w && !w->committed) {
		for (uint32_t i = 0; i < w->nslots; i++) {
			unlink(w->tmp[i]);
			if (w->legacy && i < w->nrenamed)
				unlink(w->fin[i]);
		}
		unlink(w->img_inner);
		unlink(w->img);
		if (w->img_renamed)
			unlink(FS_DATASET_IMAGE);
		if (!w->legacy) {
			unlink(w->manifest);
			rmdir(w->dir);
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static char *dupf(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

static char *default_out(const char *dataset)
{
	char *real = realpath(dataset, NULL);
	const char *base = real ? strrchr(real, '/') + 1 : "dataset";
	char *s = dupf(*base ? base : "root", ".fanstore");
	free(real);
	return s;
}

static int setup_names(struct prep_out *w)
{
	w->tmp = calloc(w->nslots, sizeof(*w->tmp));
	w->fin = calloc(w->nslots, sizeof(*w->fin));
	w->manifest = dupf(w->dir, "/" FS_MANIFEST_NAME);
	char img[96], inner[128];
	if (w->legacy)
		snprintf(img, sizeof(img), ".%s.tmp.%ld", FS_DATASET_IMAGE, (long)getpid());
	w->img = w->legacy ? strdup(img) : dupf(w->dir, "/" FS_DATASET_IMAGE);
	if (w->img && snprintf(inner, sizeof(inner), ".tmp.%ld", (long)getpid()) > 0)
		w->img_inner = dupf(w->img, inner);
	return w->tmp && w->fin && w->manifest && w->img && w->img_inner ? 0 : -1;
}

struct prep_out *prep_out_new(const struct prep_opts *o, uint32_t nslots)
{
	struct prep_out *w = calloc(1, sizeof(*w));
	if (!w) {
		prep_err("out of memory");
		return NULL;
	}
	w->legacy = o->legacy;
	w->nslots = nslots;
	if (o->legacy) {
		w->dir = strdup(".");
	} else {
		w->final = o->out ? strdup(o->out) : default_out(o->dataset);
		for (size_t n = w->final ? strlen(w->final) : 0; n > 1 && w->final[n - 1] == '/';)
			w->final[--n] = 0;   /* "out/" names out */
		char *tmpl = w->final ? dupf(w->final, ".tmp.XXXXXX") : NULL;
		struct stat st;
		if (w->final && lstat(w->final, &st) == 0) {
			prep_err("%s: the output directory already exists: remove it or choose another with -o",
				 w->final);
			free(tmpl);
			goto fail;
		}
		if (tmpl && !mkdtemp(tmpl)) {
			prep_err("%s: cannot create the output directory: %s", tmpl, strerror(errno));
			free(tmpl);
			goto fail;
		}
		w->dir = tmpl;
	}
	if (!w->dir || setup_names(w) < 0)
		goto nomem;
	for (uint32_t i = 0; i < nslots; i++) {
		char pn[32], tn[96];
		fs_part_filename(o->nbcast && i == nslots - 1 ? FS_PART_BCAST : i, pn, sizeof(pn));
		if (!(w->fin[i] = strdup(pn)))
			goto nomem;
		if (o->legacy)
			snprintf(tn, sizeof(tn), ".%s.tmp.%ld", pn, (long)getpid());
		else
			snprintf(tn, sizeof(tn), "%s/%s", w->dir, pn);
		if (!(w->tmp[i] = strdup(tn)))
			goto nomem;
		struct stat st;
		if (o->legacy && lstat(pn, &st) == 0) {
			prep_err("%s already exists in the current directory: remove the old "
				 "partitions and %s, or pack in another directory", pn, FS_MANIFEST_NAME);
			goto fail;
		}
	}
	struct stat st;
	const char *old[] = {FS_MANIFEST_NAME, FS_DATASET_IMAGE};
	for (size_t i = 0; o->legacy && i < sizeof(old) / sizeof(old[0]); i++) {
		if (lstat(old[i], &st) == 0) {
			prep_err("%s already exists in the current directory: remove it and the old "
				 "partitions, or pack in another directory", old[i]);
			goto fail;
		}
	}
	live = w;
	catch_signals();
	return w;
nomem:
	prep_err("out of memory");
fail:
	prep_out_free(&w);
	return NULL;
}

void prep_out_guard(const char *path)
{
	guard[0] = 0;
	if (path && strlen(path) < sizeof(guard)) {
		memcpy(guard, path, strlen(path) + 1);
		catch_signals();
	}
}

const char *prep_out_dir(const struct prep_out *w)
{
	return w->legacy ? "." : w->final;
}

const char *prep_out_path(struct prep_out *w, uint32_t slot)
{
	return w->tmp[slot];
}

const char *prep_out_image(struct prep_out *w)
{
	return w->img;
}

int prep_out_commit(struct prep_out *w, const struct fs_manifest *m)
{
	struct fs_err err = {0};
	if (w->legacy) {
		for (uint32_t i = 0; i < w->nslots; i++) {
			if (renameat2(AT_FDCWD, w->tmp[i], AT_FDCWD, w->fin[i], RENAME_NOREPLACE) < 0) {
				prep_err("%s: cannot rename into place: %s", w->fin[i], strerror(errno));
				return -1;
			}
			w->nrenamed = i + 1;
		}
		if (renameat2(AT_FDCWD, w->img, AT_FDCWD, FS_DATASET_IMAGE, RENAME_NOREPLACE) < 0) {
			prep_err("%s: cannot rename into place: %s", FS_DATASET_IMAGE, strerror(errno));
			return -1;
		}
		w->img_renamed = 1;
	}
	if (fs_manifest_write(w->dir, m, &err) != FS_OK) {
		prep_err("%s", err.msg);
		return -1;
	}
	if (!w->legacy) {
		/* mkdtemp made it 0700; a dataset gets the usual mode (umask) */
		mode_t um = umask(0);
		umask(um);
		chmod(w->dir, 0777 & ~um);
		int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		if (renameat2(AT_FDCWD, w->dir, AT_FDCWD, w->final, RENAME_NOREPLACE) < 0) {
			prep_err("%s: cannot rename %s into place: %s", w->final, w->dir,
				 strerror(errno));
			return -1;
		}
	}
	w->committed = 1;
	return 0;
}

/* Remove the temporary directory and whatever is in it (all ours). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

void prep_out_free(struct prep_out **wp)
{
	struct prep_out *w = *wp;
	if (!w)
		return;
	live = NULL;
	if (!w->committed) {
		for (uint32_t i = 0; w->tmp && i < w->nslots; i++) {
			if (w->tmp[i])
				unlink(w->tmp[i]);
			if (w->legacy && i < w->nrenamed)
				unlink(w->fin[i]);
		}
		if (w->legacy && w->img) {
			unlink(w->img_inner);
			unlink(w->img);
			if (w->img_renamed)
				unlink(FS_DATASET_IMAGE);
		}
		if (!w->legacy && w->dir)
			remove_dir(w->dir);
	}
	for (uint32_t i = 0; i < w->nslots; i++) {
		if (w->tmp)
			free(w->tmp[i]);
		if (w->fin)
			free(w->fin[i]);
	}
	free(w->tmp);
	free(w->fin);
	free(w->manifest);
	free(w->img);
	free(w->img_inner);
	free(w->final);
	free(w->dir);
	free(w);
	*wp = NULL;
}
