/* real.c - resolve the real libc functions named in wrappers.def. */
#include <dlfcn.h>

#include "real.h"

struct fsi_real fsi_real;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void fsi_real_resolve(void)
{
#define FS_W(name) fsi_real.name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);
#include "wrappers.def"
#undef FS_W
}
