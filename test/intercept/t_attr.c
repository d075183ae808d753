/* Attribute and file-system queries: getxattr/lgetxattr/fgetxattr give
 * ENODATA, listxattr an empty list, statfs/fstatfs/statvfs a read-only
 * file system, access() as the kernel answers for the owner. */
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "");
	char v[64];
	const char *f = CT_MNT "/a.txt";
	ASSERT(getxattr(f, "user.x", v, sizeof v) < 0 && errno == ENODATA);
	ASSERT(lgetxattr(CT_MNT "/ln", "security.selinux", v, sizeof v) < 0 && errno == ENODATA);
	ASSERT(getxattr(CT_MNT "/nothere", "user.x", v, sizeof v) < 0 && errno == ENOENT);
	ASSERT(listxattr(f, v, sizeof v) == 0 && llistxattr(CT_MNT "/sub", v, sizeof v) == 0);
	int fd = open(f, O_RDONLY);
	ASSERT(fgetxattr(fd, "user.x", v, sizeof v) < 0 && errno == ENODATA);
	ASSERT(flistxattr(fd, v, sizeof v) == 0);
	struct statfs sf;
	struct statvfs sv;
	ASSERT(fstatfs(fd, &sf) == 0 && (sf.f_flags & ST_RDONLY) && sf.f_namelen == 255);
	ASSERT(statfs(CT_MNT "/sub", &sf) == 0 && sf.f_bsize == 4096);
	ASSERT(statvfs(f, &sv) == 0 && (sv.f_flag & ST_RDONLY));
	ASSERT(fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY));
	ASSERT(statfs(CT_MNT "/nothere", &sf) < 0 && errno == ENOENT);
	ASSERT(statfs("/", &sf) == 0 && !(sf.f_flags & ST_RDONLY));   /* outside: the kernel's */
	close(fd);
	ASSERT(access(f, R_OK) == 0 && access(CT_MNT "/sub", X_OK) == 0);
	ASSERT(access(f, W_OK) < 0 && errno == EROFS);
	ASSERT(faccessat(AT_FDCWD, CT_MNT "/dang", F_OK, 0) < 0 && errno == ENOENT);
	ASSERT(faccessat(AT_FDCWD, CT_MNT "/dang", F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	ASSERT(euidaccess(f, R_OK) == 0 && eaccess(CT_MNT "/nothere", R_OK) < 0 && errno == ENOENT);
	return ct_done();
}
