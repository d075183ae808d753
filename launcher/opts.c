/*
 * opts.c - the command line: fanstore-exec [options] -- CMD [ARGS...].
 * Every option has an environment variable saying the same; flags win.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fx.h"

static const struct option longopts[] = {
	{"data", required_argument, NULL, 'd'},
	{"mount", required_argument, NULL, 'm'},
	{"cache", required_argument, NULL, 'c'},
	{"verbose", no_argument, NULL, 'v'},
	{"progress", no_argument, NULL, 'p'},
	{"keep", no_argument, NULL, 'k'},
	{"replicas", required_argument, NULL, 'r'},
	{"timeout", required_argument, NULL, 't'},
	{"verify", required_argument, NULL, 'y'},
	{"mpi", no_argument, NULL, 'M'},
	{"force-mount", no_argument, NULL, 'F'},
	{"stats", no_argument, NULL, 'S'},
	{"stats-json", required_argument, NULL, 'J'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

void fx_usage(const struct fx_ctx *c, FILE *out)
{
	if (c->rank != 0)
		return;
	fprintf(out,
"usage: mpirun -np N fanstore-exec [options] -- COMMAND [ARGS...]\n"
"\n"
"Loads a dataset packed by fanstore-prep into node-local storage, runs COMMAND\n"
"on every rank with the dataset visible under the mount path, and serves\n"
"reads of files held by other ranks until every rank's COMMAND has exited.\n"
"Exits with COMMAND's status (128+N when killed by signal N).\n"
"Runs without mpirun as a single rank too.\n"
"\n"
"options (each has an environment variable; the option wins):\n"
"  -d, --data DIR      packed dataset directory (holds fanstore.manifest)\n"
"                      [" FS_ENV_DATA "]\n"
"  -m, --mount PATH    absolute path at which COMMAND sees the dataset\n"
"                      [" FS_ENV_MOUNT ", default " FS_DEFAULT_MOUNT "]\n"
"      --force-mount   mount even where the path exists and is not an empty\n"
"                      directory, or covers the cache, /dev/shm, the\n"
"                      temporary directory, the dataset or the working\n"
"                      directory (all refused otherwise) [" FS_ENV_FORCE_MOUNT "=1]\n"
"  -c, --cache DIR     node-local storage for this job's directory\n"
"                      [" FS_ENV_CACHE ", default /dev/shm when it has room,\n"
"                      else $TMPDIR or /tmp]\n"
"  -v, --verbose       per-rank detail with time and rank; twice for debug\n"
"                      [" FS_ENV_VERBOSE "=0|1|2]\n"
"  -p, --progress      show the load as it goes: one line for the job, with\n"
"                      bytes of the total, rate and time left\n"
"  -k, --keep          keep the job directory after the job [" FS_ENV_KEEP "=1]\n"
"  -r, --replicas R    hold every scatter partition on R ranks (default 1)\n"
"  -t, --timeout SEC   seconds a remote read may take before it fails\n""                      (--mpi: also seconds until COMMAND calls MPI_Init)\n"
"                      [" FS_ENV_TIMEOUT ", default %d]\n"
"      --verify WHEN   when a stored (uncompressed) file's checksum is checked:\n"
"                      once: on the node's first read of it (default);\n"
"                      always: on every read from the cache (a file read in\n"
"                      pieces: once per open); compressed files are checked\n"
"                      on every decode either way [" FS_ENV_VERIFY "=once|always]\n"
"      --mpi           COMMAND is an MPI program: spawn it as an MPI job of\n"
"                      its own, one process per rank on that rank's node\n"
"                      (needs mpirun) [" FS_ENV_MPI "=1]\n"
"      --stats         end with a report on stderr (rank 0): files and bytes\n"
"                      read locally and remotely, per-node spread, remote\n"
"                      fetch times, time in FanStore calls, crc failures,\n"
"                      load time and rate [" FS_ENV_STATS "=1]\n"
"      --stats-json FILE  the same report as JSON into FILE\n"
"                      [" FS_ENV_STATS_JSON "=FILE]\n"
"  -h, --help          this text\n"
"\n"
"COMMAND gets LD_PRELOAD with libfanstore.so (from ../lib next to this\n"
"program; FANSTORE_LIB=PATH overrides, FANSTORE_LIB= empty preloads nothing),\n"
"FANSTORE_JOBDIR, FANSTORE_MOUNT, and RANK, WORLD_SIZE, LOCAL_RANK,\n"
"LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT for torch.distributed unless set.\n"
"fanstore-exec owns MPI: a COMMAND that starts MPI itself is refused unless\n"
"run with --mpi; or use torch.distributed with gloo or nccl, or Horovod with gloo.\n"
"\n"
"exit status: COMMAND's; 127 when COMMAND is not found, 126 when it cannot\n"
"be run, 2 for a bad command line, 1 when the load fails (every rank).\n",
		FS_DEFAULT_TIMEOUT);
}

static int usage_error(const struct fx_ctx *c, const char *fmt, const char *arg)
{
	if (c->rank == 0) {
		fprintf(stderr, "fanstore-exec: ");
		fprintf(stderr, fmt, arg);
		fprintf(stderr, "\nfanstore-exec: try 'fanstore-exec --help'\n");
	}
	return FX_EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* A switch from the environment: on when set to anything but "0". */
