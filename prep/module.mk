# prep/: fanstore-prep, the packer.
PREP_SRC := $(wildcard prep/*.c)
PREP_OBJ := $(PREP_SRC:%.c=$(B)/%.o)

bin/fanstore-prep: $(PREP_OBJ) $(STORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(PREP_OBJ) $(STORE_LIB) $(STORE_LIBS) -lpthread

ALL_TARGETS += bin/fanstore-prep
