/* t_format.c - the partition format: write, read back, reject each kind of damage. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char dir[] = "/tmp/fst_formatXXXXXX";
static char ppath[512];
static uint8_t text[100000];
static uint8_t rnd[5000];

static void add(struct fs_partw *w, struct fs_compressor *c, const char *name, uint32_t mode,
		const void *data, uint64_t size, int compress)
{
	struct fs_err err;
	struct fs_winfo wi = {.name = name, .name_len = (uint32_t)strlen(name), .mode = mode,
			      .size = size, .mtime_sec = 1700000000, .mtime_nsec = 123456789,
			      .crc = fs_crc32(0, data, size), .method = FS_METHOD_RAW};
	uint8_t *buf = malloc(size + 1);
	uint64_t stored = size;
	const void *blob = data;
	if (compress && S_ISREG(mode)) {
		size_t k = fs_compress(c, data, size, buf, size);
		if (k) {
			wi.method = FS_METHOD_DEFLATE;
			stored = k;
			blob = buf;
		}
	}
	if (S_ISDIR(mode))
		stored = 0, wi.size = 0, wi.crc = 0, blob = NULL;
	ASSERT(fs_partw_add(w, &wi, blob, stored, &err) == FS_OK);
	free(buf);
}

/* Partition 0 with files, a dir and a symlink; returns its manifest record. */
static struct fs_manifest_part make_part(void)
{
	struct fs_partw *w;
	struct fs_err err;
	struct fs_manifest_part mp;
	struct fs_compressor *c = fs_compressor_new(6);
	unlink(ppath);
	ASSERT(fs_partw_new(ppath, 0, 2, &w, &err) == FS_OK);
	add(w, c, "b/text.txt", S_IFREG | 0644, text, sizeof(text), 1);
	add(w, c, "a.bin", S_IFREG | 0600, rnd, sizeof(rnd), 1);
	add(w, c, "b", S_IFDIR | 0755, NULL, 0, 0);
	add(w, c, "empty", S_IFREG | 0644, "", 0, 1);
	add(w, c, "b/link", S_IFLNK | 0777, "text.txt", 8, 0);
	ASSERT(fs_partw_finish(w, 42, &mp, &err) == FS_OK);
	fs_partw_free(&w);
	fs_compressor_free(&c);
	return mp;
}

