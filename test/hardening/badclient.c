/*
 * badclient - talk to the launcher's request socket like a hostile or
 * broken client, from inside a fanstore-exec job.
 *
 *   badclient          (FANSTORE_JOBDIR set by fanstore-exec)
 *
 * Every malformed request must get an error reply with the expected errno
 * and its id echoed; truncated messages, garbage and abrupt closes must not
 * disturb the launcher; afterwards every file of the image is fetched
 * whole over a fresh connection and decodes to its crc.  Exit 0 when all
 * of that holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "env.h"
#include "proto.h"
#include "store.h"

static const char *jobdir;
static int failures;

static int conn(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", jobdir, FS_JOB_SOCK);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 20 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		fprintf(stderr, "badclient: connect %s: %s\n", a.sun_path, strerror(errno));
		exit(1);
	}
	return s;
}

static int xfer(int s, void *buf, size_t n, int out)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t k = out ? send(s, p, n, MSG_NOSIGNAL) : recv(s, p, n, 0);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read one reply header; -1 when the connection closed or timed out. */
static int reply(int s, struct fs_rep *r)
{
	return xfer(s, r, sizeof *r, 0);
}

static void expect_error(int s, const char *what, const struct fs_req *q, int want)
{
	struct fs_rep r;
	if (xfer(s, (void *)q, sizeof *q, 1) != 0 || reply(s, &r) != 0) {
		fprintf(stderr, "badclient: %s: no reply (%s)\n", what, strerror(errno));
		failures++;
		return;
	}
	if (r.magic != FS_PROTO_MAGIC || r.type != FS_MSG_ERROR || r.status != want ||
	    r.id != q->id || r.length != 0) {
		fprintf(stderr, "badclient: %s: reply type %u status %d id %llu, expected error %d (%s) id %llu\n",
			what, r.type, r.status, (unsigned long long)r.id, want, strerror(want),
			(unsigned long long)q->id);
		failures++;
		return;
	}
	printf("ok: %s: %s\n", what, strerror(want));
}

/* Fetch entry i whole in FS_CHUNK_MAX pieces, decode, check the crc. */
static int fetch(int s, const struct fs_image *img, uint64_t i, uint64_t *id)
{
	const struct fs_ment *e = fs_image_ent(img, i);
	uint8_t *blob = malloc(e->stored + 1), *out = malloc(e->size + 1);
	int rc = blob && out ? 0 : -1;
	for (uint64_t off = 0; rc == 0 && off < e->stored;) {
		uint64_t n = e->stored - off < FS_CHUNK_MAX ? e->stored - off : FS_CHUNK_MAX;
		struct fs_req q;
		struct fs_rep r;
		fs_req_init(&q, FS_MSG_FETCH, ++*id, i, off, n);
		if (xfer(s, &q, sizeof q, 1) != 0 || reply(s, &r) != 0 ||
		    fs_rep_check(&r, sizeof r, q.id, n, &r) != 0 || r.type != FS_MSG_DATA ||
		    xfer(s, blob + off, n, 0) != 0)
			rc = -1;
		off += n;
	}
	if (rc == 0 && fs_blob_decode(e->method, blob, e->stored, out, e->size, e->crc) != FS_OK)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "badclient: fetching %s failed\n", fs_image_name(img, e));
	free(blob);
	free(out);
	return rc;
}

/* Send raw bytes on a fresh connection, then close without reading. */
static void send_and_close(const void *buf, size_t n, const char *what)
{
	int s = conn();
	if (n)
		xfer(s, (void *)buf, n, 1);
	close(s);
	printf("sent: %s, closed\n", what);
}

