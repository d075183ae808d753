/*
 * shim_statvfs.so - preloaded into fanstore-exec by a test: statvfs()
 * reports a terabyte free, so the launcher's space check passes and the
 * cache file system fills up while partitions are being written, as when
 * something else takes the space between the check and the copy.
 */
#include <dlfcn.h>
#include <sys/statvfs.h>

int statvfs(const char *path, struct statvfs *sv);
int statvfs64(const char *path, struct statvfs64 *sv);

static void lie(fsblkcnt_t *bavail, fsblkcnt_t *bfree, unsigned long frsize)
{
	fsblkcnt_t tb = (fsblkcnt_t)(1ull << 40) / (frsize ? frsize : 4096);
	*bavail = tb;
	*bfree = tb;
}

int statvfs(const char *path, struct statvfs *sv)
{
	int (*real)(const char *, struct statvfs *) =
		(int (*)(const char *, struct statvfs *))dlsym(RTLD_NEXT, "statvfs");
	int r = real(path, sv);
	if (r == 0)
		lie(&sv->f_bavail, &sv->f_bfree, sv->f_frsize);
	return r;
}

int statvfs64(const char *path, struct statvfs64 *sv)
{
	return statvfs(path, (struct statvfs *)sv);
}
