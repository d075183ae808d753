/* Names and the working directory: readlink(at), realpath,
 * canonicalize_file_name; chdir/fchdir into the tree are virtual (getcwd,
 * get_current_dir_name, relative paths, ".." leaving the tree), chdir out
 * of it is real again; symlink loops give ELOOP. */
#include "ctest.h"

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "");
	char buf[PATH_MAX], *p;
	ASSERT(readlink(CT_MNT "/ln", buf, sizeof buf) == 5 && !memcmp(buf, "a.txt", 5));
	ASSERT(readlink(CT_MNT "/ln", buf, 2) == 2 && !memcmp(buf, "a.", 2));
	ASSERT(readlink(CT_MNT "/a.txt", buf, sizeof buf) < 0 && errno == EINVAL);
	ASSERT(readlink(CT_MNT "/nothere", buf, sizeof buf) < 0 && errno == ENOENT);
	int dfd = open(CT_MNT "/sub", O_RDONLY | O_DIRECTORY);
	ASSERT(readlinkat(dfd, "../dang", buf, sizeof buf) == 7 && !memcmp(buf, "nothere", 7));
	close(dfd);
	ASSERT(realpath(CT_MNT "/dln/deeper/c.txt", buf) && !strcmp(buf, CT_MNT "/sub/deeper/c.txt"));
	ASSERT((p = realpath(CT_MNT "/ln", NULL)) && !strcmp(p, CT_MNT "/a.txt"));
	free(p);
	ASSERT(!realpath(CT_MNT "/dang", buf) && errno == ENOENT);
	ASSERT(!realpath(CT_MNT "/loop1", buf) && errno == ELOOP);
	ASSERT(open(CT_MNT "/loop1", O_RDONLY) < 0 && errno == ELOOP);
	ASSERT((p = canonicalize_file_name(CT_MNT "//sub/./deeper/")) && !strcmp(p, CT_MNT "/sub/deeper"));
	free(p);

	ASSERT(getcwd(buf, sizeof buf));
	char real_cwd[PATH_MAX];
	strcpy(real_cwd, buf);
	ASSERT(chdir(CT_MNT "/sub") == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, CT_MNT "/sub"));
	ASSERT((p = get_current_dir_name()) && !strcmp(p, CT_MNT "/sub"));
	free(p);
	ASSERT((p = getcwd(NULL, 0)) && !strcmp(p, CT_MNT "/sub"));
	free(p);
	ASSERT(getcwd(buf, 5) == NULL && errno == ERANGE);
	int fd = open("b.bin", O_RDONLY);
	ASSERT(fd >= 0 && close(fd) == 0);
	struct stat st;
	ASSERT(stat("deeper/c.txt", &st) == 0 && st.st_size == 2);
	ASSERT(access("../a.txt", R_OK) == 0);
	ASSERT(chdir("deeper") == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, CT_MNT "/sub/deeper"));
	ASSERT(chdir(CT_MNT "/a.txt") < 0 && errno == ENOTDIR);
	ASSERT(chdir(CT_MNT "/nothere") < 0 && errno == ENOENT);
	/* ".." out of the mount reaches the real file system */
	snprintf(buf, sizeof buf, "../../..%s", CT_SRC);
	ASSERT(stat(buf, &st) == 0 && S_ISDIR(st.st_mode));
	dfd = open(CT_MNT, O_RDONLY | O_DIRECTORY);
	ASSERT(fchdir(dfd) == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, CT_MNT));
	close(dfd);
	ASSERT(chdir(real_cwd) == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, real_cwd));
	ASSERT(stat("b.bin", &st) < 0 && errno == ENOENT);
	return ct_done();
}
