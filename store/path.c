/* path.c - lexical path canonicalisation. */
#include <errno.h>
#include <string.h>

#include "store.h"

long fs_path_canon(const char *in, char *out, size_t cap, int *trailing_slash)
{
	size_t o = 0;
	int abs = in[0] == '/';
	const char *p = in;
	if (cap < 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (trailing_slash) {
		size_t n = strlen(in);
		*trailing_slash = n > 1 && in[n - 1] == '/';
	}
	if (abs)
		out[o++] = '/';
	size_t root = o;   /* ".." never goes below this */
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			/* drop the last component, unless there is none to drop */
			size_t k = o;
			while (k > root && out[k - 1] != '/')
				k--;
			int last_is_dotdot = (o - k == 2 && out[k] == '.' && out[k + 1] == '.');
			if (o > root && !last_is_dotdot) {
				o = k > root ? k - 1 : root;
				continue;
			}
			if (abs)
				continue;   /* "/.." is "/" */
		}
		if (o > root) {
			if (o + 1 >= cap)
				goto toolong;
			out[o++] = '/';
		}
		if (o + n >= cap)
			goto toolong;
		memcpy(out + o, s, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = 0;
	return (long)o;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}
