# examples/: the C reader example (the PyTorch example is a script), the
# demo and the benchmark report.
EXAMPLES_SRC := $(wildcard examples/*.c)
EXAMPLES_BIN := $(EXAMPLES_SRC:examples/%.c=bin/%)

bin/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpthread

ALL_TARGETS += $(EXAMPLES_BIN)

demo:
	@examples/demo.sh

bench:
	@test/bench/run.sh

bench-quick:
	@test/bench/run.sh --quick
