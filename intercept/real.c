/*
 * real.c - resolve the real libc functions named in wrappers.def.
 *
 * A name this C library lacks is bound to a stand-in that says so on one
 * line and ends the process with status 127, as the dynamic loader does
 * for a missing symbol: there is no function to forward the call to, and
 * a call through NULL would crash with no word of why.
 */
#include <dlfcn.h>

#include "fsi.h"

struct fsi_real fsi_real;

__attribute__((noreturn)) static void fsi_missing(const char *name)
{
	fsi_log("%s: this C library has no such function (dlsym found none), so the call "
		"cannot be forwarded; the program stops here", name);
	_exit(127);
}

#define FS_W(name) \
	static void fsi_missing_##name(void) { fsi_missing(#name); }
#include "wrappers.def"
#undef FS_W

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void fsi_real_resolve(void)
{
#define FS_W(name)                                                                  \
	fsi_real.name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                \
	if (!fsi_real.name)                                                         \
		fsi_real.name = (__typeof__(name) *)(void (*)(void))fsi_missing_##name;
#include "wrappers.def"
#undef FS_W
}
