/*
 * hread.h - shared by the hardening tools (header only: each tool is its
 * own program).  Read a file under the mount and compare it byte for byte
 * with the same file under the original tree; read a list of relative
 * paths.
 */
#ifndef HREAD_H
#define HREAD_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Result of reading one file. */
enum hr_result { HR_OK = 0, HR_MISMATCH = 1, HR_ERROR = 2 };

static inline int hr_slurp(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (!b) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		if (n == cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				close(fd);
				errno = ENOMEM;
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* Read MNT/rel and ORIG/rel; HR_ERROR leaves errno of the mount read. */
static inline enum hr_result hr_check(const char *mnt, const char *orig, const char *rel)
{
	char a[8192], o[8192];
	snprintf(a, sizeof a, "%s/%s", mnt, rel);
	snprintf(o, sizeof o, "%s/%s", orig, rel);
	char *va, *vo;
	size_t na, no;
	if (hr_slurp(a, &va, &na) != 0)
		return HR_ERROR;
	if (hr_slurp(o, &vo, &no) != 0) {
		fprintf(stderr, "%s: %s\n", o, strerror(errno));
		free(va);
		return HR_MISMATCH;
	}
	enum hr_result r = na == no && memcmp(va, vo, na) == 0 ? HR_OK : HR_MISMATCH;
	if (r == HR_MISMATCH)
		fprintf(stderr, "%s: %zu bytes differ from %s (%zu bytes)\n", a, na, o, no);
	free(va);
	free(vo);
	return r;
}

/* Read fd from its start (pread); 0 when it holds exactly the bytes of
 * the file orig_path. */
static inline int hr_check_fd(int fd, const char *orig_path)
{
	char *vo;
	size_t no;
	if (hr_slurp(orig_path, &vo, &no) != 0)
		return -1;
	char *va = malloc(no + 1);
	ssize_t got = va ? pread(fd, va, no + 1, 0) : -1;
	int ok = got == (ssize_t)no && memcmp(va, vo, no) == 0;
	free(va);
	free(vo);
	return ok ? 0 : -1;
}

/* Relative paths, one per line, from a file (newline-free names only). */
struct hr_list {
	char **rel;
	size_t n;
};

static inline int hr_list_load(struct hr_list *l, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t k;
	l->rel = NULL;
	l->n = 0;
	while ((k = getline(&line, &cap, f)) > 0) {
		if (line[k - 1] == '\n')
			line[--k] = 0;
		if (k == 0)
			continue;
		if (l->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			char **nr = realloc(l->rel, alloc * sizeof *nr);
			if (!nr)
				break;
			l->rel = nr;
		}
		l->rel[l->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (l->n == 0)
		fprintf(stderr, "%s: no paths\n", path);
	return l->n ? 0 : -1;
}

static inline void hr_list_free(struct hr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rel[i]);
	free(l->rel);
	l->rel = NULL;
	l->n = 0;
}

#endif /* HREAD_H */
