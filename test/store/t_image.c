/* t_image.c - the metadata image, path canonicalisation and protocol checks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "proto.h"
#include "store.h"

static char dir[] = "/tmp/fst_imageXXXXXX";

static void addf(struct fs_partw *w, const char *name, uint32_t mode, const char *data)
{
	struct fs_err err;
	size_t n = data ? strlen(data) : 0;
	struct fs_winfo wi = {.name = name, .name_len = (uint32_t)strlen(name), .mode = mode,
			      .size = n, .mtime_sec = 1600000000 + (int64_t)n, .mtime_nsec = 7,
			      .crc = fs_crc32(0, data, n)};
	ASSERT(fs_partw_add(w, &wi, data, n, &err) == FS_OK);
}

static struct fs_part *mkpart(uint32_t idx, const char *file)
{
	char path[600];
	struct fs_partw *w;
	struct fs_err err;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ASSERT(fs_partw_new(path, idx, 2, &w, &err) == FS_OK);
	if (idx == 0) {
		addf(w, "train", S_IFDIR | 0755, NULL);
		addf(w, "train/cat", S_IFDIR | 0750, NULL);
		addf(w, "train/dog", S_IFDIR | 0755, NULL);
		addf(w, "empty", S_IFDIR | 0700, NULL);
		addf(w, "train/cat/1.jpg", S_IFREG | 0644, "meow");
		addf(w, "train/lnk", S_IFLNK | 0777, "cat/1.jpg");
	} else {
		addf(w, "train/dog/2.jpg", S_IFREG | 0600, "woof!");
		addf(w, "orphan/deep/x", S_IFREG | 0644, "x");  /* parents not recorded */
	}
	ASSERT(fs_partw_finish(w, 9, NULL, &err) == FS_OK);
	fs_partw_free(&w);
	struct fs_part *p;
	ASSERT(fs_part_open(path, &p, &err) == FS_OK);
	return p;
}

static int64_t look(const struct fs_image *img, const char *s)
{
	struct fs_err err;
	int64_t i = fs_image_lookup(img, s, strlen(s), &err);
	ASSERT(i != FS_IMG_DAMAGED);
	return i;
}

/* ---- damage: refused at open when every use needs it, else where reached */

static uint8_t *copy;
static struct fs_ment *ce;       /* the copy's entries */
static uint32_t *cchild;         /* its child table */
static uint32_t *cbucket;

static void fresh(const struct fs_image *img)
{
	memcpy(copy, img->base, img->size);
	ce = (struct fs_ment *)(copy + img->hdr->ent_off);
	cchild = (uint32_t *)(copy + img->hdr->child_off);
	cbucket = (uint32_t *)(copy + img->hdr->bucket_off);
}

static int same_bucket(const struct fs_image *img, const char *a, const char *b)
{
	uint64_t m = img->hdr->nbucket - 1;
	return (fs_hash(a, strlen(a)) & m) == (fs_hash(b, strlen(b)) & m);
}

/* The copy opens (the damage is not looked at until used); looking up
 * `path` reports the damage with `want` in the message, an unrelated
 * path is still found, and the full check refuses the image. */
static void damaged_at(const struct fs_image *img, const char *path, const char *want)
{
	struct fs_image bad;
	struct fs_err err;
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_OK);
	err.msg[0] = 0;
	if (fs_image_lookup(&bad, path, strlen(path), &err) != FS_IMG_DAMAGED) {
		fprintf(stderr, "lookup of %s: damage (%s) not found\n", path, want);
		ASSERT(0);
	}
	if (!strstr(err.msg, want)) {
		fprintf(stderr, "lookup of %s: '%s' lacks '%s'\n", path, err.msg, want);
		ASSERT(0);
	}
	if (!same_bucket(img, "empty", path) && strcmp(path, "empty") != 0)
		ASSERT(look(&bad, "empty") > 0);
	ASSERT(fs_image_verify(&bad, &err) == FS_ERR_FORMAT);
}

/* The copy does not open at all. */
static void refused(const struct fs_image *img, const char *want)
{
	struct fs_image bad;
	struct fs_err err;
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_ERR_FORMAT);
	ASSERT(strstr(err.msg, want) != NULL);
}

