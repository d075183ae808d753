# launcher/: fanstore-exec, the MPI launcher.  Only this directory calls MPI.
LAUNCHER_SRC := $(wildcard launcher/*.c)
LAUNCHER_OBJ := $(LAUNCHER_SRC:%.c=$(B)/%.o)

$(B)/launcher/%.o: launcher/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Linked under a temporary name and renamed, so that jobs running while it
# is rebuilt never find it missing or half-written.
bin/fanstore-exec: $(LAUNCHER_OBJ) $(STORE_LIB)
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_LDFLAGS) -o $@.tmp $(LAUNCHER_OBJ) $(STORE_LIB) $(STORE_LIBS) -lpthread
	mv -f $@.tmp $@

ALL_TARGETS += bin/fanstore-exec

# Test programs of the launcher that call MPI themselves.
LAUNCHER_MPI_TESTS := $(B)/test/launcher/mpichild $(B)/test/launcher/pingpong
$(LAUNCHER_MPI_TESTS): CC = $(MPICC)