int main(void)
{
	jobdir = getenv(FS_ENV_JOBDIR);
	if (!jobdir) {
		fprintf(stderr, "badclient: run me under fanstore-exec (" FS_ENV_JOBDIR " unset)\n");
		return 2;
	}
	char ipath[4200];
	snprintf(ipath, sizeof ipath, "%s/%s", jobdir, FS_JOB_IMAGE);
	struct fs_image img;
	struct fs_err err;
	if (fs_image_open(ipath, &img, &err) != FS_OK) {
		fprintf(stderr, "badclient: %s\n", err.msg);
		return 1;
	}
	uint64_t nent = img.hdr->nent, file = 0, dir = 0;
	for (uint64_t i = 0; i < nent; i++) {
		const struct fs_ment *e = fs_image_ent(&img, i);
		if (S_ISREG(e->mode) && e->stored > 16 && (!file || e->stored > fs_image_ent(&img, file)->stored))
			file = i;
		if (S_ISDIR(e->mode))
			dir = i;
	}
	if (!file) {
		fprintf(stderr, "badclient: no file of more than 16 stored bytes in the image\n");
		return 1;
	}
	uint64_t st = fs_image_ent(&img, file)->stored;

	int s = conn();
	struct fs_req q;
	fs_req_init(&q, FS_MSG_FETCH, 1, file, 0, 1);
	q.magic = 0x12345678;
	expect_error(s, "bad magic", &q, EPROTO);
	fs_req_init(&q, FS_MSG_FETCH, 2, file, 0, 1);
	q.version = 99;
	expect_error(s, "bad version", &q, EPROTO);
	fs_req_init(&q, 77, 3, file, 0, 1);
	expect_error(s, "bad type", &q, EPROTO);
	fs_req_init(&q, FS_MSG_DATA, 4, file, 0, 1);
	expect_error(s, "a reply type sent as a request", &q, EPROTO);
	fs_req_init(&q, FS_MSG_FETCH, 5, nent, 0, 1);
	expect_error(s, "entry just out of range", &q, ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 6, UINT64_MAX, 0, 1);
	expect_error(s, "entry 2^64-1", &q, ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 7, dir, 0, 1);
	expect_error(s, "a directory entry", &q, ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 8, file, st, 1);
	expect_error(s, "offset at the end", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 9, file, st + 4096, 1);
	expect_error(s, "offset past the end", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 10, file, 0, 0);
	expect_error(s, "length 0", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 11, file, 0, (uint64_t)FS_CHUNK_MAX + 1);
	expect_error(s, "length FS_CHUNK_MAX + 1", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 12, file, 0, st + 1);
	expect_error(s, "length past the end", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 13, file, UINT64_MAX - 7, 16);
	expect_error(s, "offset + length overflowing", &q, EINVAL);
	fs_req_init(&q, FS_MSG_FETCH, 14, file, 8, UINT64_MAX - 7);
	expect_error(s, "length overflowing", &q, EINVAL);
	srand(6);
	uint8_t junk[sizeof q];
	for (size_t k = 0; k < sizeof junk; k++)
		junk[k] = (uint8_t)rand();
	memcpy(&q, junk, sizeof q);
	expect_error(s, "garbage", &q, EPROTO);

	/* 200 bad requests in one burst, replies read afterwards, in order */
	enum { BURST = 200 };
	struct fs_req burst[BURST];
	for (int k = 0; k < BURST; k++) {
		fs_req_init(&burst[k], FS_MSG_FETCH, 1000 + (uint64_t)k, nent + (uint64_t)k, 0, 1);
	}
	int inorder = xfer(s, burst, sizeof burst, 1) == 0;
	for (int k = 0; k < BURST && inorder; k++) {
		struct fs_rep r;
		inorder = reply(s, &r) == 0 && r.type == FS_MSG_ERROR && r.status == ENOENT &&
			  r.id == 1000 + (uint64_t)k;
	}
	if (!inorder) {
		fprintf(stderr, "badclient: a burst of %d bad requests was not answered in order\n", BURST);
		failures++;
	} else {
		printf("ok: a burst of %d bad requests answered in order\n", BURST);
	}

	/* truncated and unframeable input, each on its own connection */
	fs_req_init(&q, FS_MSG_FETCH, 20, file, 0, 1);
	send_and_close(NULL, 0, "nothing");
	send_and_close(&q, 10, "a 10-byte message");
	send_and_close(&q, sizeof q / 2, "half a message");
	uint8_t lots[100000];
	for (size_t k = 0; k < sizeof lots; k++)
		lots[k] = (uint8_t)rand();
	send_and_close(lots, sizeof lots, "100000 bytes of garbage, replies unread");
	int h = conn();
	xfer(h, &q, sizeof q / 2, 1);
	shutdown(h, SHUT_WR);
	struct fs_rep r;
	if (reply(h, &r) == 0) {
		fprintf(stderr, "badclient: half a message then EOF got a reply\n");
		failures++;
	} else {
		printf("ok: half a message then EOF: connection closed, no reply\n");
	}
	close(h);

	/* the launcher still serves: ping and every file, on old and new connections */
	fs_req_init(&q, FS_MSG_PING, 30, 0, 0, 0);
	if (xfer(s, &q, sizeof q, 1) != 0 || reply(s, &r) != 0 || r.type != FS_MSG_DATA || r.id != 30) {
		fprintf(stderr, "badclient: no answer to a ping after the bad requests\n");
		failures++;
	}
	uint64_t id = 100000, nfiles = 0;
	int s2 = conn();
	for (uint64_t i = 0; i < nent; i++) {
		const struct fs_ment *e = fs_image_ent(&img, i);
		if (!S_ISREG(e->mode) || e->stored == 0)
			continue;
		if (fetch(i % 2 ? s : s2, &img, i, &id) != 0)
			failures++;
		nfiles++;
	}
	printf("%s: the launcher still serves: %llu files fetched whole, decoded and crc-checked\n",
	       failures ? "FAIL" : "ok", (unsigned long long)nfiles);
	close(s);
	close(s2);
	fs_image_close(&img);
	return failures ? 1 : 0;
}
