/* opts.c - the two command lines of fanstore-prep. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prep.h"

static const char usage_text[] =
	"usage: fanstore-prep -n NPART [-b DIR]... [-l LEVEL] [-j JOBS] [-o OUT]\n"
	"                     [--skip-bad] [--progress] [-q] DATASET_DIR\n"
	"       fanstore-prep NPART file.list val|NULL [pack_LEVEL]   (original form)\n"
	"       fanstore-prep --list OUT | --info OUT | --verify OUT | --extract OUT DEST\n"
	"       fanstore-prep --image OUT   (re)build OUT/fanstore.image\n"
	"\n"
	"Pack DATASET_DIR into NPART partitions plus fanstore.manifest in OUT\n"
	"(default: ./BASENAME.fanstore), the directory fanstore-exec --data takes,\n"
	"with fanstore.image, the namespace every job maps (built once, here).\n"
	"  -n, --partitions N   scatter partitions (>= 1)\n"
	"  -b, --bcast DIR      files under DIR (relative to DATASET_DIR) go to the\n"
	"                       broadcast partition every node holds; repeatable\n"
	"  -l, --level L        0 = store, 1..12 = libdeflate level (default 6)\n"
	"  -j, --jobs J         threads packing or verifying (default: online cores)\n"
	"  -o, --output OUT     output directory; must not exist\n"
	"      --skip-bad       skip unreadable or missing entries (reported) instead of failing\n"
	"      --progress       progress on stderr even when it is not a terminal\n"
	"  -q, --quiet          only errors\n"
	"  -h, --help           this text\n"
	"Original form: run `find ./ > file.list` in the dataset root and fanstore-prep\n"
	"there; output goes to the current directory; pack_0 stores, pack_1..9 are\n"
	"libdeflate levels 1..9, pack_10 and above level 12 (see docs/format.md).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	if (!s || !*s || s[0] == '-' || s[0] == '+')
		return -1;
	unsigned long x = strtoul(s, &end, 10);
	if (*end || x > max)
		return -1;
	*v = x;
	return 0;
}

/* "pack_10" or "10" -> libdeflate level. */
static int legacy_level(const char *s, int *level)
{
	unsigned long v;
	if (strncmp(s, "pack_", 5) == 0)
		s += 5;
	if (parse_uint(s, 1000, &v) < 0)
		return -1;
	*level = v == 0 ? 0 : v <= 9 ? (int)v : 12;
	return 0;
}

static int add_bcast(struct prep_opts *o, const char *d)
{
	const char **nb = realloc(o->bcast, (o->nbcast + 1) * sizeof(*nb));
	if (!nb)
		return -1;
	o->bcast = nb;
	o->bcast[o->nbcast++] = d;
	return 0;
}

static int online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "fanstore-prep: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(run fanstore-prep --help for usage)\n");
	return 2;
}

static int inspect_mode(struct prep_opts *o, int mode, const char *arg)
{
	if (o->mode != PM_PACK)
		return bad("%s: give only one of --list, --info, --verify, --extract, --image", arg);
	o->mode = (enum prep_mode)mode;
	o->out = arg;
	return -1;
}

/* The original form: NPART file.list val|NULL [pack_LEVEL]. */
static int parse_legacy(struct prep_opts *o, int npos, char **pos)
{
	unsigned long v;
	if (npos < 3 || npos > 4)
		return bad("%s: the original form takes NPART file.list val|NULL [pack_LEVEL]", pos[0]);
	if (parse_uint(pos[0], 1000000, &v) < 0 || v == 0)
		return bad("NPART '%s' must be a whole number from 1 to 1000000", pos[0]);
	o->legacy = 1;
	o->npart = (uint32_t)v;
	o->filelist = pos[1];
	o->dataset = ".";
	if (strcmp(pos[2], "NULL") != 0 && add_bcast(o, pos[2]) < 0)
		return bad("%s: out of memory", pos[2]);
	if (npos == 4 && legacy_level(pos[3], &o->level) < 0)
		return bad("pack level '%s' must be pack_N or N with N >= 0", pos[3]);
	if (o->out)
		return bad("%s: -o does not apply to the original form (output goes to the current directory)", o->out);
	return -1;
}

enum { OPT_SKIP = 256, OPT_PROGRESS, OPT_LIST, OPT_INFO, OPT_VERIFY, OPT_EXTRACT, OPT_IMAGE };

int prep_opts_parse(struct prep_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"partitions", required_argument, 0, 'n'},
		{"bcast", required_argument, 0, 'b'},
		{"level", required_argument, 0, 'l'},
		{"jobs", required_argument, 0, 'j'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"skip-bad", no_argument, 0, OPT_SKIP},
		{"progress", no_argument, 0, OPT_PROGRESS},
		{"list", required_argument, 0, OPT_LIST},
		{"info", required_argument, 0, OPT_INFO},
		{"verify", required_argument, 0, OPT_VERIFY},
		{"extract", required_argument, 0, OPT_EXTRACT},
		{"image", required_argument, 0, OPT_IMAGE},
		{0, 0, 0, 0},
	};
	memset(o, 0, sizeof(*o));
	o->level = PREP_DEFAULT_LEVEL;
	o->jobs = online_cores();
	int have_n = 0, c, r;
	unsigned long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:b:l:j:o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 1000000, &v) < 0 || v == 0)
				return bad("-n %s: the number of partitions must be from 1 to 1000000", optarg);
			o->npart = (uint32_t)v;
			have_n = 1;
			break;
		case 'b':
			if (add_bcast(o, optarg) < 0)
				return bad("%s: out of memory", optarg);
			break;
		case 'l':
			if (parse_uint(optarg, 12, &v) < 0)
				return bad("-l %s: the level must be 0 (store) to 12", optarg);
			o->level = (int)v;
			break;
		case 'j':
			if (parse_uint(optarg, 1024, &v) < 0 || v == 0)
				return bad("-j %s: jobs must be from 1 to 1024", optarg);
			o->jobs = (int)v;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_SKIP:
			o->skip_bad = 1;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_LIST:
		case OPT_INFO:
		case OPT_VERIFY:
		case OPT_EXTRACT:
		case OPT_IMAGE:
			r = inspect_mode(o, c == OPT_LIST ? PM_LIST : c == OPT_INFO ? PM_INFO :
					 c == OPT_VERIFY ? PM_VERIFY : c == OPT_IMAGE ? PM_IMAGE : PM_EXTRACT,
					 optarg);
			if (r >= 0)
				return r;
			break;
		default:
			return bad("%s: unknown option or missing argument", argv[optind - 1]);
		}
	}
	if (o->quiet && o->progress == 0)
		o->progress = -1;
	int npos = argc - optind;
	char **pos = argv + optind;
	if (o->mode == PM_EXTRACT) {
		if (npos != 1)
			return bad("%s: --extract takes OUT DEST", o->out);
		o->dest = pos[0];
		return -1;
	}
	if (o->mode != PM_PACK) {
		if (npos != 0)
			return bad("%s: unexpected argument", pos[0]);
		return -1;
	}
	if (npos == 0) {
		usage(stderr);
		return 2;
	}
	if (!have_n && npos >= 3 && parse_uint(pos[0], ~0ul, &v) == 0)
		return parse_legacy(o, npos, pos);
	if (!have_n)
		return bad("%s: say how many partitions with -n N", pos[0]);
	if (npos != 1)
		return bad("%s: give exactly one DATASET_DIR", pos[npos > 1 ? 1 : 0]);
	o->dataset = pos[0];
	return -1;
}

void prep_opts_release(struct prep_opts *o)
{
	free(o->bcast);
	o->bcast = NULL;
}
