# intercept/: libfanstore.so, the preloaded library.  Never calls MPI.
INTERCEPT_SRC := $(wildcard intercept/*.c)
INTERCEPT_OBJ := $(INTERCEPT_SRC:%.c=$(B)/%.o)

$(B)/intercept/%.o: intercept/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -MMD -MP -c -o $@ $<

# Linked under a temporary name and renamed: programs starting while it is
# rebuilt load either the old library or the new one, never half of one.
lib/libfanstore.so: $(INTERCEPT_OBJ) $(STORE_LIB) intercept/version.map
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,--version-script=intercept/version.map -Wl,-z,defs \
	  -o $@.tmp.$$$$ $(INTERCEPT_OBJ) $(STORE_LIB) $(STORE_LIBS) -ldl -lpthread && mv -f $@.tmp.$$$$ $@

ALL_TARGETS += lib/libfanstore.so

# One intercept test is built fortified, so it calls __open_2, __read_chk...
$(B)/test/intercept/t_fortify: CFLAGS += -D_FORTIFY_SOURCE=2 -O2
