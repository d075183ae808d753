# intercept/: libfanstore.so, the preloaded library.  Never calls MPI.
INTERCEPT_SRC := $(wildcard intercept/*.c)
INTERCEPT_OBJ := $(INTERCEPT_SRC:%.c=$(B)/%.o)

$(B)/intercept/%.o: intercept/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -MMD -MP -c -o $@ $<

# The version script is made from wrappers.def, so the exports and the
# table of real functions cannot drift apart.  Both ways are checked: the
# link fails when a listed name has no definition (--no-undefined-version),
# and the objects may define no other function for export (a wrapper
# missing from wrappers.def would silently intercept nothing).
$(B)/intercept/version.map: intercept/version.map.in intercept/wrappers.def
	@mkdir -p $(dir $@)
	$(CC) -E -P -undef -x c -o $@ intercept/version.map.in

# Linked under a temporary name and renamed: programs starting while it is
# rebuilt load either the old library or the new one, never half of one.
lib/libfanstore.so: $(INTERCEPT_OBJ) $(STORE_LIB) $(B)/intercept/version.map
	@mkdir -p $(dir $@)
	@extra=$$(readelf -sW $(INTERCEPT_OBJ) | awk 'FNR == NR { n = split($$0, w, /[ \t;]+/); \
	  for (i = 1; i <= n; i++) listed[w[i]] = 1; next } \
	  $$4 == "FUNC" && $$5 != "LOCAL" && $$6 == "DEFAULT" && $$7 != "UND" && !($$8 in listed) { print $$8 }' \
	  $(B)/intercept/version.map - | sort -u); \
	  [ -z "$$extra" ] || { echo "intercept: defined for export but not listed in wrappers.def (or version.map.in):" $$extra >&2; exit 1; }
	$(CC) $(ALL_LDFLAGS) -shared -Wl,--version-script=$(B)/intercept/version.map \
	  -Wl,--no-undefined-version -Wl,-z,defs \
	  -o $@.tmp.$$$$ $(INTERCEPT_OBJ) $(STORE_LIB) $(STORE_LIBS) -ldl -lpthread && mv -f $@.tmp.$$$$ $@

ALL_TARGETS += lib/libfanstore.so

# One intercept test is built fortified, so it calls __open_2, __read_chk...
$(B)/test/intercept/t_fortify: CFLAGS += -D_FORTIFY_SOURCE=2 -O2