static uint8_t *slurp(size_t *len)
{
	int fd = open(ppath, O_RDONLY);
	struct stat st;
	ASSERT(fd >= 0 && fstat(fd, &st) == 0);
	uint8_t *b = malloc((size_t)st.st_size);
	ASSERT(read(fd, b, (size_t)st.st_size) == st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void test_write_read_back(void)
{
	make_part();
	struct fs_part *p;
	struct fs_err err;
	ASSERT(fs_part_open(ppath, &p, &err) == FS_OK);
	ASSERT(fs_part_count(p) == 5);
	const char *order[] = {"a.bin", "b", "b/link", "b/text.txt", "empty"};
	for (int i = 0; i < 5; i++)
		ASSERT(strcmp(fs_part_ename(p, fs_part_entry(p, (uint64_t)i)), order[i]) == 0);
	const struct fs_dentry *t = fs_part_entry(p, 3);
	ASSERT(t->method == FS_METHOD_DEFLATE && t->stored < t->size && t->size == sizeof(text));
	ASSERT(t->data_off % FS_BLOB_ALIGN == 0);
	ASSERT(t->mtime_nsec == 123456789);
	uint8_t *out = malloc(sizeof(text));
	ASSERT(fs_part_extract(p, 3, out, &err) == FS_OK && memcmp(out, text, sizeof(text)) == 0);
	ASSERT(fs_part_extract(p, 0, out, &err) == FS_OK && memcmp(out, rnd, sizeof(rnd)) == 0);
	ASSERT(fs_part_entry(p, 0)->method == FS_METHOD_RAW);   /* random bytes stay raw */
	ASSERT(memcmp(fs_part_blob(p, fs_part_entry(p, 2)), "text.txt", 8) == 0);
	ASSERT(fs_part_verify(p, &err) == FS_OK);
	free(out);
	fs_part_free(&p);
	ASSERT(p == NULL);
	ASSERT(fs_part_open_index(ppath, &p, &err) == FS_OK);
	ASSERT(fs_part_count(p) == 5 && fs_part_blob(p, fs_part_entry(p, 0)) == NULL);
	fs_part_free(&p);
}

static void test_deterministic(void)
{
	size_t l1, l2;
	make_part();
	uint8_t *a = slurp(&l1);
	make_part();
	uint8_t *b = slurp(&l2);
	ASSERT(l1 == l2 && memcmp(a, b, l1) == 0);
	free(a);
	free(b);
}

/* Apply a change to a copy of the partition and expect `want` from the check. */
static void expect(const uint8_t *orig, size_t len, size_t cut, size_t at, uint8_t x,
		   int fix_crc, enum fs_result want, const char *what)
{
	uint8_t *b = malloc(len + 8);
	memcpy(b, orig, len);
	if (at < len)
		b[at] ^= x;
	struct fs_part_hdr *h = (struct fs_part_hdr *)b;
	if (fix_crc == 2)
		h->index_crc = fs_crc32(0, b + h->index_off, h->index_size + h->names_size);
	if (fix_crc)
		h->hdr_crc = fs_crc32(0, h, offsetof(struct fs_part_hdr, hdr_crc));
	struct fs_err err = {0};
	enum fs_result r = fs_part_check(b, len - cut, "fs_0000", &err);
	if (r != want) {
		fprintf(stderr, "%s: got %d (%s) want %d\n", what, r, err.msg, want);
		ASSERT(0);
	}
	if (r != FS_OK)
		ASSERT(strncmp(err.msg, "fs_0000: ", 9) == 0);
	free(b);
}

static void test_rejects_damage(void)
{
	make_part();
	size_t len;
	uint8_t *b = slurp(&len);
	struct fs_part_hdr h;
	memcpy(&h, b, sizeof(h));
	expect(b, len, 0, len, 0, 0, FS_OK, "intact");
	expect(b, len, 0, 0, 1, 0, FS_ERR_FORMAT, "bad magic");
	expect(b, len, 0, 8, 7, 1, FS_ERR_VERSION, "unknown version");
	expect(b, len, 0, 20, 1, 0, FS_ERR_CRC, "header bit flip");
	expect(b, len, 100, len, 0, 0, FS_ERR_FORMAT, "truncated");
	expect(b, len, len - 10, len, 0, 0, FS_ERR_FORMAT, "shorter than a header");
	expect(b, len, 0, h.index_off + 3, 1, 0, FS_ERR_CRC, "index bit flip");
	/* an entry whose blob runs past the data area, crcs fixed up */
	size_t e3 = h.index_off + 3 * sizeof(struct fs_dentry);
	expect(b, len, 0, e3 + offsetof(struct fs_dentry, data_off) + 2, 0x40, 2, FS_ERR_FORMAT,
	       "offset past the end");
	/* overlapping blobs: move entry 3's blob onto entry 0's */
	uint8_t *c = malloc(len);
	memcpy(c, b, len);
	struct fs_dentry *ents = (struct fs_dentry *)(c + h.index_off);
	ents[3].data_off = ents[0].data_off;
	expect(c, len, 0, len, 0, 2, FS_ERR_FORMAT, "overlapping blobs");
	/* unsorted index */
	memcpy(c, b, len);
	ents = (struct fs_dentry *)(c + h.index_off);
	struct fs_dentry tmp = ents[0];
	ents[0] = ents[4];
	ents[4] = tmp;
	expect(c, len, 0, len, 0, 2, FS_ERR_FORMAT, "unsorted index");
	/* name with a "." component */
	memcpy(c, b, len);
	memcpy(c + h.names_off, "./", 2);   /* "a.bin" -> "./bin" */
	expect(c, len, 0, len, 0, 2, FS_ERR_FORMAT, "dot component");
	/* a flipped blob byte passes the structural check but fails verify */
	memcpy(c, b, len);
	ents = (struct fs_dentry *)(c + h.index_off);
	c[ents[0].data_off + 10] ^= 1;
	struct fs_part *p;
	struct fs_err err;
	ASSERT(fs_part_from_buffer(c, len, "fs_0000", &p, &err) == FS_OK);
	ASSERT(fs_part_verify(p, &err) == FS_ERR_CRC);
	ASSERT(strstr(err.msg, "a.bin") != NULL);
	fs_part_free(&p);
	free(c);
	free(b);
}

static void test_manifest(void)
{
	struct fs_manifest m = {0}, r;
	struct fs_err err;
	struct fs_manifest_part parts[2] = {make_part(), {0}};
	m.hdr.dataset_id = 42;
	m.hdr.npart = 2;
	m.hdr.nfiles = 3;
	m.parts = parts;
	ASSERT(fs_manifest_write(dir, &m, &err) == FS_OK);
	ASSERT(fs_manifest_read(dir, &r, &err) == FS_OK);
	ASSERT(r.hdr.npart == 2 && r.hdr.nfiles == 3 && r.parts[0].file_size == parts[0].file_size);
	struct fs_part *p;
	ASSERT(fs_part_open(ppath, &p, &err) == FS_OK);
	ASSERT(fs_manifest_match(&r, 0, fs_part_header(p), "fs_0000", &err) == FS_OK);
	ASSERT(fs_manifest_match(&r, 1, fs_part_header(p), "fs_0001", &err) == FS_ERR_FORMAT);
	fs_part_free(&p);
	fs_manifest_release(&r);
	ASSERT(fs_manifest_read("/nonexistent-fanstore", &r, &err) == FS_ERR_IO);
	ASSERT(fs_manifest_read("/tmp", &r, &err) == FS_ERR_FORMAT);
	ASSERT(strstr(err.msg, "not a FanStore dataset") != NULL);
	char name[32];
	fs_part_filename(7, name, sizeof(name));
	ASSERT(strcmp(name, "fs_0007") == 0);
	fs_part_filename(FS_PART_BCAST, name, sizeof(name));
	ASSERT(strcmp(name, "fs_bcast") == 0);
}

int main(void)
{
	ASSERT(mkdtemp(dir));
	snprintf(ppath, sizeof(ppath), "%s/fs_0000", dir);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "lorem ipsum dolor sit amet "[i % 27];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
	RUN(test_write_read_back);
	RUN(test_deterministic);
	RUN(test_rejects_damage);
	RUN(test_manifest);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	/* system()'s status is a wait status: 256 is exit 1, which main's
	 * return would turn into 0. */
	ASSERT(system(cmd) == 0);
	return 0;
}