static void test_damage(const struct fs_image *img)
{
	struct fs_image bad;
	struct fs_err err;
	uint64_t f = (uint64_t)look(img, "train/dog/2.jpg"), t = (uint64_t)look(img, "train");
	uint64_t l = (uint64_t)look(img, "train/lnk"), d = (uint64_t)look(img, "orphan/deep");
	copy = malloc(img->size);
	ASSERT(copy);
	fresh(img);
	ASSERT(fs_image_from_buffer(copy, img->size - 1, "x", &bad, &err) != FS_OK);

	fresh(img);
	ce[f].part = 2;
	damaged_at(img, "train/dog/2.jpg", "(train/dog/2.jpg): partition slot out of range");
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_OK);
	struct fs_req q, out;   /* the launcher refuses to serve it */
	fs_req_init(&q, FS_MSG_FETCH, 1, f, 0, 1);
	ASSERT(fs_req_check(&q, sizeof(q), &bad, &out) == ENOENT);
	fresh(img);
	ce[f].off = img->parts[1].file_size - 2;
	damaged_at(img, "train/dog/2.jpg", "blob outside its partition");
	fresh(img);
	ce[f].off = UINT64_MAX - 1;
	damaged_at(img, "train/dog/2.jpg", "blob outside its partition");
	fresh(img);
	ce[f].stored = 4;
	damaged_at(img, "train/dog/2.jpg", "raw blob and file sizes differ");
	fresh(img);
	ce[f].method = 9;
	damaged_at(img, "train/dog/2.jpg", "unknown compression method");
	fresh(img);
	ce[f].mode = S_IFIFO | 0644;
	damaged_at(img, "train/dog/2.jpg", "unknown file type");
	fresh(img);
	ce[f].mtime_nsec = 1000000000u;
	damaged_at(img, "train/dog/2.jpg", "nanoseconds");

	/* names: outside the table, or not NUL-ended */
	fresh(img);
	ce[f].name_off = img->hdr->names_size;
	damaged_at(img, "train/dog/2.jpg", "name outside the name table");
	fresh(img);
	ce[f].name_off = img->hdr->names_size - 3;
	ce[f].name_len = 3;
	damaged_at(img, "train/dog/2.jpg", "name outside the name table");

	/* a hash chain that loops, or links backwards */
	fresh(img);
	ce[d].hnext = (uint32_t)d + 1;
	damaged_at(img, "orphan/deep", "hash chain link out of order");
	fresh(img);
	ce[d].hnext = (uint32_t)img->hdr->nent + 1;
	damaged_at(img, "orphan/deep", "hash chain link out of order");
	fresh(img);
	uint64_t b = fs_hash("train", 5) & (img->hdr->nbucket - 1);
	cbucket[b] = (uint32_t)img->hdr->nent + 1;
	damaged_at(img, "train", "hash bucket");

	/* directories: children outside the table; a child slot that is bad */
	fresh(img);
	ce[t].stored = img->hdr->nchild;
	damaged_at(img, "train", "(train): children outside the child table");
	fresh(img);
	cchild[ce[t].off + 1] = (uint32_t)img->hdr->nent;
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_OK);
	ASSERT(fs_image_child(&bad, t, 0, &err) > 0);
	ASSERT(fs_image_child(&bad, t, 1, &err) == FS_IMG_DAMAGED);
	ASSERT(strstr(err.msg, "(train): child 1") && strstr(err.msg, "no such entry"));
	ASSERT(fs_image_verify(&bad, &err) == FS_ERR_FORMAT);
	fresh(img);
	cchild[ce[t].off] = 0;
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_OK);
	ASSERT(fs_image_child(&bad, t, 0, &err) == FS_IMG_DAMAGED && strstr(err.msg, "root"));
	fresh(img);
	ce[l].mode = S_IFCHR;   /* the child itself is damaged */
	ASSERT(fs_image_from_buffer(copy, img->size, "x", &bad, &err) == FS_OK);
	ASSERT(fs_image_child(&bad, t, 2, &err) == FS_IMG_DAMAGED);
	ASSERT(strstr(err.msg, "unknown file type"));

	/* symlink targets */
	fresh(img);
	ce[l].off = img->hdr->names_size - 2;
	damaged_at(img, "train/lnk", "symlink target outside the name table");
	fresh(img);
	ce[l].size = 0;
	damaged_at(img, "train/lnk", "symlink target");

	/* what every use needs is checked at open */
	fresh(img);
	ce[0].mode = S_IFREG | 0644;
	refused(img, "root");
	fresh(img);
	ce[0].name_len = 1;
	refused(img, "root");
	fresh(img);
	ce[0].off = img->hdr->nchild;
	refused(img, "root");
	fresh(img);
	memcpy(((struct fs_img_part *)(copy + img->hdr->part_off))[1].name, "../x", 5);
	refused(img, "partition slot 1");
	free(copy);
}

