/*
 * store.h - the ground floor of FanStore: partitions, the dataset manifest,
 * blob decoding and the metadata image.  No MPI and no interception here;
 * prep/, launcher/ and intercept/ all build on this.
 *
 * Conventions (libdeflate's):
 *   - functions that can fail return enum fs_result and, where they take a
 *     struct fs_err *, fill it with one line a user can act on that names
 *     the file and the problem ("fs_0003: truncated: 812 of 4096 bytes");
 *   - lookups in the image return an entry index (>= 0) or a negative
 *     FS_IMG_ value;
 *   - constructors return the object or NULL (out of memory, or see the
 *     function); predicates return 1 or 0; fs_compress a length, 0 when the
 *     result would not fit;
 *   - two thin wrappers of system calls keep the system's own convention,
 *     said at each: fs_pwrite_all (0 or an errno value) and fs_path_canon
 *     (a length, or -1 with errno);
 *   - objects come in pairs: x_open()/x_new() and x_free(&p), which frees
 *     and sets the pointer to NULL; x_free(&NULL) is a no-op;
 *   - nothing here prints, exits or aborts: the caller decides.
 * proto.h, built on this, has its own (errno values: see there).
 */
#ifndef FANSTORE_STORE_H
#define FANSTORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "format.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fs_result {
	FS_OK = 0,
	FS_ERR_IO,        /* a system call failed; errno kept in fs_err.sys */
	FS_ERR_FORMAT,    /* not a FanStore file, or malformed */
	FS_ERR_VERSION,   /* a FanStore file of a version this build cannot read */
	FS_ERR_CRC,       /* bytes do not match their checksum */
	FS_ERR_NOMEM,
	FS_ERR_RANGE,     /* a request outside the object */
	FS_ERR_SPACE,     /* the output buffer is too small */
	FS_ERR_ARG,       /* a bad argument from the caller */
};

struct fs_err {
	enum fs_result code;
	int sys;               /* errno for FS_ERR_IO, else 0 */
	char msg[512];
};

