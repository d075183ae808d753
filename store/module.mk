# store/: the ground floor (format, metadata image, protocol); no MPI.
STORE_SRC := $(wildcard store/*.c)
STORE_OBJ := $(STORE_SRC:%.c=$(B)/%.o)
STORE_LIB := $(B)/libfsstore.a
STORE_LIBS := -ldeflate

$(STORE_LIB): $(STORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(STORE_LIB)
