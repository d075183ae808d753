/* main.c - fanstore-prep: pack a dataset; list, summarise, verify, extract one. */
#include <malloc.h>
#include <stdio.h>

#include "prep.h"

static int pack(const struct prep_opts *o)
{
	struct prep_tree t;
	uint64_t id = 0;
	int r = o->legacy ? prep_scan_list(&t, o) : prep_scan_dir(&t, o);
	if (r == 0)
		r = prep_plan(&t, o, &id);
	if (r == 0)
		r = prep_pack(&t, o, id);
	prep_tree_release(&t);
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct prep_opts o;
	int r = prep_opts_parse(&o, argc, argv);
	if (r >= 0) {
		prep_opts_release(&o);
		return r;
	}
	prep_set_quiet(o.quiet);
	/* per-file buffers come and go by the thousand: keep freed memory
	 * mapped instead of faulting it in again for every file */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	switch (o.mode) {
	case PM_PACK:
		r = pack(&o);
		break;
	case PM_LIST:
		r = prep_list(o.out);
		break;
	case PM_INFO:
		r = prep_info(o.out);
		break;
	case PM_VERIFY:
		r = prep_verify(o.out, o.quiet, o.jobs);
		break;
	case PM_EXTRACT:
		r = prep_extract(o.out, o.dest);
		break;
	case PM_IMAGE:
		r = prep_image(o.out);
		break;
	}
	prep_opts_release(&o);
	return r;
}
