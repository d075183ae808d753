/*
 * real.h - the libc functions behind the wrappers, resolved once with
 * dlsym(RTLD_NEXT) from the table in wrappers.def.
 */
#ifndef FSI_REAL_H
#define FSI_REAL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "glibc.h"

/* readdir_r is deprecated but still called; wrapping it is not using it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct fsi_real {
#define FS_W(name) __typeof__(name) *name;
#include "wrappers.def"
#undef FS_W
};
#pragma GCC diagnostic pop

/* The real functions; filled by fsi_real_resolve() before any wrapper
 * forwards (see fsi_enter in ctx.h). */
extern struct fsi_real fsi_real;

void fsi_real_resolve(void);

#endif
