/*
 * pathcmp - the same path calls on the mount and on the original tree must
 * give the same results and errnos.  Run under libfanstore.
 *
 *   pathcmp MNT ORIG GROUP
 *
 * ORIG holds a.txt, dir/b.txt, dir/sub/ and "bytes\xff\xfe.bin" (made by
 * the test).  For each suffix X below, stat, lstat, access, open (and a
 * read of the whole file), open(O_DIRECTORY) and opendir on MNT/X and
 * ORIG/X are compared; long paths are padded to the same total length on
 * both sides.  Prints one line per difference; exit 1 when there is any.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct res {
	int rc, err;
	long long size;     /* regular files: st_size, or bytes read */
	unsigned type;      /* S_IFMT bits */
};

static void one(const char *p, int op, struct res *r)
{
	struct stat st;
	memset(r, 0, sizeof *r);
	errno = 0;
	switch (op) {
	case 0:
	case 1:
		r->rc = op ? lstat(p, &st) : stat(p, &st);
		if (r->rc == 0) {
			r->type = st.st_mode & S_IFMT;
			r->size = S_ISREG(st.st_mode) ? st.st_size : 0;
		}
		break;
	case 2:
		r->rc = access(p, R_OK);
		break;
	case 3:
	case 4: {
		int fd = open(p, O_RDONLY | (op == 4 ? O_DIRECTORY : 0));
		r->rc = fd < 0 ? -1 : 0;
		if (fd >= 0 && op == 3) {
			char buf[65536];
			ssize_t k;
			while ((k = read(fd, buf, sizeof buf)) > 0)
				r->size += k;
			if (k < 0)
				r->size = -errno;
		}
		if (fd >= 0)
			close(fd);
		break;
	}
	case 5: {
		DIR *d = opendir(p);
		r->rc = d ? 0 : -1;
		if (d)
			closedir(d);
		break;
	}
	}
	r->err = r->rc ? errno : 0;
}

static const char *opname[] = { "stat", "lstat", "access", "open+read", "open(O_DIRECTORY)", "opendir" };
static int diffs, checks;

static void show(char *out, size_t n, const char *p)
{
	size_t len = strlen(p);
	if (len > 60)
		snprintf(out, n, "%.24s...(%zu bytes)...%.24s", p, len, p + len - 24);
	else
		snprintf(out, n, "%s", p);
}

static void compare(const char *pm, const char *po)
{
	for (int op = 0; op < 6; op++) {
		struct res a, b;
		one(pm, op, &a);
		one(po, op, &b);
		checks++;
		if (a.rc == b.rc && a.err == b.err && a.size == b.size && a.type == b.type)
			continue;
		char sm[128], so[128];
		show(sm, sizeof sm, pm);
		show(so, sizeof so, po);
		printf("DIFF %s: %s -> rc %d %s size %lld type %o; %s -> rc %d %s size %lld type %o\n",
		       opname[op], sm, a.rc, a.err ? strerror(a.err) : "", a.size, a.type, so, b.rc,
		       b.err ? strerror(b.err) : "", b.size, b.type);
		diffs++;
	}
}

/* ROOT + pad + tail, where pad is `unit` repeated to make the total `len`
 * bytes long (or as close as the unit allows, then filled with '/'). */
static char *padded(const char *root, const char *head, const char *unit, const char *tail, size_t len)
{
	char *p = malloc(len + 1);
	size_t n = (size_t)snprintf(p, len + 1, "%s%s", root, head), t = strlen(tail), u = strlen(unit);
	while (n + u + t <= len) {
		memcpy(p + n, unit, u);
		n += u;
	}
	while (n + t < len)
		p[n++] = '/';
	memcpy(p + n, tail, t + 1);
	return p;
}

/* Which cases a run compares: "ok" (the behaviour that holds), "dotdot"
 * (".." or "." after a file or a missing name), "toolong" (whole paths of
 * PATH_MAX bytes or more). */
struct sfx {
	const char *group, *s;
};

static const struct sfx suffix[] = {
	{ "ok", "" }, { "ok", "/" }, { "ok", "//" }, { "ok", "/." }, { "ok", "/a.txt" },
	{ "ok", "//a.txt" }, { "ok", "/./a.txt" }, { "ok", "/dir//b.txt" },
	{ "ok", "/./dir/./b.txt" }, { "ok", "/dir/../a.txt" }, { "ok", "/dir/sub/../../a.txt" },
	{ "ok", "/dir/sub/../b.txt" }, { "ok", "/a.txt/" }, { "ok", "/a.txt/x" }, { "ok", "/dir" },
	{ "ok", "/dir/" }, { "ok", "/dir//" }, { "ok", "/dir/." }, { "ok", "/dir/sub/" },
	{ "ok", "/dir/sub/." }, { "ok", "/missing" }, { "ok", "/missing/" },
	{ "ok", "/bytes\xff\xfe.bin" }, { "ok", "/bytes\xff\xfe.bin/" }, { "ok", "/bytes\xff.bin" },
	{ "ok", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "dotdot", "/a.txt/." }, { "dotdot", "/a.txt/.." }, { "dotdot", "/missing/.." },
	{ "dotdot", "/missing/../a.txt" }, { "dotdot", "/dir/missing/../b.txt" },
	{ "dotdot", "/\xff/.." },
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pathcmp MNT ORIG ok|dotdot|toolong\n");
		return 2;
	}
	const char *mnt = argv[1], *orig = argv[2], *group = argv[3];
	char pm[PATH_MAX * 2], po[PATH_MAX * 2];
	for (int i = 0; suffix[i].s; i++) {
		if (strcmp(suffix[i].group, group) != 0)
			continue;
		snprintf(pm, sizeof pm, "%s%s", mnt, suffix[i].s);
		snprintf(po, sizeof po, "%s%s", orig, suffix[i].s);
		compare(pm, po);
	}
	if (strcmp(group, "ok") == 0) {
		/* across the mount boundary: MNT/../etc/hostname is the real one */
		snprintf(pm, sizeof pm, "%s/../etc/hostname", mnt);
		compare(pm, "/etc/hostname");
		snprintf(pm, sizeof pm, "%s/dir/../../etc/hostname", mnt);
		compare(pm, "/etc/hostname");
	}
	/* whole paths of 4095 (ok), 4096 and 5000 bytes (toolong), padded
	 * with '/' or "./" */
	static const size_t lens[] = { PATH_MAX - 1, PATH_MAX, 5000 };
	static const char *units[] = { "/", "./" };
	for (int u = 0; u < 2; u++)
		for (int k = 0; k < 3; k++) {
			if (strcmp(group, k ? "toolong" : "ok") != 0)
				continue;
			char *a = padded(mnt, "/dir/", units[u], "b.txt", lens[k]);
			char *b = padded(orig, "/dir/", units[u], "b.txt", lens[k]);
			compare(a, b);
			free(a);
			free(b);
		}
	printf("pathcmp %s: %d calls compared, %d differences\n", group, checks, diffs);
	return diffs || !checks ? 1 : 0;
}
