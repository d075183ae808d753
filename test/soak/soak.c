/*
 * soak.c - sustained-load reader for FanStore.
 *
 *   soak MOUNT ORIG SECONDS [PROCS [THREADS]]
 *
 * Forks PROCS reader processes with THREADS threads each; every thread
 * picks random files for SECONDS seconds and reads each one through MOUNT
 * in a random way (read-all, small reads, pread, stdio, mmap), checking
 * every byte against the same file under ORIG.  Each process checks that
 * its open descriptors and memory are back where they were after a warm-up,
 * and the parent prints the totals.  Exit status 0 only with no errors and
 * no leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct file {
	char *rel;
	size_t size;
};

static struct file *files;
static size_t nfiles, capfiles;
static const char *orig_root, *mount_root;
static size_t orig_len;
static double deadline;

static atomic_ullong n_reads, n_bytes, n_errors;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int collect(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (nfiles == capfiles) {
		capfiles = capfiles ? capfiles * 2 : 1024;
		files = realloc(files, capfiles * sizeof(*files));
		if (!files)
			exit(2);
	}
	files[nfiles].rel = strdup(path + orig_len);
	files[nfiles].size = (size_t)st->st_size;
	nfiles++;
	return 0;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void err(const char *what, const char *rel)
{
	atomic_fetch_add(&n_errors, 1);
	fprintf(stderr, "soak: %s: %s: %s\n", rel, what, strerror(errno));
}

static char *slurp(const char *path, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *b = malloc(size + 1);
	size_t got = 0;
	ssize_t k;
	while (b && (k = read(fd, b + got, size + 1 - got)) > 0)
		got += (size_t)k;
	close(fd);
	if (b && got != size) {
		free(b);
		errno = EIO;
		return NULL;
	}
	return b;
}

/* Read one file through the mount in one of several ways. */
static void read_one(const struct file *f, uint64_t *seed, char *buf)
{
	char mpath[8192], opath[8192];
	snprintf(mpath, sizeof(mpath), "%s%s", mount_root, f->rel);
	snprintf(opath, sizeof(opath), "%s%s", orig_root, f->rel);
	char *want = slurp(opath, f->size);
	if (!want) {
		err("reading the original", f->rel);
		return;
	}
	size_t got = 0;
	int how = (int)(rnd(seed) % 5);
	if (how == 3) {   /* stdio */
		FILE *fp = fopen(mpath, "rb");
		if (!fp) {
			err("fopen", f->rel);
			free(want);
			return;
		}
		size_t k;
		while ((k = fread(buf + got, 1, 4096, fp)) > 0 && got < f->size)
			got += k;
		fclose(fp);
	} else {
		int fd = open(mpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err("open", f->rel);
			free(want);
			return;
		}
		struct stat st;
		if (fstat(fd, &st) < 0 || (size_t)st.st_size != f->size) {
			err("fstat size", f->rel);
			close(fd);
			free(want);
			return;
		}
		if (how == 0) {          /* read-all, Python style */
			ssize_t k;
			while ((k = read(fd, buf + got, f->size + 1 - got)) > 0)
				got += (size_t)k;
		} else if (how == 1) {   /* small reads */
			ssize_t k;
			size_t step = 1 + rnd(seed) % 9000;
			while ((k = read(fd, buf + got, step)) > 0)
				got += (size_t)k;
		} else if (how == 2) {   /* pread backwards in chunks */
			size_t step = 4096;
			for (size_t off = f->size; off > 0;) {
				size_t o = off > step ? off - step : 0;
				ssize_t k = pread(fd, buf + o, off - o, (off_t)o);
				if (k != (ssize_t)(off - o))
					break;
				got += (size_t)k;
				off = o;
			}
		} else if (f->size) {    /* mmap */
			void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m != MAP_FAILED) {
				memcpy(buf, m, f->size);
				got = f->size;
				munmap(m, f->size);
			}
		}
		close(fd);
	}
	if (got != f->size || memcmp(buf, want, f->size) != 0) {
		errno = EIO;
		err("wrong bytes", f->rel);
	} else {
		atomic_fetch_add(&n_reads, 1);
		atomic_fetch_add(&n_bytes, f->size);
	}
	free(want);
}

