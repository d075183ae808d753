/* Advisory locks on dataset files behave as on a read-only file of the
 * original tree, between two processes: flock shared and exclusive,
 * blocking and LOCK_NB, owned by the open file description (dups and
 * fork children share it, two opens conflict, the last close releases);
 * POSIX record locks through fcntl and fcntl64 (read locks, write locks
 * refused with EBADF, owned by the process: seen by another process with
 * the holder's pid, dropped by any close of the file, not inherited by a
 * fork child, SEEK_CUR and SEEK_END ranges); OFD locks (l_pid -1, owned
 * by the description, kept across a close of another descriptor); lockf;
 * O_PATH fds and directories.  Every scenario runs on the original tree
 * and on the mount, with the same expected results. */
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#include "ctest.h"

static int MNT;   /* 0: the original tree, 1: the mount */

static const char *P(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	return ct_path(MNT, name, buf[i]);
}

static int ropen(const char *name)
{
	int fd = open(P(name), O_RDONLY);
	ASSERT(fd >= 0);
	return fd;
}

/* ---- a second process that takes locks on command ---- */

struct req {
	char op;            /* o open, c close, f flock, F fcntl64, u unlock later, q quit */
	int fd, arg;
	struct flock64 fl;
	char path[PATH_MAX];
};
struct rep {
	int rc, err;
	struct flock64 fl;
};
struct peer {
	pid_t pid;
	int to, from;
};

static void peer_loop(int in, int out)
{
	struct req q;
	while (read(in, &q, sizeof q) == (ssize_t)sizeof q) {
		struct rep r = { 0 };
		errno = 0;
		switch (q.op) {
		case 'o': r.rc = open(q.path, O_RDONLY | q.arg); break;
		case 'c': r.rc = close(q.fd); break;
		case 'f': r.rc = flock(q.fd, q.arg); break;
		case 'F': r.rc = fcntl64(q.fd, q.arg, &q.fl); r.fl = q.fl; break;
		case 'u': break;
		default: _exit(0);
		}
		r.err = errno;
		if (write(out, &r, sizeof r) != (ssize_t)sizeof r)
			_exit(1);
		if (q.op == 'u') {
			usleep(300 * 1000);
			if (flock(q.fd, LOCK_UN) != 0)
				_exit(1);
		}
	}
	_exit(0);
}

static struct peer peer_start(void)
{
	int a[2], b[2];
	ASSERT(pipe(a) == 0 && pipe(b) == 0);
	struct peer p = { fork(), a[1], b[0] };
	ASSERT(p.pid >= 0);
	if (p.pid == 0) {
		close(a[1]), close(b[0]);
		peer_loop(a[0], b[1]);
	}
	close(a[0]), close(b[1]);
	return p;
}

static struct rep peer_do(struct peer *p, struct req q)
{
	struct rep r;
	ASSERT(write(p->to, &q, sizeof q) == (ssize_t)sizeof q);
	ASSERT(read(p->from, &r, sizeof r) == (ssize_t)sizeof r);
	errno = r.err;
	return r;
}

static void peer_stop(struct peer *p)
{
	int st;
	struct req q = { .op = 'q' };
	ASSERT(write(p->to, &q, sizeof q) == (ssize_t)sizeof q);
	ASSERT(waitpid(p->pid, &st, 0) == p->pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p->to), close(p->from);
}

static int peer_open(struct peer *p, const char *name, int flags)
{
	struct req q = { .op = 'o', .arg = flags };
	snprintf(q.path, sizeof q.path, "%s", P(name));
	struct rep r = peer_do(p, q);
	ASSERT(r.rc >= 0);
	return r.rc;
}

static int peer_flock(struct peer *p, int fd, int op)
{
	return peer_do(p, (struct req){ .op = 'f', .fd = fd, .arg = op }).rc;
}

