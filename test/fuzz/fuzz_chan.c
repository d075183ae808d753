/* fuzz_chan.c - the channel header check (fs_chan_check).  Input: the
 * memfd's size (8 bytes, little-endian), then the header as the process
 * wrote it (zero-padded to 64 bytes).  An accepted header must describe a
 * layout that lies wholly inside the memfd, which the launcher then maps
 * and indexes without further checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t file_size;
	struct fs_chan_hdr h;
	if (size < sizeof file_size)
		return 0;
	memcpy(&file_size, data, sizeof file_size);
	memset(&h, 0, sizeof h);
	size -= sizeof file_size;
	memcpy(&h, data + sizeof file_size, size < sizeof h ? size : sizeof h);
	if (fs_chan_check(&h, file_size) != 0)
		return 0;
	if (h.magic != FS_CHAN_MAGIC || h.version != FS_PROTO_VERSION)
		abort();
	if (h.nslots < 1 || h.nslots > FS_CHAN_SLOTS_MAX)
		abort();
	if (h.slot_bytes < FS_CHAN_PAGE || h.slot_bytes > FS_CHUNK_MAX || h.slot_bytes % FS_CHAN_PAGE ||
	    h.slot_bytes < FS_CHAN_DATA_SKIP + 1)
		abort();
	/* Every slot record and every slot's data area, where the launcher
	 * finds them from a base pointer, ends inside the memfd, and the data
	 * areas start page-aligned after the slot records. */
	static uint8_t anchor[64];      /* the mapping's address; never dereferenced */
	uint8_t *base = anchor;
	uint64_t data_off = fs_chan_data_off(h.nslots);
	if (data_off % FS_CHAN_PAGE ||
	    data_off < FS_CHAN_SLOTS_OFF + (uint64_t)h.nslots * sizeof(struct fs_chan_slot))
		abort();
	for (unsigned k = 0; k < h.nslots; k++) {
		uint64_t slot_end = (uint64_t)((uint8_t *)(fs_chan_slot(base, k) + 1) - base);
		uint64_t area = (uint64_t)(fs_chan_area(base, h.nslots, h.slot_bytes, k) - base);
		if (slot_end > data_off || area < data_off || area + h.slot_bytes > file_size ||
		    area + h.slot_bytes < area)
			abort();
	}
	return 0;
}
