# test/: C test programs and tools.  Every test/AREA/NAME.c becomes
# $(B)/test/AREA/NAME, linked with the store.  test/run.sh runs the ones
# called t_* (and every test/AREA/t_*.sh).  Fuzz targets live in test/fuzz/
# and are built by clang with libFuzzer (see fuzz rules below).
TEST_SHIM_C := $(wildcard test/*/shim_*.c)
TEST_C   := $(filter-out test/fuzz/% $(TEST_SHIM_C),$(wildcard test/*/*.c))
TEST_BIN := $(patsubst test/%.c,$(B)/test/%,$(TEST_C))
TEST_SHIM := $(patsubst test/%.c,$(B)/test/%.so,$(TEST_SHIM_C))

$(B)/test/%: test/%.c $(STORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(STORE_LIB) $(STORE_LIBS) -lpthread

# test/AREA/shim_NAME.c: a small library a test preloads into a program.
$(B)/test/%.so: test/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -shared -o $@ $< -ldl

FUZZ_C   := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst test/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_C))
FUZZ_CC  ?= clang
FUZZ_SECONDS ?= 600

$(B)/fuzz/%: test/fuzz/%.c $(STORE_SRC) $(wildcard store/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -Istore -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(STORE_SRC) $(STORE_LIBS)

.PHONY: tests fuzzers
tests: all $(TEST_BIN) $(TEST_SHIM)
fuzzers: $(FUZZ_BIN)

test:
	@test/deps.sh test
	@$(MAKE) --no-print-directory tests fuzzers
	@test/run.sh $(T)

SOAK_SECONDS ?= 60
soak: tests
	@SOAK_SECONDS=$(SOAK_SECONDS) TEST_TIMEOUT=$$(( $(SOAK_SECONDS) * 3 + 120 )) test/run.sh soak/t_soak

fuzz: fuzzers
	@test/fuzz/run.sh $(FUZZ_SECONDS)

# make valgrind: memcheck on fanstore-exec and on readers under the library
# (about 25 s).  make asan: a sanitizer build in build/asan/ and the
# real-client and hardening tests run there (several minutes).
valgrind: tests
	@test/hardening/valgrind.sh

asan:
	@test/hardening/asan.sh