/* What a write lock on [start, start+len) would meet, seen by the peer. */
static struct flock64 peer_getlk(struct peer *p, int fd, int cmd, off_t start, off_t len)
{
	struct req q = { .op = 'F', .fd = fd, .arg = cmd };
	q.fl = (struct flock64){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	struct rep r = peer_do(p, q);
	ASSERT(r.rc == 0);
	return r.fl;
}

/* ---- helpers in this process ---- */

static int lk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

static int lk64(int fd, int cmd, short type, short whence, off64_t start, off64_t len)
{
	struct flock64 fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
	return fcntl64(fd, cmd, &fl);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define FAILS_WITH(call, e) ASSERT((call) == -1 && errno == (e))

/* ---- scenarios ---- */

static void flock_between_processes(void)
{
	struct peer p = peer_start();
	int pfd = peer_open(&p, "a.txt", 0);
	int fd = ropen("a.txt");
	ASSERT(flock(fd, LOCK_SH | LOCK_NB) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_SH | LOCK_NB) == 0);         /* shared with shared */
	FAILS_WITH(peer_flock(&p, pfd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	ASSERT(flock(fd, LOCK_UN) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_EX | LOCK_NB) == 0);         /* converted */
	FAILS_WITH(flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	FAILS_WITH(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* another file is another lock */
	int other = ropen("sub/b.bin");
	ASSERT(flock(other, LOCK_EX | LOCK_NB) == 0);
	/* blocking: the peer lets go 0.3 s after it answers */
	ASSERT(peer_do(&p, (struct req){ .op = 'u', .fd = pfd }).rc == 0);
	double t0 = now();
	ASSERT(flock(fd, LOCK_EX) == 0);
	ASSERT(now() - t0 > 0.15);
	FAILS_WITH(peer_flock(&p, pfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* the last close releases it */
	ASSERT(close(fd) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_SH | LOCK_NB) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_UN) == 0);
	close(other);
	peer_stop(&p);
}

static void flock_descriptions(void)
{
	struct peer p = peer_start();
	int pfd = peer_open(&p, "big.bin", 0);
	int a = ropen("big.bin"), b = ropen("big.bin");
	ASSERT(flock(a, LOCK_EX | LOCK_NB) == 0);
	FAILS_WITH(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);        /* two opens conflict */
	FAILS_WITH(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	int d = dup(a), d2 = fcntl(a, F_DUPFD_CLOEXEC, 40);
	ASSERT(d >= 0 && d2 >= 40);
	ASSERT(flock(d, LOCK_EX | LOCK_NB) == 0);                     /* a dup is the same one */
	ASSERT(close(a) == 0 && close(d) == 0);
	FAILS_WITH(peer_flock(&p, pfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);   /* d2 still holds it */
	/* a fork child shares the description */
	pid_t k = fork();
	ASSERT(k >= 0);
	if (k == 0) {
		int own = ropen("big.bin");
		ASSERT(flock(d2, LOCK_EX | LOCK_NB) == 0);
		FAILS_WITH(flock(own, LOCK_SH | LOCK_NB), EWOULDBLOCK);
		_exit(0);
	}
	int st;
	ASSERT(waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	FAILS_WITH(peer_flock(&p, pfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);   /* the child's exit kept it */
	ASSERT(close(d2) == 0);
	ASSERT(flock(b, LOCK_EX | LOCK_NB) == 0);
	FAILS_WITH(peer_flock(&p, pfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* a lock held at a fork: the child unlocks the shared description */
	k = fork();
	ASSERT(k >= 0);
	if (k == 0) {
		ASSERT(flock(b, LOCK_UN) == 0);   /* the shared description lets go */
		_exit(0);
	}
	ASSERT(waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_EX | LOCK_NB) == 0);
	FAILS_WITH(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(b);
	peer_stop(&p);
}

static void posix_locks(int use64)
{
	struct peer p = peer_start();
	int pfd = peer_open(&p, "big.bin", 0);
	int fd = ropen("big.bin");
	pid_t me = getpid();
#define LK(fd, cmd, t, w, s, l) (use64 ? lk64(fd, cmd, t, w, s, l) : lk(fd, cmd, t, w, s, l))
	ASSERT(LK(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10) == 0);
	FAILS_WITH(LK(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10), EBADF);      /* read-only file */
	FAILS_WITH(LK(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 0), EBADF);
	struct flock64 g = peer_getlk(&p, pfd, F_GETLK, 0, 0);
	ASSERT(g.l_type == F_RDLCK && g.l_pid == me && g.l_whence == SEEK_SET && g.l_start == 10 &&
	       g.l_len == 10);
	g = peer_getlk(&p, pfd, F_GETLK, 20, 100);                           /* beside it */
	ASSERT(g.l_type == F_UNLCK);
	/* read locks share; this process sees the peer's, not its own */
	struct req q = { .op = 'F', .fd = pfd, .arg = F_SETLK };
	q.fl = (struct flock64){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 15, .l_len = 1 };
	ASSERT(peer_do(&p, q).rc == 0);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 0, .l_len = 0 };
	ASSERT(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_RDLCK && fl.l_pid == p.pid &&
	       fl.l_start == 15 && fl.l_len == 1);
	q.fl.l_type = F_UNLCK;
	ASSERT(peer_do(&p, q).rc == 0);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 3, .l_len = 7 };
	ASSERT(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
	ASSERT(fl.l_whence == SEEK_CUR && fl.l_start == 3 && fl.l_len == 7);   /* left as given */
	/* a fork child does not inherit them: it sees the parent's */
	pid_t k = fork();
	ASSERT(k >= 0);
	if (k == 0) {
		struct flock c = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		ASSERT(fcntl(fd, F_GETLK, &c) == 0 && c.l_type == F_RDLCK && c.l_pid == me);
		_exit(0);
	}
	int st;
	ASSERT(waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* any close of the file drops them, even of another open */
	int other = ropen("big.bin");
	ASSERT(close(other) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_UNLCK);
	/* ranges from the current offset and from the end */
	ASSERT(lseek(fd, 1000, SEEK_SET) == 1000);
	ASSERT(LK(fd, F_SETLKW, F_RDLCK, SEEK_CUR, -50, 10) == 0);
	g = peer_getlk(&p, pfd, F_GETLK, 0, 0);
	ASSERT(g.l_type == F_RDLCK && g.l_start == 950 && g.l_len == 10);
	ASSERT(LK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
	ASSERT(LK(fd, F_SETLK, F_RDLCK, SEEK_END, -5, 0) == 0);
	g = peer_getlk(&p, pfd, F_GETLK, 0, 0);
	ASSERT(g.l_type == F_RDLCK && g.l_start == 200000 - 5 && g.l_len == 0);
	FAILS_WITH(LK(fd, F_SETLK, F_RDLCK, SEEK_CUR, -2000, 1), EINVAL);
	/* a dup's close is a close of the file too */
	int d = dup(fd);
	ASSERT(close(d) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_UNLCK);
	/* ... and so is the last one */
	ASSERT(LK(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_RDLCK);
	ASSERT(close(fd) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_UNLCK);
#undef LK
	peer_stop(&p);
}

static void ofd_locks(void)
{
	struct peer p = peer_start();
	int pfd = peer_open(&p, "a.txt", 0);
	int fd = ropen("a.txt");
	ASSERT(lk(fd, F_OFD_SETLK, F_RDLCK, SEEK_SET, 2, 3) == 0);
	FAILS_WITH(lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 2, 3), EBADF);
	FAILS_WITH(lk64(fd, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 0), EBADF);
	struct flock bad = { .l_type = F_RDLCK, .l_pid = 1 };
	FAILS_WITH(fcntl(fd, F_OFD_SETLK, &bad), EINVAL);                     /* l_pid must be 0 */
	struct flock64 g = peer_getlk(&p, pfd, F_OFD_GETLK, 0, 0);
	ASSERT(g.l_type == F_RDLCK && g.l_pid == -1 && g.l_start == 2 && g.l_len == 3);
	g = peer_getlk(&p, pfd, F_GETLK, 0, 0);                              /* seen by POSIX too */
	ASSERT(g.l_type == F_RDLCK && g.l_pid == -1);
	/* this process's POSIX lock is another owner for an OFD query */
	int other = ropen("a.txt");
	ASSERT(lk(other, F_SETLK, F_RDLCK, SEEK_SET, 10, 1) == 0);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 1 };
	ASSERT(fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_RDLCK && fl.l_pid == getpid());
	/* closing another descriptor drops the POSIX lock, not the OFD one */
	ASSERT(close(other) == 0);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 1 };
	ASSERT(fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
	ASSERT(peer_getlk(&p, pfd, F_OFD_GETLK, 0, 0).l_type == F_RDLCK);
	int d = dup(fd);
	ASSERT(close(fd) == 0);
	ASSERT(peer_getlk(&p, pfd, F_OFD_GETLK, 0, 0).l_type == F_RDLCK);    /* d holds it */
	ASSERT(lk64(d, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 0, 0) == 0);
	ASSERT(close(d) == 0);
	ASSERT(peer_getlk(&p, pfd, F_OFD_GETLK, 0, 0).l_type == F_UNLCK);
	peer_stop(&p);
}

static void lockf_calls(void)
{
	struct peer p = peer_start();
	int pfd = peer_open(&p, "sub/b.bin", 0);
	int fd = ropen("sub/b.bin");
	ASSERT(lockf(fd, F_TEST, 0) == 0);
	FAILS_WITH(lockf(fd, F_TLOCK, 0), EBADF);
	FAILS_WITH(lockf64(fd, F_LOCK, 10), EBADF);
	FAILS_WITH(lockf(fd, 99, 0), EINVAL);
	ASSERT(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 0) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_RDLCK);
	ASSERT(lockf64(fd, F_ULOCK, 0) == 0);
	ASSERT(peer_getlk(&p, pfd, F_GETLK, 0, 0).l_type == F_UNLCK);
	close(fd);
	peer_stop(&p);
}

static void odd_descriptors(void)
{
	struct peer p = peer_start();
	int pdir = peer_open(&p, "sub", O_DIRECTORY);
	int path = open(P("a.txt"), O_PATH);
	ASSERT(path >= 0);
	FAILS_WITH(flock(path, LOCK_SH), EBADF);
	FAILS_WITH(lk(path, F_SETLK, F_RDLCK, SEEK_SET, 0, 0), EBADF);
	FAILS_WITH(lk(path, F_OFD_GETLK, F_WRLCK, SEEK_SET, 0, 0), EBADF);
	close(path);
	int dir = open(P("sub"), O_RDONLY | O_DIRECTORY);
	ASSERT(dir >= 0);
	ASSERT(flock(dir, LOCK_EX | LOCK_NB) == 0);
	FAILS_WITH(peer_flock(&p, pdir, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	ASSERT(lk(dir, F_SETLK, F_RDLCK, SEEK_SET, 0, 0) == 0);
	FAILS_WITH(lk(dir, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), EBADF);
	ASSERT(close(dir) == 0);
	ASSERT(peer_flock(&p, pdir, LOCK_SH | LOCK_NB) == 0);
	/* a program that closes every other fd (the library's own included)
	 * keeps locking what it still has open */
	int fd = ropen("a.txt");
	ASSERT(flock(fd, LOCK_EX | LOCK_NB) == 0);
	for (int i = 3; i < 1024; i++)
		if (i != fd && i != p.to && i != p.from)
			close(i);
	ASSERT(flock(fd, LOCK_EX | LOCK_NB) == 0);
	int pfd = peer_open(&p, "a.txt", 0);
	FAILS_WITH(peer_flock(&p, pfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	ASSERT(close(fd) == 0);
	ASSERT(peer_flock(&p, pfd, LOCK_EX | LOCK_NB) == 0);
	peer_stop(&p);
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-l 6");
	for (MNT = 0; MNT <= 1; MNT++) {
		flock_between_processes();
		flock_descriptions();
		posix_locks(0);
		posix_locks(1);
		ofd_locks();
		lockf_calls();
		odd_descriptors();
		printf("%s: as expected\n", MNT ? "mount" : "original tree");
	}
	return ct_done();
}
