# FanStore - a transient, user-space object store for deep-learning datasets.
#
#   make            build bin/fanstore-prep, bin/fanstore-exec, lib/libfanstore.so
#   make demo       install what is missing, then a short PyTorch training on a demo dataset
#   make test       install what is missing, build, run every test
#   make bench      every benchmark, table + JSON + PNG (bench-quick: under two minutes)
#   make install PREFIX=$$HOME/.local
#
# MPI=openmpi (default) or MPI=mpich picks the MPI compiler wrapper; MPICC=... overrides it.

PREFIX  ?= /usr/local
MPI     ?= openmpi
ifeq ($(MPI),mpich)
MPICC   ?= mpicc.mpich
else
MPICC   ?= mpicc
endif
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
ALL_CFLAGS = -std=gnu11 $(OPT) $(SAN) $(WARN) -fPIC -D_GNU_SOURCE -Istore $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
B       ?= build

.PHONY: all deps test demo bench bench-quick fuzz soak asan valgrind install clean
.DEFAULT_GOAL := all

all:

include store/module.mk
include prep/module.mk
include launcher/module.mk
include intercept/module.mk
include test/module.mk
include examples/module.mk

all: $(ALL_TARGETS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)

deps:
	@test/deps.sh build

# The programs, the library, the man pages and an Lmod modulefile
# (module use PREFIX/share/modulefiles; module load fanstore).  VERSION names
# the modulefile: the date of the last commit, YYYY.MM.DD.
VERSION ?= $(or $(shell git log -1 --format=%cd --date=format:%Y.%m.%d 2>/dev/null),local)
MODDIR   = $(DESTDIR)$(PREFIX)/share/modulefiles/fanstore
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/man/man1 $(MODDIR)
	install -m 0755 bin/fanstore-prep bin/fanstore-exec $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 lib/libfanstore.so $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 docs/man/fanstore-exec.1 docs/man/fanstore-prep.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed -e 's|@PREFIX@|$(abspath $(PREFIX))|g' -e 's|@VERSION@|$(VERSION)|g' docs/modulefile.lua.in \
	  >$(MODDIR)/$(VERSION).lua

clean:
	rm -rf $(B) bin lib
