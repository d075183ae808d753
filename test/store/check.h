/* check.h - the assertions of the C tests. */
#ifndef FANSTORE_TEST_CHECK_H
#define FANSTORE_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define ASSERT(c)                                                                    \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c); \
			exit(1);                                                     \
		}                                                                    \
	} while (0)

#define RUN(t)                                     \
	do {                                       \
		t();                               \
		printf("ok %s\n", #t);             \
	} while (0)
#endif