/* "name: text" into err (name may be NULL); returns code.  printf-style. */
enum fs_result fs_seterr(struct fs_err *err, enum fs_result code, int sys,
			 const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const char *fs_result_str(enum fs_result r);

/* Write all of buf at file offset off, retrying short writes and EINTR.
 * Returns 0 or an errno (ENOSPC when the device takes no more). */
int fs_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/*
 * Large buffers (tens of MB and more), the one allocator for them in the
 * tree.  Anonymous memory in huge pages where the kernel allows them: on
 * some virtual machines each page fault costs more than filling the page.
 * populate: every page faulted in now, by one call (a buffer about to be
 * filled whole); else reserved lazily (MAP_NORESERVE: a buffer sized for
 * the worst case).  Zeroed.  NULL when out of memory.  fs_big_free(NULL)
 * is a no-op.
 */
void *fs_big_alloc(size_t len, int populate);
void fs_big_free(void *p);

/* crc32 as libdeflate computes it (crc = 0 to start). */
uint32_t fs_crc32(uint32_t crc, const void *buf, size_t len);
/* 64-bit FNV-1a, the hash of the metadata image. */
uint64_t fs_hash(const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Blobs                                                               */
/* ------------------------------------------------------------------ */

/*
 * Decode one blob: `stored` bytes at src, by `method`, into dst, which has
 * room for exactly `size` bytes; checks that the result is `size` bytes
 * long and has crc32 `crc`.  Returns FS_OK, FS_ERR_FORMAT (bad method or
 * bad DEFLATE data), FS_ERR_CRC, FS_ERR_NOMEM.  Thread-safe; keeps one
 * libdeflate decompressor per thread.  Never writes past dst + size.
 */
enum fs_result fs_blob_decode(uint32_t method, const void *src, uint64_t stored,
			      void *dst, uint64_t size, uint32_t crc);

/*
 * The node's record of raw blobs whose crc was checked: one bit per image
 * entry in JOBDIR/verified, created if missing, mapped shared so that every
 * process of the job on the node (library and launcher) checks a blob once.
 * NULL when it cannot be made (the caller then keeps a private record).
 * System calls only: safe inside the preloaded library.
 */
uint8_t *fs_verified_map(const char *jobdir, uint64_t nent);
static inline size_t fs_verified_len(uint64_t nent)
{
	return (size_t)(nent / 8 + 1);
}

/* A raw blob checked against its crc once per node: 1 when entry ent's bit
 * in map (NULL: no record, check every time) says it was, or the crc
 * matches now (the bit is then set); 0 on a mismatch. */
int fs_verified_check(uint8_t *map, uint64_t ent, const void *blob, uint64_t size, uint32_t crc);


/*
 * Compress `size` bytes at src at libdeflate `level` (1..12) into dst of
 * capacity `cap`.  Returns the compressed length, or 0 when the result
 * would not fit in cap (the caller then stores the file raw).  `ctx` is a
 * per-thread compressor from fs_compressor_new(level).
 */
struct fs_compressor;
struct fs_compressor *fs_compressor_new(int level);
void fs_compressor_free(struct fs_compressor **c);
size_t fs_compress(struct fs_compressor *c, const void *src, size_t size,
		   void *dst, size_t cap);

/* ------------------------------------------------------------------ */
/* Partition reader                                                    */
/* ------------------------------------------------------------------ */

struct fs_part;   /* opaque: a mapped, validated partition */

/*
 * Check a partition image held in memory: header (magic, version, sizes,
 * hdr_crc), index bounds and index_crc, every entry (name inside the
 * table, valid and sorted and unique names, known type and method, blob
 * inside the data area, no two blobs overlapping, stored == size for raw
 * blobs).  Blob contents are NOT checked here (see fs_part_verify).
 * `name` is used in messages.  Safe on any input.
 */
enum fs_result fs_part_check(const void *buf, size_t len, const char *name,
			     struct fs_err *err);

/* Map `path` read-only and fs_part_check() it. */
enum fs_result fs_part_open(const char *path, struct fs_part **out,
			    struct fs_err *err);
/* Same over a caller's buffer (not copied, must outlive the object). */
enum fs_result fs_part_from_buffer(const void *buf, size_t len, const char *name,
				   struct fs_part **out, struct fs_err *err);
void fs_part_free(struct fs_part **p);

const struct fs_part_hdr *fs_part_header(const struct fs_part *p);
const void *fs_part_base(const struct fs_part *p);        /* byte 0 */
uint64_t fs_part_count(const struct fs_part *p);
const struct fs_dentry *fs_part_entry(const struct fs_part *p, uint64_t i);
const char *fs_part_ename(const struct fs_part *p, const struct fs_dentry *e);
const void *fs_part_blob(const struct fs_part *p, const struct fs_dentry *e);

/* Decode entry i into dst (room for e->size bytes). */
enum fs_result fs_part_extract(const struct fs_part *p, uint64_t i, void *dst,
			       struct fs_err *err);
/* Decode and crc-check every blob; stops at the first bad one. */
enum fs_result fs_part_verify(const struct fs_part *p, struct fs_err *err);

/* Map `path` read-only and check its header only (magic, version, header
 * crc, sections, the file's length), in time that does not grow with its
 * entries: for a holder that finds blobs through a checked metadata image
 * (fs_part_header, fs_part_base).  Its entries are not read: fs_part_entry
 * returns NULL, and it must not be given to fs_recbuf_add_part. */
enum fs_result fs_part_map(const char *path, struct fs_part **out, struct fs_err *err);

/* Read and check only the header and index of a partition file (pread; no
 * data is read).  On success *out is a partition object whose blob
 * accessors must not be used (fs_part_blob returns NULL). */
enum fs_result fs_part_open_index(const char *path, struct fs_part **out,
				  struct fs_err *err);

/* ------------------------------------------------------------------ */
/* Partition writer                                                    */
/* ------------------------------------------------------------------ */

struct fs_partw;

/* The metadata of one entry handed to the writer. */
struct fs_winfo {
	const char *name;       /* relative path, canonical (see format.h) */
	uint32_t name_len;
	uint32_t mode;          /* S_IFREG / S_IFDIR / S_IFLNK | perms */
	uint64_t size;          /* original size (symlink: target length) */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t crc;           /* crc32 of the original bytes */
	uint32_t method;        /* of the blob given to fs_partw_add */
};

/*
 * Create `path` (O_EXCL; the caller picks a temporary name and renames it
 * into place after fs_partw_finish).  Entries may be added in any order;
 * they are sorted at finish.  Duplicate names fail at finish.
 */
enum fs_result fs_partw_new(const char *path, uint32_t part_index, uint32_t npart,
			    struct fs_partw **out, struct fs_err *err);
/* Append a blob of `stored` bytes (may be 0; NULL for directories). */
enum fs_result fs_partw_add(struct fs_partw *w, const struct fs_winfo *info,
			    const void *blob, uint64_t stored, struct fs_err *err);
/* Write the index and header, fsync, close.  Fills *mp for the manifest. */
enum fs_result fs_partw_finish(struct fs_partw *w, uint64_t dataset_id,
			       struct fs_manifest_part *mp, struct fs_err *err);
/* Free; if not finished, closes and unlinks the file. */
void fs_partw_free(struct fs_partw **w);

/* ------------------------------------------------------------------ */
/* Manifest                                                            */
/* ------------------------------------------------------------------ */

struct fs_manifest {
	struct fs_manifest_hdr hdr;
	struct fs_manifest_part *parts;   /* hdr.npart + hdr.has_bcast */
};

/* Partition file name for index i (FS_PART_BCAST for the broadcast one)
 * into buf (>= 16 bytes). */
void fs_part_filename(uint32_t i, char *buf, size_t len);

/* Write DIR/fanstore.manifest atomically (temp file, fsync, rename). */
enum fs_result fs_manifest_write(const char *dir, const struct fs_manifest *m,
				 struct fs_err *err);
/* Read and check DIR/fanstore.manifest.  Free with fs_manifest_release. */
enum fs_result fs_manifest_read(const char *dir, struct fs_manifest *m,
				struct fs_err *err);
enum fs_result fs_manifest_parse(const void *buf, size_t len, const char *name,
				 struct fs_manifest *m, struct fs_err *err);
void fs_manifest_release(struct fs_manifest *m);
/* Check a mapped partition against its manifest record (size, crcs, id). */
enum fs_result fs_manifest_match(const struct fs_manifest *m, uint32_t slot,
				 const struct fs_part_hdr *h, const char *name,
				 struct fs_err *err);

/* ------------------------------------------------------------------ */
/* Metadata image                                                      */
/* ------------------------------------------------------------------ */

/*
 * Records are what ranks exchange (allgather) to build the image: a byte
 * stream of struct fs_rec, each followed by name_len name bytes then
 * target_len symlink-target bytes, each record padded to 8 bytes.
 */
struct fs_rec {
	uint64_t size;
	uint64_t stored;
	uint64_t data_off;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode;
	uint32_t crc;
	uint32_t part;          /* partition slot (bcast = npart), FS_NOPART for dirs/links */
	uint16_t name_len;
	uint16_t target_len;
	uint8_t method;
	uint8_t pad[3];
};

struct fs_recbuf {
	uint8_t *buf;
	size_t len, cap;
	uint64_t count;
};

/* Append every entry of partition p (slot = its index, npart for the
 * broadcast partition).  Symlink targets are read from p's blobs, so p
 * must be fully mapped (fs_part_open), not index-only, when it has links. */
enum fs_result fs_recbuf_add_part(struct fs_recbuf *rb, const struct fs_part *p,
				  uint32_t slot, struct fs_err *err);
/* Make room for `bytes` more bytes of records, faulted in up front (a
 * launcher that knows its partitions' sizes calls this once).  FS_OK or
 * FS_ERR_NOMEM. */
enum fs_result fs_recbuf_reserve(struct fs_recbuf *rb, size_t bytes);
void fs_recbuf_release(struct fs_recbuf *rb);

/* What the image says about each partition slot. */
struct fs_img_partinfo {
	uint64_t file_size;
	uint32_t local;
	uint32_t owner;
	uint32_t bcast;
};

/*
 * Build the image from concatenated record streams (any order; a path seen
 * twice is an error unless both are directories), adding the root and any
 * missing parent directories, and write it atomically to `path` (mode
 * 0600).  Checks every record (fs_rec_check rules) first, and the whole
 * image (fs_image_verify) before it is renamed into place.
 */
enum fs_result fs_image_build(const void *recs, size_t len, uint64_t dataset_id,
			      const struct fs_img_partinfo *parts, uint32_t nparts,
			      uint32_t nranks, uint32_t node, const char *path,
			      struct fs_err *err);
/* The same for the dataset of manifest m: its id, and the manifest's own
 * crc in the header (manifest_crc), as fs_image_build_dataset writes them. */
enum fs_result fs_image_build_for(const struct fs_manifest *m, const void *recs, size_t len,
				  const struct fs_img_partinfo *parts, uint32_t nranks,
				  uint32_t node, const char *path, struct fs_err *err);

/*
 * The prebuilt image of a packed dataset (DATASET/fanstore.image): built
 * from every slot's partition (parts[s], fully mapped: fs_part_open), node-
 * neutral (nranks 0, node 0, every slot local 0 and owner 0), with the
 * manifest's crc in the header.  Written to path (mode 0644 less the
 * umask, as any dataset file) through PATH.tmp.PID, renamed into place
 * (over an older one) only once checked whole.
 */
enum fs_result fs_image_build_dataset(const struct fs_manifest *m, struct fs_part *const *parts,
				      const char *path, struct fs_err *err);
/* The crc of the manifest as stored at its end (what manifest_crc holds). */
uint32_t fs_manifest_crc(const struct fs_manifest *m);

/* A mapped image.  Lookups never allocate. */
struct fs_image {
	const uint8_t *base;
	uint64_t size;
	const struct fs_img_hdr *hdr;
	const struct fs_img_part *parts;
	const struct fs_ment *ents;
	const uint32_t *buckets;
	const uint32_t *children;
	const char *names;
	int mapped;
};

/*
 * Map `path` and check what does not grow with the number of files: the
 * header and its crc, every section inside the file and 8-aligned, the
 * partition table, the root entry.  Each other entry is checked when a
 * lookup or fs_image_child reaches it (fs_image_check_ent), so that a
 * process that loads the image pays nothing per file.
 */
enum fs_result fs_image_open(const char *path, struct fs_image *img,
			     struct fs_err *err);
enum fs_result fs_image_from_buffer(const void *buf, size_t len, const char *name,
				    struct fs_image *img, struct fs_err *err);
void fs_image_close(struct fs_image *img);

/* Entry i usable: its name and target inside the name table, a known type
 * and method, a file's blob inside its partition, a directory's children
 * inside the child table, its hash link to a later entry.  O(1).  Does not
 * check the entries it points to.  FS_OK or FS_ERR_FORMAT with "entry I
 * (NAME): what is wrong" in err. */
enum fs_result fs_image_check_ent(const struct fs_image *img, uint64_t i,
				  struct fs_err *err);
/* Every entry, child slot and bucket, once (O(number of entries)): what
 * fs_image_build does to the image it writes, and tools may do. */
enum fs_result fs_image_verify(const struct fs_image *img, struct fs_err *err);

/* crc32 of the image's body, bytes [ent_off, image_size): what body_crc
 * must hold. */
uint32_t fs_image_body_crc(const struct fs_image *img);

/*
 * A prebuilt image (an open one: the header is checked) made for manifest
 * m: node-neutral, the dataset's id and the manifest's crc, the part table
 * the manifest implies.  O(number of partitions); the body is not read (its
 * crc is the caller's to check, as it copies it).  FS_ERR_FORMAT with one
 * line saying what differs ("NAME: built for another dataset ...").
 */
enum fs_result fs_image_match(const struct fs_image *img, const struct fs_manifest *m,
			      const char *name, struct fs_err *err);

/*
 * Make a node-neutral image one node's: head holds the image's first len
 * bytes, at least the header and the part table (up to ent_off); sets the
 * part table from parts (the slots' local and owner), nranks and node, and
 * the header crc.  The body (and body_crc) is untouched.  FS_ERR_CRC when
 * the header's crc is wrong, FS_ERR_ARG when head is not an image of
 * nparts slots whose table lies within len, before every other section.
 */
enum fs_result fs_image_set_node(void *head, size_t len, const struct fs_img_partinfo *parts,
				 uint32_t nparts, uint32_t nranks, uint32_t node,
				 struct fs_err *err);

/*
 * Lookups return an entry index (>= 0) of a checked entry, FS_IMG_ABSENT
 * when there is none, or FS_IMG_DAMAGED when they reached an entry that
 * fails fs_image_check_ent (err, may be NULL, then names it).
 */
enum { FS_IMG_ABSENT = -1, FS_IMG_DAMAGED = -2 };

/* A canonical relative path (no leading '/', "" for the root).  O(1), no
 * allocation, no system call. */
int64_t fs_image_lookup(const struct fs_image *img, const char *rel, size_t len,
			struct fs_err *err);
/* Child k (0-based, in name order) of entry dir; FS_IMG_ABSENT past the
 * last one or when dir is not a directory.  dir must be a checked entry. */
int64_t fs_image_child(const struct fs_image *img, uint64_t dir, uint64_t k,
		       struct fs_err *err);

/* The accessors below take a checked entry: an index a lookup or
 * fs_image_child returned, or any index of an image that passed
 * fs_image_verify. */
static inline const struct fs_ment *fs_image_ent(const struct fs_image *img, uint64_t i)
{
	return &img->ents[i];
}
static inline const char *fs_image_name(const struct fs_image *img, const struct fs_ment *e)
{
	return img->names + e->name_off;
}
/* Basename of an entry (the root's is ""). */
const char *fs_image_basename(const struct fs_image *img, const struct fs_ment *e,
			      size_t *len);

/* Fill *st for entry i as the kernel would for the original file:
 * st_dev from the dataset id, st_ino = i + 2, st_nlink 1 (dirs: 2 + subdirs),
 * st_uid/gid given, st_blksize 4096, st_blocks = 8 * ceil(size / 4096) (0 for symlinks),
 * atime = ctime = mtime, directories st_size 4096. */
void fs_image_stat(const struct fs_image *img, uint64_t i, uid_t uid, gid_t gid,
		   struct stat *st);

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/*
 * Canonicalise a path lexically: collapse "//", drop ".", resolve ".."
 * (never above "/" for absolute paths).  `out` gets at most cap-1 bytes
 * and a NUL; returns the length, or -1 with errno ENAMETOOLONG.  A
 * trailing '/' is dropped but reported in *trailing_slash (may be NULL).
 * Used by prep (file.list lines) and by the library (every path).
 */
long fs_path_canon(const char *in, char *out, size_t cap, int *trailing_slash);

#ifdef __cplusplus
}
#endif

#endif /* FANSTORE_STORE_H */
