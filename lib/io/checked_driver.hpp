// The HDF5 file driver sslkit reads with: POSIX reads, as HDF5's default
// (sec2) driver does, that also check each global heap collection before
// libhdf5 parses it. libhdf5 1.10.8 trusts the sizes inside a collection:
// an object of size 0 makes it loop forever and an object larger than its
// collection makes it copy past its buffer (found by tests/fuzz/fuzz_data_file
// and fuzz_model_file within minutes; every variable-length string, such as
// the root attribute "format", is read through one). A collection whose
// objects do not tile it, or that is larger than the file, fails the read,
// and the caller's read fails with an HDF5 error as any corrupt file does.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace sslkit::io {

// Sets the checked driver on a file access property list (unless
// SSLKIT_HDF5_DRIVER=sec2). Read-only: a file opened for writing through it
// fails to open.
void use_checked_driver(hid_t fapl);

// Whether `collection` (`size` bytes read at a global heap collection's
// address, lengths of `length_size` bytes) is one libhdf5 can parse safely:
// an incomplete read of a larger collection (libhdf5 reads 4 KiB first) is
// judged on its header alone. `file_size` bounds the declared size.
bool global_heap_is_sound(const unsigned char* collection, size_t size, unsigned length_size, haddr_t file_size);

// Where a file keeps variable-length values: the sizes of its addresses and
// lengths (its superblock's), and the base its addresses count from (the
// user block's size).
struct VlenLayout {
  unsigned offset_size = 8, length_size = 8;
  uint64_t base = 0;
};

// The `count` variable-length values stored at file offset `at` of the file
// at `path` (each: length, collection address, object index) checked against
// its global heap collections before libhdf5 follows them: libhdf5 1.10.8
// takes an object index its collection lacks, or an object larger than the
// value, on trust and reads or copies out of bounds. "" when sound (or the
// path cannot be opened: nothing to check against), else what is wrong.
std::string vlen_references_problem(const std::string& path, const VlenLayout& layout, uint64_t at, size_t count);

}  // namespace sslkit::io
