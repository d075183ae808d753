/*
 * format.h - FanStore's on-disk and in-memory layouts.
 *
 * Everything here is little-endian, fixed width, and laid out by offsets
 * (never pointers), so a file can be mapped read-only and used in place by
 * any process.  docs/format.md describes the same layouts in prose; the two
 * must agree.  Readers refuse any version they do not know.
 *
 * Three layouts:
 *   - the partition file (fs_0000 ... fs_NNNN, fs_bcast): written by
 *     fanstore-prep, read by every tool;
 *   - the dataset manifest (fanstore.manifest): lists the partitions;
 *   - the metadata image: the whole namespace, built once by fanstore-prep
 *     (DATASET/fanstore.image, node-neutral) and made into meta.img in each
 *     job directory by fanstore-exec, mapped by libfanstore in every process.
 */
#ifndef FANSTORE_FORMAT_H
#define FANSTORE_FORMAT_H

#include <stdint.h>

#define FS_FORMAT_VERSION 1u   /* partitions and the manifest */
#define FS_IMAGE_VERSION 2u    /* the metadata image (1: no body_crc, manifest_crc) */

/* ------------------------------------------------------------------ */
/* Partition file                                                      */
/* ------------------------------------------------------------------ */

#define FS_PART_MAGIC "FANSTORP"     /* 8 bytes, no NUL stored */
#define FS_PART_BCAST 0xFFFFFFFFu    /* part_index of the broadcast partition */
#define FS_BLOB_ALIGN 64u            /* every blob starts on this boundary */
#define FS_NAME_MAX 4095u            /* longest relative path, bytes, no NUL */

/* Compression methods (fs_dentry.method). */
enum fs_method {
	FS_METHOD_RAW = 0,     /* blob holds the original bytes */
	FS_METHOD_DEFLATE = 1, /* blob is a raw DEFLATE stream (libdeflate) */
};

/*
 * Partition header: at offset 0, 128 bytes.
 * Layout of a partition: header | blobs (each FS_BLOB_ALIGN aligned) |
 * index (nent fs_dentry records, 64-byte aligned) | names.
 * index and names are contiguous: names_off == index_off + index_size.
 */
struct fs_part_hdr {
	char magic[8];          /* FS_PART_MAGIC */
	uint32_t version;       /* FS_FORMAT_VERSION */
	uint32_t hdr_size;      /* sizeof(struct fs_part_hdr) = 128 */
	uint64_t file_size;     /* size of the whole partition file */
	uint64_t dataset_id;    /* same in every partition and the manifest */
	uint32_t part_index;    /* 0..npart-1, or FS_PART_BCAST */
	uint32_t npart;         /* scatter partitions in the dataset */
	uint64_t nent;          /* entries in the index */
	uint64_t index_off;     /* offset of the fs_dentry array */
	uint64_t index_size;    /* nent * sizeof(struct fs_dentry) */
	uint64_t names_off;     /* offset of the name table */
	uint64_t names_size;    /* bytes in the name table */
	uint64_t data_off;      /* first byte of the blob area (== hdr_size aligned) */
	uint64_t data_size;     /* bytes in the blob area, padding included */
	uint32_t index_crc;     /* crc32 of [index_off, names_off + names_size) */
	uint32_t flags;         /* 0 */
	uint8_t reserved[20];   /* 0 */
	uint32_t hdr_crc;       /* crc32 of bytes [0, 124) of this header */
};

/*
 * One index entry, 64 bytes.  Entries are sorted by name (bytewise).
 * Names are relative to the dataset root, '/'-separated, no leading or
 * trailing '/', no "." or ".." components, no NUL.  Each name in the table
 * is followed by a NUL (not counted in name_len).
 *
 * Regular file: size = original bytes, stored = blob bytes, data_off = blob
 *   offset from the start of the partition, crc = crc32 of original bytes.
 * Symlink: blob holds the target (raw), size = stored = target length,
 *   crc = crc32 of the target.
 * Directory: size = stored = data_off = 0, crc = 0, method = RAW.
 * Directories and symlinks are recorded in partition 0 only.
 */
struct fs_dentry {
	uint64_t name_off;      /* offset into the name table */
	uint32_t name_len;      /* bytes, 1..FS_NAME_MAX */
	uint32_t mode;          /* st_mode: S_IFREG, S_IFDIR or S_IFLNK | perms */
	uint64_t size;
	uint64_t stored;
	uint64_t data_off;
	int64_t mtime_sec;
	uint32_t mtime_nsec;    /* < 1e9 */
	uint32_t crc;
	uint32_t method;        /* enum fs_method */
	uint32_t reserved;      /* 0 */
};

/* ------------------------------------------------------------------ */
/* Dataset manifest: DATASET/fanstore.manifest                         */
/* ------------------------------------------------------------------ */

#define FS_MANIFEST_NAME "fanstore.manifest"
#define FS_MANIFEST_MAGIC "FANSTORM"

/* Header, followed by npart (+1 if has_bcast) fs_manifest_part records
 * (scatter partitions in order, then the broadcast one), then a uint32_t
 * crc32 of everything before it. */