static void test_build_lookup_stat(void)
{
	struct fs_part *p0 = mkpart(0, "fs_0000"), *p1 = mkpart(1, "fs_0001");
	struct fs_recbuf rb = {0};
	struct fs_err err;
	ASSERT(fs_recbuf_add_part(&rb, p1, 1, &err) == FS_OK);
	ASSERT(fs_recbuf_add_part(&rb, p0, 0, &err) == FS_OK);
	ASSERT(rb.count == 8);
	struct fs_img_partinfo parts[2] = {{fs_part_header(p0)->file_size, 1, 0, 0},
					   {fs_part_header(p1)->file_size, 0, 1, 0}};
	char path[600];
	snprintf(path, sizeof(path), "%s/meta.img", dir);
	ASSERT(fs_image_build(rb.buf, rb.len, 9, parts, 2, 2, 0, path, &err) == FS_OK);
	struct stat pst;
	ASSERT(stat(path, &pst) == 0 && (pst.st_mode & 0777) == 0600);
	struct fs_image img;
	ASSERT(fs_image_open(path, &img, &err) == FS_OK);
	ASSERT(img.hdr->nent == 11);   /* root + 8 + orphan + orphan/deep */
	ASSERT(fs_image_verify(&img, &err) == FS_OK);
	/* directories first, then the rest: once another entry is met (the
	 * root, entry 0, aside), no directory follows */
	int other = 0;
	for (uint64_t i = 1; i < img.hdr->nent; i++) {
		int is_dir = S_ISDIR(fs_image_ent(&img, i)->mode);
		ASSERT(!(other && is_dir));
		other |= !is_dir;
	}
	ASSERT(look(&img, "") == 0);
	ASSERT(look(&img, "train/cat/1.jpg") > 0 && look(&img, "train/dog/2.jpg") > 0);
	ASSERT(look(&img, "train/cat/1.jp") < 0 && look(&img, "nope") < 0);
	ASSERT(look(&img, "orphan/deep") > 0);
	const struct fs_ment *f = fs_image_ent(&img, (uint64_t)look(&img, "train/dog/2.jpg"));
	ASSERT(f->part == 1 && f->size == 5 && S_ISREG(f->mode));
	ASSERT(img.parts[1].local == 0 && img.parts[1].owner == 1);
	ASSERT(strcmp(img.parts[1].name, "fs_0001") == 0);
	/* children of train: cat, dog, lnk in name order */
	const struct fs_ment *t = fs_image_ent(&img, (uint64_t)look(&img, "train"));
	ASSERT(t->stored == 3 && t->crc == 2);
	const char *want[] = {"cat", "dog", "lnk"};
	uint64_t ti = (uint64_t)look(&img, "train");
	for (unsigned i = 0; i < 3; i++) {
		size_t bl;
		int64_t ci = fs_image_child(&img, ti, i, &err);
		ASSERT(ci > 0);
		const char *b = fs_image_basename(&img, fs_image_ent(&img, (uint64_t)ci), &bl);
		ASSERT(bl == strlen(want[i]) && memcmp(b, want[i], bl) == 0);
	}
	ASSERT(fs_image_child(&img, ti, 3, &err) == FS_IMG_ABSENT);
	ASSERT(fs_image_child(&img, (uint64_t)look(&img, "train/cat/1.jpg"), 0, &err) == FS_IMG_ABSENT);
	const struct fs_ment *root = fs_image_ent(&img, 0);
	ASSERT(root->stored == 3 && root->crc == 3);   /* empty, orphan, train */
	int64_t li = look(&img, "train/lnk");
	const struct fs_ment *l = fs_image_ent(&img, (uint64_t)li);
	ASSERT(S_ISLNK(l->mode) && l->size == 9 && strcmp(img.names + l->off, "cat/1.jpg") == 0);
	struct stat st;
	fs_image_stat(&img, (uint64_t)look(&img, "train/cat/1.jpg"), 5, 6, &st);
	ASSERT(st.st_size == 4 && st.st_nlink == 1 && st.st_uid == 5 && st.st_gid == 6);
	ASSERT(st.st_mtim.tv_sec == 1600000004 && st.st_mtim.tv_nsec == 7 && st.st_blocks == 8);
	ASSERT((st.st_mode & 07777) == 0644 && st.st_ino >= 2);
	fs_image_stat(&img, (uint64_t)look(&img, "train"), 0, 0, &st);
	ASSERT(S_ISDIR(st.st_mode) && st.st_nlink == 4);
	struct stat st2;
	fs_image_stat(&img, (uint64_t)look(&img, "train/cat"), 0, 0, &st2);
	ASSERT(st.st_ino != st2.st_ino && st.st_dev == st2.st_dev && (st2.st_mode & 0777) == 0750);

	/* protocol checks against this image */
	struct fs_req q, out;
	fs_req_init(&q, FS_MSG_FETCH, 1, (uint64_t)look(&img, "train/dog/2.jpg"), 0, 5);
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == 0 && out.length == 5);
	q.length = 6;
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == EINVAL);
	q.length = 0;
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == EINVAL);
	q.offset = UINT64_MAX;
	q.length = 2;
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 1, (uint64_t)look(&img, "train"), 0, 1);
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 1, 999, 0, 1);
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == ENOENT);
	q.magic ^= 1;
	ASSERT(fs_req_check(&q, sizeof(q), &img, &out) == EPROTO);
	ASSERT(fs_req_check(&q, sizeof(q) - 1, &img, &out) == EPROTO);
	struct fs_rep rp, rout;
	fs_rep_init(&rp, FS_MSG_DATA, 3, 0, 5);
	ASSERT(fs_rep_check(&rp, sizeof(rp), 3, 5, &rout) == 0);
	ASSERT(fs_rep_check(&rp, sizeof(rp), 4, 5, &rout) == EPROTO);
	ASSERT(fs_rep_check(&rp, sizeof(rp), 3, 6, &rout) == EPROTO);
	fs_rep_init(&rp, FS_MSG_ERROR, 3, ENOENT, 0);
	ASSERT(fs_rep_check(&rp, sizeof(rp), 3, 5, &rout) == 0 && rout.status == ENOENT);

	test_damage(&img);

	fs_image_close(&img);
	fs_recbuf_release(&rb);

	/* a path recorded twice (not both directories) is an error */
	struct fs_recbuf twice = {0};
	ASSERT(fs_recbuf_add_part(&twice, p1, 1, &err) == FS_OK);
	ASSERT(fs_recbuf_add_part(&twice, p1, 1, &err) == FS_OK);
	ASSERT(fs_image_build(twice.buf, twice.len, 9, parts, 2, 2, 0, path, &err) == FS_ERR_FORMAT);
	ASSERT(strstr(err.msg, "appears twice") != NULL);
	fs_recbuf_release(&twice);
	fs_part_free(&p0);
	fs_part_free(&p1);
}

static void canon(const char *in, const char *want, int want_slash)
{
	char out[64];
	int ts;
	long n = fs_path_canon(in, out, sizeof(out), &ts);
	if (n < 0 || strcmp(out, want) != 0 || ts != want_slash) {
		fprintf(stderr, "canon(%s) = %s (%d), want %s\n", in, n < 0 ? "-1" : out, ts, want);
		ASSERT(0);
	}
}

static void test_path_canon(void)
{
	canon("/fanstore//a/./b/", "/fanstore/a/b", 1);
	canon("/fanstore/a/../../x", "/x", 0);
	canon("/..", "/", 0);
	canon("/", "/", 0);
	canon("a/../..", "..", 0);
	canon("../../a", "../../a", 0);
	canon("./", ".", 1);
	canon("a//b/.", "a/b", 0);
	char out[8];
	errno = 0;
	ASSERT(fs_path_canon("/abcdefghijk", out, sizeof(out), NULL) == -1 && errno == ENAMETOOLONG);
}

int main(void)
{
	ASSERT(mkdtemp(dir));
	RUN(test_build_lookup_stat);
	RUN(test_path_canon);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ASSERT(system(cmd) == 0);   /* a wait status: main returning 256 would exit 0 */
	return 0;
}