static int env_flag(const char *name)
{
	const char *v = env_or(name, NULL);
	return v && strcmp(v, "0") != 0;
}

/* "once" or "always" into *always; -1 for anything else. */
static int parse_verify(const char *s, int *always)
{
	if (strcmp(s, "once") && strcmp(s, "always"))
		return -1;
	*always = strcmp(s, "always") == 0;
	return 0;
}

static int from_env(struct fx_ctx *c)
{
	struct fx_opts *o = &c->opt;
	o->data = env_or(FS_ENV_DATA, NULL);
	o->mount = env_or(FS_ENV_MOUNT, FS_DEFAULT_MOUNT);
	o->cache = env_or(FS_ENV_CACHE, NULL);
	o->replicas = 1;
	o->timeout = FS_DEFAULT_TIMEOUT;
	const char *v = env_or(FS_ENV_VERBOSE, NULL);
	unsigned u;
	if (v) {
		if (parse_uint(v, 0, 9, &u))
			return usage_error(c, FS_ENV_VERBOSE "=%s: expected 0, 1 or 2", v);
		o->verbose = (int)u;
	}
	o->keep = env_flag(FS_ENV_KEEP);
	o->mpi = env_flag(FS_ENV_MPI);
	o->force_mount = env_flag(FS_ENV_FORCE_MOUNT);
	o->stats = env_flag(FS_ENV_STATS);
	o->stats_json = env_or(FS_ENV_STATS_JSON, NULL);
	v = env_or(FS_ENV_TIMEOUT, NULL);
	if (v && parse_uint(v, 1, 86400 * 7, &o->timeout))
		return usage_error(c, FS_ENV_TIMEOUT "=%s: expected seconds (1 or more)", v);
	v = env_or(FS_ENV_VERIFY, NULL);
	if (v && parse_verify(v, &o->verify_always))
		return usage_error(c, FS_ENV_VERIFY "=%s: expected once or always", v);
	return 0;
}

static int check_mount(struct fx_ctx *c)
{
	static char canon[PATH_MAX];
	const char *m = c->opt.mount;
	if (m[0] != '/')
		return usage_error(c, "mount path '%s' is not absolute: give an absolute path such as /fanstore", m);
	if (fs_path_canon(m, canon, sizeof canon, NULL) < 0)
		return usage_error(c, "mount path '%.200s...' is too long", m);
	if (strcmp(canon, "/") == 0)
		return usage_error(c, "mount path '%s' would hide the whole file system: choose a directory such as /fanstore", m);
	c->opt.mount = canon;
	return 0;
}

int fx_opts_parse(struct fx_ctx *c, int argc, char **argv)
{
	int rc = from_env(c);
	if (rc)
		return rc;
	int dd = 1;
	while (dd < argc && strcmp(argv[dd], "--") != 0)
		dd++;
	int help = 0;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(dd, argv, "+d:m:c:vpkr:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->opt.data = optarg; break;
		case 'm': c->opt.mount = optarg; break;
		case 'c': c->opt.cache = optarg; break;
		case 'v': c->opt.verbose++; break;
		case 'p': c->opt.progress = 1; break;
		case 'k': c->opt.keep = 1; break;
		case 'r':
			if (parse_uint(optarg, 1, 1u << 20, &c->opt.replicas))
				return usage_error(c, "--replicas %s: expected a count of 1 or more", optarg);
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400 * 7, &c->opt.timeout))
				return usage_error(c, "--timeout %s: expected seconds (1 or more)", optarg);
			break;
		case 'y':
			if (parse_verify(optarg, &c->opt.verify_always))
				return usage_error(c, "--verify %s: expected once or always", optarg);
			break;
		case 'M': c->opt.mpi = 1; break;
		case 'F': c->opt.force_mount = 1; break;
		case 'S': c->opt.stats = 1; break;
		case 'J': c->opt.stats_json = optarg; break;
		case 'h': help = 1; break;
		case ':':
			return usage_error(c, "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error(c, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (help) {
		fx_usage(c, stdout);
		return -1;
	}
	if (dd >= argc)
		return usage_error(c, "no '--': the command to run goes after '--', as in fanstore-exec --data DIR -- python train.py%s", "");
	if (optind < dd)
		return usage_error(c, "unexpected '%s' before '--': put the command after '--'", argv[optind]);
	if (dd + 1 >= argc)
		return usage_error(c, "no command after '--'%s", "");
	c->opt.cmd = argv + dd + 1;
	if (!c->opt.data)
		return usage_error(c, "no dataset: give --data DIR or set " FS_ENV_DATA "%s", "");
	return check_mount(c);
}