struct fs_manifest_hdr {
	char magic[8];          /* FS_MANIFEST_MAGIC */
	uint32_t version;       /* FS_FORMAT_VERSION */
	uint32_t hdr_size;      /* sizeof(struct fs_manifest_hdr) = 80 */
	uint64_t dataset_id;
	uint32_t npart;         /* scatter partitions, >= 1 */
	uint32_t has_bcast;     /* 0 or 1 */
	uint64_t nfiles;        /* regular files */
	uint64_t ndirs;         /* directories (root not counted) */
	uint64_t nlinks;        /* symlinks */
	uint64_t raw_bytes;     /* sum of file sizes */
	uint64_t stored_bytes;  /* sum of blob sizes */
	uint64_t reserved;      /* 0 */
};

struct fs_manifest_part {
	uint64_t file_size;     /* must equal the partition's size */
	uint64_t nent;
	uint32_t hdr_crc;       /* must equal the partition's hdr_crc */
	uint32_t index_crc;     /* must equal the partition's index_crc */
};

/* Partition file names: "fs_%04u" for scatter partitions, "fs_bcast". */
#define FS_BCAST_NAME "fs_bcast"

/* ------------------------------------------------------------------ */
/* Metadata image: DATASET/fanstore.image, JOBDIR/meta.img             */
/* ------------------------------------------------------------------ */

#define FS_IMAGE_MAGIC "FANSTORI"
#define FS_DATASET_IMAGE "fanstore.image"   /* the prebuilt one, beside the partitions */
#define FS_NOPART 0xFFFFFFFFu

/*
 * Image layout: header | parts[nparts] | ents[nent] | buckets[nbucket] |
 * children[nchild] | names.  Every section 64-byte aligned.
 * ents[0] is the root directory (name "").
 */
struct fs_img_hdr {
	char magic[8];          /* FS_IMAGE_MAGIC */
	uint32_t version;       /* FS_IMAGE_VERSION */
	uint32_t hdr_size;      /* sizeof(struct fs_img_hdr) = 128 */
	uint64_t image_size;    /* whole file */
	uint64_t dataset_id;
	uint64_t nent;
	uint64_t ent_off;
	uint64_t nbucket;       /* power of two */
	uint64_t bucket_off;    /* uint32_t[nbucket]: entry index + 1, 0 = empty */
	uint64_t nchild;
	uint64_t child_off;     /* uint32_t[nchild]: entry indices, per dir sorted by name */
	uint64_t names_off;
	uint64_t names_size;
	uint64_t part_off;      /* struct fs_img_part[nparts] */
	uint32_t body_crc;      /* crc32 of bytes [ent_off, image_size): all but the
				 * header and the part table, which differ per node */
	uint32_t manifest_crc;  /* the crc ending the manifest it was built for */
	uint32_t nparts;        /* npart + has_bcast; the broadcast one is last */
	uint32_t nranks;        /* ranks in the job; 0: node-neutral (fanstore.image) */
	uint32_t node;          /* which node this image was written for */
	uint32_t hdr_crc;       /* crc32 of bytes [0, 124) */
};

struct fs_img_part {
	char name[16];          /* file name in the job directory, NUL-padded */
	uint64_t file_size;
	uint32_t local;         /* 1: the file is in this node's job directory (0 when node-neutral) */
	uint32_t owner;         /* rank to ask for its bytes when not local (0 when node-neutral) */
	uint32_t bcast;         /* 1 for the broadcast partition */
	uint32_t reserved;
};

/*
 * One namespace entry, 64 bytes.
 *   file:    off = blob offset in partition `part`, stored = blob bytes
 *   dir:     off = first index in children[], stored = number of children,
 *            crc = number of subdirectories, part = FS_NOPART
 *   symlink: off = offset of the target in names (NUL-terminated),
 *            size = target length, part = FS_NOPART
 * name_off/name_len: the full relative path (root: name_len 0).
 * hnext: next entry in the same hash bucket, index + 1, 0 = end.
 */
struct fs_ment {
	uint64_t size;
	uint64_t off;
	uint64_t stored;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode;
	uint32_t crc;
	uint32_t part;
	uint64_t name_off;
	uint16_t name_len;
	uint8_t method;
	uint8_t flags;
	uint32_t hnext;
};

#ifndef __cplusplus
_Static_assert(sizeof(struct fs_part_hdr) == 128, "fs_part_hdr layout");
_Static_assert(sizeof(struct fs_dentry) == 64, "fs_dentry layout");
_Static_assert(sizeof(struct fs_manifest_hdr) == 80, "fs_manifest_hdr layout");
_Static_assert(sizeof(struct fs_manifest_part) == 24, "fs_manifest_part layout");
_Static_assert(sizeof(struct fs_img_hdr) == 128, "fs_img_hdr layout");
_Static_assert(sizeof(struct fs_img_part) == 40, "fs_img_part layout");
_Static_assert(sizeof(struct fs_ment) == 48 + 16, "fs_ment layout");
#endif

#endif /* FANSTORE_FORMAT_H */
