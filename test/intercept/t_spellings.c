/* The remaining spellings, each called directly: the *64 twins of
 * readv/walkers/stdio/statfs/sendfile/mmap, readahead and posix_fadvise,
 * readdir64_r, and every exec form and posix_spawnp (the new program must
 * still see the mount, the virtual cwd, and a virtual stdin). */
#include <dirent.h>
#include <ftw.h>
#include <glob.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "ctest.h"

extern char **environ;

static int nftw64_cb(const char *p, const struct stat64 *st, int t, struct FTW *f)
{
	(void)p, (void)st, (void)t, (void)f;
	return 0;
}
static int ftw64_cb(const char *p, const struct stat64 *st, int t)
{
	(void)p, (void)st, (void)t;
	return 0;
}

/* The check a child program runs: the mount, the cwd and stdin. */
#define CHILD_SH "test \"$(cat /fanstore/a.txt)\" = \"hello fanstore\" && test \"$(pwd)\" = /fanstore/sub && test \"$(wc -c)\" = 5000"

static void run_child(int how)
{
	char *argv[] = { "sh", "-c", CHILD_SH, NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		int fd = open("b.bin", O_RDONLY);   /* relative: the virtual cwd */
		if (fd < 0 || dup2(fd, 0) != 0)
			_exit(3);
		switch (how) {
		case 0: execv("/bin/sh", argv); break;
		case 1: execvp("sh", argv); break;
		case 2: execvpe("sh", argv, envp); break;
		case 3: execve("/bin/sh", argv, envp); break;
		case 4: execl("/bin/sh", "sh", "-c", CHILD_SH, (char *)NULL); break;
		case 5: execlp("sh", "sh", "-c", CHILD_SH, (char *)NULL); break;
		case 6: execle("/bin/sh", "sh", "-c", CHILD_SH, (char *)NULL, envp); break;
		default: {
			int sh = open("/bin/sh", O_RDONLY | O_CLOEXEC);
			fexecve(sh, argv, envp);
		}
		}
		_exit(4);
	}
	int st;
	ASSERT(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "exec form %d: child status %d\n", how, st);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 2 -l 6");
	char buf[256];
	int fd = open64(CT_MNT "/sub/b.bin", O_RDONLY);
	struct iovec iov = { buf, 10 };
	ASSERT(preadv64(fd, &iov, 1, 10) == 10 && (unsigned char)buf[0] == ct_big_byte(1010));
	ASSERT(preadv64v2(fd, &iov, 1, 20, 0) == 10 && (unsigned char)buf[0] == ct_big_byte(1020));
	ASSERT(readahead(fd, 0, 100) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0 &&
	       posix_fadvise64(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
	unsigned char *m = mmap64(NULL, 5000, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(m != MAP_FAILED && m[4999] == ct_big_byte(5999));
	munmap(m, 5000);
	close(fd);
	fd = open(CT_MNT "/a.txt", O_RDONLY);
	int p[2];
	ASSERT(pipe(p) == 0);
	off64_t off = 6;
	ASSERT(sendfile64(p[1], fd, &off, 100) == 9 && read(p[0], buf, 9) == 9 && !memcmp(buf, "fanstore\n", 9));
	struct statfs64 sf;
	struct statvfs64 sv;
	ASSERT(fstatfs64(fd, &sf) == 0 && statfs64(CT_MNT, &sf) == 0 && fstatvfs64(fd, &sv) == 0 &&
	       statvfs64(CT_MNT "/sub", &sv) == 0 && (sv.f_flag & ST_RDONLY));
	ASSERT(fcntl64(fd, F_GETFD) == 0);
	close(fd);
	ASSERT(creat64(CT_MNT "/x", 0644) < 0 && errno == EROFS);
	FILE *f = fopen("/dev/null", "r");
	ASSERT(f && (f = freopen64(CT_MNT "/a.txt", "r", f)) && fgets(buf, sizeof buf, f) && buf[0] == 'h');
	fclose(f);
	DIR *d = opendir(CT_MNT "/sub");
	struct dirent64 e, *res;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	ASSERT(d && readdir64_r(d, &e, &res) == 0 && res == &e && e.d_ino != 0);
#pragma GCC diagnostic pop
	closedir(d);
	struct dirent64 **list;
	int n = scandir64(CT_MNT "/sub", &list, NULL, alphasort64);
	ASSERT(n == 4 && !strcmp(list[2]->d_name, "b.bin"));
	while (n--)
		free(list[n]);
	free(list);
	n = scandirat64(AT_FDCWD, CT_MNT "/sub/deeper", &list, NULL, NULL);
	ASSERT(n == 3);
	while (n--)
		free(list[n]);
	free(list);
	glob64_t g;
	ASSERT(glob64(CT_MNT "/sub/*", 0, NULL, &g) == 0 && g.gl_pathc == 2);
	globfree64(&g);
	ASSERT(nftw64(CT_MNT, nftw64_cb, 4, FTW_PHYS) == 0 && ftw64(CT_MNT "/sub", ftw64_cb, 4) == 0);
	ASSERT(nftw64(CT_MNT "/nothere", nftw64_cb, 4, 0) < 0 && errno == ENOENT);

	ASSERT(chdir(CT_MNT "/sub") == 0);
	for (int how = 0; how < 8; how++)
		run_child(how);
	/* posix_spawnp with a virtual fd dup2'ed to stdin by the file actions */
	fd = open("b.bin", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 0);
	char *sargv[] = { "sh", "-c", CHILD_SH, NULL };
	pid_t pid;
	int st;
	ASSERT(posix_spawnp(&pid, "sh", &fa, NULL, sargv, environ) == 0);
	ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	return ct_done();
}
