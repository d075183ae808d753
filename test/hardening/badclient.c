/*
 * badclient - talk to the launcher's request socket like a hostile or
 * broken client, from inside a fanstore-exec job.
 *
 *   badclient          (FANSTORE_JOBDIR set by fanstore-exec)
 *
 * Every malformed request must get an error reply with the expected errno
 * and its id echoed; truncated messages, garbage and abrupt closes must not
 * disturb the launcher; afterwards every file of the image is fetched
 * whole over a fresh connection and decodes to its crc.  The same for the
 * shared-memory channel: descriptors that are not sealed memfds, headers
 * that do not fit, a second channel, bad requests posted in a slot, a
 * connection dropped with replies owed; then every file through a channel.
 * Exit 0 when all of that holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* FS_MSG_CHAN on s with descriptor fd (-1: none); the reply. */
static int chan_req(int s, int fd, uint64_t id, struct fs_rep *r)
{
	struct fs_req q;
	fs_req_init(&q, FS_MSG_CHAN, id, 0, 0, 0);
	if (fs_sock_send(s, &q, sizeof q, fd) != 0)
		return -1;
	return reply(s, r);
}

/* A memfd of `size` bytes holding a channel header; sealed unless told. */
static int chan_memfd(uint64_t size, uint32_t magic, unsigned nslots, uint64_t slot_bytes, int seal)
{
	int fd = memfd_create("badclient", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct fs_chan_hdr h = {.magic = magic, .version = FS_PROTO_VERSION, .nslots = (uint16_t)nslots,
				.slot_bytes = slot_bytes};
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0 || pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
		fprintf(stderr, "badclient: memfd: %s\n", strerror(errno));
		exit(1);
	}
	if (seal)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	return fd;
}

static void expect_chan(const char *what, int fd, int want)
{
	int s = conn();
	struct fs_rep r;
	int got = chan_req(s, fd, 40, &r) != 0 ? -1 : r.type == FS_MSG_ERROR ? r.status : 0;
	if (got != want) {
		fprintf(stderr, "badclient: channel %s: got %d (%s), expected %d (%s)\n", what, got,
			got > 0 ? strerror(got) : "-", want, strerror(want));
		failures++;
	} else {
		printf("ok: channel %s: %s\n", what, want ? strerror(want) : "accepted");
	}
	if (fd >= 0)
		close(fd);
	close(s);
}

/* Post raw request q in slot 0 of ch and expect an error reply. */
static void expect_slot_error(struct fs_chan *ch, const char *what, const struct fs_req *q, int want)
{
	struct fs_chan_slot *sl = fs_chan_slot(ch->base, 0);
	memcpy(&sl->req, q, sizeof *q);
	__atomic_store_n(&sl->state, FS_SLOT_POSTED, __ATOMIC_SEQ_CST);
	struct fs_req kick;
	fs_req_init(&kick, FS_MSG_KICK, 0, 0, 0, 0);
	xfer(ch->sock, &kick, sizeof kick, 1);
	struct fs_rep r;
	int e = fs_chan_wait(ch, 0, q->id, 0, 20, &r);
	fs_chan_release(ch, 0);
	if (e || r.type != FS_MSG_ERROR || r.status != want) {
		fprintf(stderr, "badclient: channel slot %s: wait %s, reply type %u status %d, expected %s\n",
			what, strerror(e), r.type, r.status, strerror(want));
		failures++;
		return;
	}
	printf("ok: channel slot %s: %s\n", what, strerror(want));
}

/* Fetch entry i whole through channel ch, decode, check the crc. */
static int chan_fetch(struct fs_chan *ch, const struct fs_image *img, uint64_t i)
{
	const struct fs_ment *e = fs_image_ent(img, i);
	uint8_t *blob = malloc(e->stored + 1), *out = malloc(e->size + 1);
	int verified, refused, rc = -1;
	if (blob && out && fs_chan_fetch(ch, i, blob, e->stored, 20, &verified, &refused) == 0 &&
	    fs_blob_decode(e->method, blob, e->stored, out, e->size, e->crc) == FS_OK)
		rc = 0;
	else
		fprintf(stderr, "badclient: fetching %s through a channel failed\n", fs_image_name(img, e));
	free(blob);
	free(out);
	return rc;
}

