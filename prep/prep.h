/*
 * prep.h - fanstore-prep's internal interfaces: options, the scanned entry
 * list, the partition plan, packing and inspection.
 */
#ifndef FANSTORE_PREP_H
#define FANSTORE_PREP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

#define PREP_DEFAULT_LEVEL 6
#define PREP_RAW_PERCENT 95      /* keep DEFLATE only below this % of the original */

enum prep_mode { PM_PACK, PM_LIST, PM_INFO, PM_VERIFY, PM_EXTRACT, PM_IMAGE };

struct prep_opts {
	enum prep_mode mode;
	int legacy;              /* original command line: NPART file.list val|NULL [pack_N] */
	uint32_t npart;
	int level;               /* 0 = store, 1..12 libdeflate */
	int jobs;
	const char *out;         /* output directory (NULL: default) */
	const char *dataset;     /* dataset root (legacy: ".") */
	const char *filelist;    /* legacy: the find(1) listing */
	const char **bcast;      /* broadcast directories, relative to the root */
	size_t nbcast;
	int skip_bad;
	int progress;            /* 1 forced on, 0 auto (terminal), -1 off */
	int quiet;
	const char *dest;        /* --extract destination */
};

/* Parse argv; prints usage or a message and returns the exit status to
 * use (>= 0) when the program should stop, -1 to go on. */
int prep_opts_parse(struct prep_opts *o, int argc, char **argv);
void prep_opts_release(struct prep_opts *o);

/* Messages: "fanstore-prep: ..." on stderr.  note() is silenced by -q. */
void prep_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void prep_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void prep_set_quiet(int quiet);
/* A path made printable on one line (control bytes and non-ASCII as \ooo). */
const char *prep_show(const char *s, size_t n, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* The scanned dataset                                                 */
/* ------------------------------------------------------------------ */

struct prep_ent {
	char *name;              /* canonical relative path, NUL-terminated */
	uint32_t name_len;
	uint32_t mode;           /* S_IFREG / S_IFDIR / S_IFLNK | perms */
	uint64_t size;           /* file bytes; symlink target length */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t slot;           /* partition slot; npart = broadcast */
	char *target;            /* symlink target */
	int follow;              /* file reached through a symlink that is dereferenced */
	dev_t dev;
	ino_t ino;
};

struct prep_tree {
	int rootfd;              /* dataset root, O_DIRECTORY */
	char *rootreal;          /* realpath of the root */
	struct prep_ent *v;
	size_t n, cap;
	size_t nfiles, ndirs, nlinks, nskipped, nbad;
	uint64_t bytes;
};

/* Walk DATASET_DIR (modern command line). */
int prep_scan_dir(struct prep_tree *t, const struct prep_opts *o);
/* Read a find(1) listing relative to the current directory (original). */
int prep_scan_list(struct prep_tree *t, const struct prep_opts *o);
void prep_tree_release(struct prep_tree *t);

/* ------------------------------------------------------------------ */
/* Plan and pack                                                       */
/* ------------------------------------------------------------------ */

/* Assign slots (broadcast dirs, LPT over the scatter partitions) and sort
 * the entries by (slot, name).  Returns the dataset id. */
int prep_plan(struct prep_tree *t, const struct prep_opts *o, uint64_t *dataset_id);

/* Write the partitions and the manifest (safely, see docs/format.md). */
int prep_pack(struct prep_tree *t, const struct prep_opts *o, uint64_t dataset_id);

/* Remove a half-written output on failure or signal. */
struct prep_out;
struct prep_out *prep_out_new(const struct prep_opts *o, uint32_t nslots);
const char *prep_out_dir(const struct prep_out *w);      /* where partitions are written */
/* Temporary path for slot i (legacy: hidden temp name; modern: final name in the temp dir). */
const char *prep_out_path(struct prep_out *w, uint32_t slot);
/* A file to remove on SIGINT, SIGTERM, SIGHUP or SIGQUIT until called
 * again with NULL (one at a time). */
void prep_out_guard(const char *path);
/* Temporary path of the dataset's prebuilt image (fanstore.image). */
const char *prep_out_image(struct prep_out *w);
int prep_out_commit(struct prep_out *w, const struct fs_manifest *m);
void prep_out_free(struct prep_out **w);   /* removes everything unless committed */

/* Progress on stderr. */
struct prep_progress;
struct prep_progress *prep_progress_new(int enabled, uint64_t files, uint64_t bytes);
void prep_progress_step(struct prep_progress *p, uint64_t bytes);
void prep_progress_free(struct prep_progress **p);

/* ------------------------------------------------------------------ */
/* Inspect                                                             */
/* ------------------------------------------------------------------ */

int prep_list(const char *dir);
int prep_info(const char *dir);
int prep_verify(const char *dir, int quiet, int jobs);
int prep_extract(const char *dir, const char *dest);
/* (Re)build DIR/fanstore.image from the dataset's partitions. */
int prep_image(const char *dir);

#endif
