/* msg.c - messages on standard error. */
#include <stdarg.h>
#include <stdio.h>

#include "prep.h"

static int quiet_flag;

void prep_set_quiet(int quiet)
{
	quiet_flag = quiet;
}

static void vsay(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "fanstore-prep: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void prep_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("error: ", fmt, ap);
	va_end(ap);
}

void prep_warn(const char *fmt, ...)
{
	if (quiet_flag)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

const char *prep_show(const char *s, size_t n, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(buf + o, cap - o, "\\%03o", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = 0;
	return buf;
}
