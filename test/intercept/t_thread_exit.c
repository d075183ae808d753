/* Threads that open and close dataset files and then exit leave the
 * library's open-file objects for later threads to reuse: the heap does
 * not grow with the number of threads that have come and gone. */
#include <malloc.h>
#include <pthread.h>

#include "ctest.h"

#define NOPEN 64

static void *opener(void *arg)
{
	(void)arg;
	int fd[NOPEN];
	for (int i = 0; i < NOPEN; i++)
		ASSERT((fd[i] = open(CT_MNT "/a.txt", O_RDONLY)) >= 0);
	for (int i = 0; i < NOPEN; i++)
		ASSERT(close(fd[i]) == 0);
	return NULL;
}

static void threads(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		ASSERT(pthread_create(&t, NULL, opener, NULL) == 0);
		ASSERT(pthread_join(t, NULL) == 0);
	}
}

int main(int argc, char **argv)
{
	ct_setup(argc, argv, "-p 1");
	threads(50);   /* warm up: glibc's thread caches, the table */
	size_t before = mallinfo2().uordblks;
	threads(400);
	size_t grew = mallinfo2().uordblks - before;
	printf("heap grew by %zu bytes over 400 threads of %d opens each\n", grew, NOPEN);
	/* one object per open left behind would be 400 * 64 * ~100 bytes */
	ASSERT(grew < 64 * 1024);
	return ct_done();
}