static void channel_cases(const struct fs_image *img, uint64_t file, uint64_t dir)
{
	uint64_t sb = 64 * 1024, good = fs_chan_size(2, sb);
	int pfd[2];
	expect_chan("request without a descriptor", -1, EBADF);
	if (pipe(pfd) == 0) {
		close(pfd[1]);
		expect_chan("with a pipe", pfd[0], EBADF);
	}
	expect_chan("unsealed memfd", chan_memfd(good, FS_CHAN_MAGIC, 2, sb, 0), EBADF);
	expect_chan("bad magic", chan_memfd(good, 0x1234, 2, sb, 1), EPROTO);
	expect_chan("smaller than its layout", chan_memfd(good - 1, FS_CHAN_MAGIC, 2, sb, 1), EPROTO);
	expect_chan("0 slots", chan_memfd(good, FS_CHAN_MAGIC, 0, sb, 1), EPROTO);
	expect_chan("65 slots", chan_memfd(fs_chan_size(65, sb), FS_CHAN_MAGIC, 65, sb, 1), EPROTO);
	expect_chan("slots not of whole pages", chan_memfd(good + 8, FS_CHAN_MAGIC, 2, sb + 4, 1), EPROTO);
	expect_chan("slots over FS_CHUNK_MAX",
		    chan_memfd(fs_chan_size(1, FS_CHUNK_MAX + FS_CHAN_PAGE), FS_CHAN_MAGIC, 1,
			       FS_CHUNK_MAX + FS_CHAN_PAGE, 1), EPROTO);
	expect_chan("a good one", chan_memfd(good, FS_CHAN_MAGIC, 2, sb, 1), 0);
	int s = conn();
	struct fs_rep r;
	int a = chan_memfd(good, FS_CHAN_MAGIC, 2, sb, 1), b = chan_memfd(good, FS_CHAN_MAGIC, 2, sb, 1);
	if (chan_req(s, a, 41, &r) != 0 || r.type != FS_MSG_DATA || chan_req(s, b, 42, &r) != 0 ||
	    r.type != FS_MSG_ERROR || r.status != EBUSY) {
		fprintf(stderr, "badclient: a second channel on one connection was not refused\n");
		failures++;
	} else {
		printf("ok: a second channel on one connection: %s\n", strerror(EBUSY));
	}
	close(a);
	close(b);
	close(s);

	/* bad requests posted in a slot */
	struct fs_chan ch;
	char err[256];
	if (fs_chan_open(&ch, jobdir, 2, 100000, 20, err, sizeof err) != 0) {
		fprintf(stderr, "badclient: %s\n", err);
		failures++;
		return;
	}
	uint64_t st = fs_image_ent(img, file)->stored;
	struct fs_req q;
	fs_req_init(&q, FS_MSG_FETCH, 50, file, 0, 1);
	q.magic = 0x12345678;
	expect_slot_error(&ch, "bad magic", &q, EPROTO);
	fs_req_init(&q, FS_MSG_PING, 51, 0, 0, 0);
	expect_slot_error(&ch, "a ping", &q, EPROTO);
	fs_req_init(&q, FS_MSG_FETCH, 52, img->hdr->nent, 0, 1);
	expect_slot_error(&ch, "entry out of range", &q, ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 53, dir, 0, 1);
	expect_slot_error(&ch, "a directory entry", &q, ENOENT);
	fs_req_init(&q, FS_MSG_FETCH, 54, file, st, 1);
	expect_slot_error(&ch, "offset at the end", &q, EINVAL);
	if (st > fs_chan_payload(&ch)) {
		fs_req_init(&q, FS_MSG_FETCH, 55, file, 0, fs_chan_payload(&ch) + 1);
		expect_slot_error(&ch, "longer than the slot", &q, EINVAL);
	}
	/* every slot posted, then the connection dropped with the replies owed */
	for (unsigned k = 0; k < ch.nslots; k++)
		fs_chan_post(&ch, k, file, 0, st < fs_chan_payload(&ch) ? st : fs_chan_payload(&ch));
	fs_chan_close(&ch);
	printf("sent: requests in every slot, closed\n");
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
	if (fs_image_open(ipath, &img, &err) != FS_OK || fs_image_verify(&img, &err) != FS_OK) {
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
	channel_cases(&img, file, dir);
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
	struct fs_chan ch;
	char cerr[256];
	if (fs_chan_open(&ch, jobdir, 1, 1 << 20, 20, cerr, sizeof cerr) != 0) {
		fprintf(stderr, "badclient: %s\n", cerr);
		failures++;
	} else {
		for (uint64_t i = 0; i < nent; i++) {
			const struct fs_ment *e = fs_image_ent(&img, i);
			if (S_ISREG(e->mode) && e->stored && chan_fetch(&ch, &img, i) != 0)
				failures++;
		}
		fs_chan_close(&ch);
	}
	printf("%s: the launcher still serves: %llu files fetched whole over the socket and through "
	       "a channel, decoded and crc-checked\n", failures ? "FAIL" : "ok", (unsigned long long)nfiles);
	close(s);
	close(s2);
	fs_image_close(&img);
	return failures ? 1 : 0;
}