static void *reader(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + (uint64_t)getpid();
	size_t max = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (files[i].size > max)
			max = files[i].size;
	char *buf = malloc(max + 1);
	while (now() < deadline)
		read_one(&files[rnd(&seed) % nfiles], &seed, buf);
	free(buf);
	return NULL;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;   /* the directory stream's own */
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

struct report {
	unsigned long long reads, bytes, errors;
	long fd0, fd1, rss0, rss1;
};

static void run_threads(int nthreads, double until)
{
	pthread_t t[64];
	deadline = until;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

static void child(int wfd, int nthreads, double secs)
{
	struct report r;
	run_threads(nthreads, now() + (secs > 4 ? 1.0 : secs / 4));   /* warm-up */
	r.fd0 = count_fds();
	r.rss0 = rss_kb();
	atomic_store(&n_reads, 0);
	atomic_store(&n_bytes, 0);
	run_threads(nthreads, now() + secs);
	r.fd1 = count_fds();
	r.rss1 = rss_kb();
	r.reads = n_reads;
	r.bytes = n_bytes;
	r.errors = n_errors;
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	_exit(0);
}

static long long dir_bytes(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "du -sb '%s' 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	long long b = -1;
	if (p && fscanf(p, "%lld", &b) != 1)
		b = -1;
	if (p)
		pclose(p);
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: soak MOUNT ORIG SECONDS [PROCS [THREADS]]\n");
		return 2;
	}
	static char m[4096], o[4096];
	snprintf(m, sizeof(m), "%s/", argv[1]);
	snprintf(o, sizeof(o), "%s/", argv[2]);
	mount_root = m;
	orig_root = o;
	orig_len = strlen(o);
	double secs = atof(argv[3]);
	int procs = argc > 4 ? atoi(argv[4]) : 8, threads = argc > 5 ? atoi(argv[5]) : 4;
	if (threads < 1 || threads > 64 || procs < 1 || procs > 256)
		return 2;
	if (nftw(argv[2], collect, 64, FTW_PHYS) != 0 || nfiles == 0) {
		fprintf(stderr, "soak: no files under %s\n", argv[2]);
		return 2;
	}
	const char *job = getenv("FANSTORE_JOBDIR");
	long long job0 = job ? dir_bytes(job) : -1;
	int pfd[2];
	if (pipe(pfd) < 0)
		return 2;
	double t0 = now();
	for (int i = 0; i < procs; i++)
		if (fork() == 0) {
			close(pfd[0]);
			child(pfd[1], threads, secs);
		}
	close(pfd[1]);
	struct report tot = {0}, r;
	int leaks = 0, got = 0;
	while (read(pfd[0], &r, sizeof(r)) == sizeof(r)) {
		got++;
		tot.reads += r.reads;
		tot.bytes += r.bytes;
		tot.errors += r.errors;
		if (r.fd1 != r.fd0) {
			fprintf(stderr, "soak: descriptor leak in a reader: %ld -> %ld open\n", r.fd0, r.fd1);
			leaks++;
		}
		/* memory: allow allocator slack, not growth with the number of reads */
		if (r.rss1 - r.rss0 > 16384) {
			fprintf(stderr, "soak: anonymous memory grew in a reader: %ld -> %ld kB\n", r.rss0, r.rss1);
			leaks++;
		}
		tot.rss1 = r.rss1 - r.rss0 > tot.rss1 ? r.rss1 - r.rss0 : tot.rss1;
	}
	int status, bad = 0;
	while (wait(&status) > 0)
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	double dt = now() - t0;
	long long job1 = job ? dir_bytes(job) : -1;
	printf("soak: %d procs x %d threads, %.1f s: %llu reads, %.1f MB, %.0f files/s, %llu errors\n",
	       procs, threads, dt, tot.reads, (double)tot.bytes / 1e6, (double)tot.reads / secs,
	       tot.errors);
	printf("soak: leaks: %d (descriptors equal in every reader; largest anonymous-memory growth %ld kB); "
	       "job directory %lld -> %lld bytes\n", leaks, tot.rss1, job0, job1);
	if (job && job1 != job0) {
		fprintf(stderr, "soak: the job directory changed size during the run\n");
		leaks++;
	}
	return (tot.errors || leaks || bad || got != procs || tot.reads == 0) ? 1 : 0;
}
