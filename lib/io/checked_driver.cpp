#include "io/checked_driver.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace sslkit::io {

namespace {

struct CheckedFile {
  H5FD_t pub;  // the public part, filled in by the library; first, as HDF5 requires
  int fd = -1;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  dev_t device = 0;
  ino_t inode = 0;
  unsigned length_size = 8;  // the superblock's "size of lengths"
};

uint64_t little_endian(const unsigned char* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Walks a whole collection (`declared` bytes at p) as libhdf5 1.10.8's
// H5HG__cache_heap_deserialize does; false where libhdf5 would loop or copy
// past the collection. `objects`, when given, gets each object's size by index.
bool walk_collection(const unsigned char* p, uint64_t declared, unsigned length_size,
                     std::map<unsigned, uint64_t>* objects) {
  const size_t header = ((4 + 1 + 3 + length_size) + 7) / 8 * 8;  // H5HG_SIZEOF_HDR
  const size_t object_header = 2 + 2 + 4 + length_size;            // H5HG_SIZEOF_OBJHDR
  uint64_t at = header;
  while (at < declared) {
    if (at + object_header > declared) break;  // the rest is free space
    const unsigned index = p[at] | (p[at + 1] << 8);
    const uint64_t object = little_endian(p + at + 8, length_size);
    uint64_t need = 0;
    if (index == 0) {
      need = object;  // free space: its size counts its header
    } else {
      if (object > declared) return false;
      need = object_header + (object + 7) / 8 * 8;
      if (objects) (*objects)[index] = object;
    }
    if (need == 0 || need > declared - at) return false;  // loops in place, or runs past the collection
    at += need;
  }
  return true;
}

// A collection starts "GCOL", version 1; libhdf5 ignores the 3 reserved
// bytes after it (a fuzzed file with them set still looped it).
const unsigned char kCollectionSignature[5] = {'G', 'C', 'O', 'L', 1};

// Reads `size` bytes at `at`, as many calls as it takes; the count read
// (short only at the end of the file), or -1 on an error.
ssize_t pread_fully(int fd, unsigned char* out, size_t size, uint64_t at) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, size - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

void push_error(const char* what) {
  H5Epush2(H5E_DEFAULT, __FILE__, "sslkit checked driver", __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_READERROR, "%s",
           what);
}

// The superblock is at 0 or at a power of two from 512 (after a user block).
unsigned read_length_size(int fd, haddr_t eof) {
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (haddr_t at = 0; at + 16 <= eof; at = at == 0 ? 512 : at * 2) {
    unsigned char sb[16];
    if (pread(fd, sb, sizeof sb, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof sb)) break;
    if (std::memcmp(sb, signature, 8) != 0) continue;
    const unsigned version = sb[8];
    const unsigned n = version < 2 ? sb[14] : sb[10];
    return n == 2 || n == 4 || n == 8 ? n : 8;
  }
  return 8;
}

H5FD_t* checked_open(const char* name, unsigned flags, hid_t, haddr_t maxaddr) {
  if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) {
    push_error("the checked driver only reads");
    return nullptr;
  }
  if (maxaddr == 0 || maxaddr == HADDR_UNDEF) maxaddr = (haddr_t{1} << 62);
  const int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    push_error(std::strerror(errno));
    return nullptr;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    push_error(std::strerror(errno));
    return nullptr;
  }
  auto* f = static_cast<CheckedFile*>(std::calloc(1, sizeof(CheckedFile)));
  if (f == nullptr) {
    close(fd);
    return nullptr;
  }
  f->fd = fd;
  f->eof = static_cast<haddr_t>(st.st_size);
  f->device = st.st_dev;
  f->inode = st.st_ino;
  f->length_size = read_length_size(fd, f->eof);
  return &f->pub;
}

herr_t checked_close(H5FD_t* file) {
  auto* f = reinterpret_cast<CheckedFile*>(file);
  const int rc = close(f->fd);
  std::free(f);
  return rc == 0 ? 0 : -1;
}

int checked_cmp(const H5FD_t* a, const H5FD_t* b) {
  const auto* x = reinterpret_cast<const CheckedFile*>(a);
  const auto* y = reinterpret_cast<const CheckedFile*>(b);
  if (x->device != y->device) return x->device < y->device ? -1 : 1;
  if (x->inode != y->inode) return x->inode < y->inode ? -1 : 1;
  return 0;
}

// As sec2, less the metadata accumulator: every metadata read then reaches
// checked_read as it is, so no global heap is served unchecked from a block
// read for another purpose.
herr_t checked_query(const H5FD_t*, unsigned long* flags) {
  if (flags) *flags = H5FD_FEAT_DATA_SIEVE | H5FD_FEAT_POSIX_COMPAT_HANDLE;
  return 0;
}

haddr_t checked_get_eoa(const H5FD_t* file, H5FD_mem_t) { return reinterpret_cast<const CheckedFile*>(file)->eoa; }

herr_t checked_set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  reinterpret_cast<CheckedFile*>(file)->eoa = addr;
  return 0;
}

haddr_t checked_get_eof(const H5FD_t* file, H5FD_mem_t) { return reinterpret_cast<const CheckedFile*>(file)->eof; }

herr_t checked_get_handle(H5FD_t* file, hid_t, void** handle) {
  *handle = &reinterpret_cast<CheckedFile*>(file)->fd;
  return 0;
}

// libhdf5 reads a collection's first 4 KiB, then only the rest of a larger
// one into the same buffer: the driver never sees a large collection whole.
// Seen by its first read, it is read whole here and checked.
bool whole_collection_is_sound(const CheckedFile* f, haddr_t addr, const unsigned char* p, size_t size) {
  const unsigned n = f->length_size;
  if (size < 8 + n || std::memcmp(p, kCollectionSignature, 5) != 0) return true;
  const uint64_t declared = little_endian(p + 8, n);
  if (declared <= size) return true;  // whole already: checked by global_heap_is_sound
  if (addr > f->eof || declared > f->eof - addr) return false;
  std::vector<unsigned char> whole(declared);
  if (pread_fully(f->fd, whole.data(), declared, addr) != static_cast<ssize_t>(declared)) return false;
  return walk_collection(whole.data(), declared, n, nullptr);
}

herr_t checked_read(H5FD_t* file, H5FD_mem_t type, hid_t, haddr_t addr, size_t size, void* buffer) {
  auto* f = reinterpret_cast<CheckedFile*>(file);
  if (addr == HADDR_UNDEF || addr > f->eoa || size > f->eoa - addr) {
    push_error("read past the end of the file's address space");
    return -1;
  }
  auto* out = static_cast<unsigned char*>(buffer);
  const ssize_t done = pread_fully(f->fd, out, size, addr);
  if (done < 0) {
    push_error(std::strerror(errno));
    return -1;
  }
  // Past the end of the file: zeros, as sec2 gives.
  if (static_cast<size_t>(done) < size) std::memset(out + done, 0, size - static_cast<size_t>(done));
  // libhdf5 reads global heaps as raw data (H5F_block_read maps the type),
  // so a collection is known by its signature and version, whatever the type.
  (void)type;
  if (!global_heap_is_sound(out, size, f->length_size, f->eof) || !whole_collection_is_sound(f, addr, out, size)) {
    push_error("corrupt global heap collection");
    return -1;
  }
  return 0;
}

herr_t checked_write(H5FD_t*, H5FD_mem_t, hid_t, haddr_t, size_t, const void*) {
  push_error("the checked driver only reads");
  return -1;
}

// HDF5's file locks (flock) as sec2 takes them, where the file system has them.
herr_t checked_lock(H5FD_t* file, hbool_t rw) {
  const int fd = reinterpret_cast<CheckedFile*>(file)->fd;
  if (flock(fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 || errno == ENOSYS) return 0;
  push_error("unable to lock the file");
  return -1;
}

herr_t checked_unlock(H5FD_t* file) {
  const int fd = reinterpret_cast<CheckedFile*>(file)->fd;
  if (flock(fd, LOCK_UN) == 0 || errno == ENOSYS) return 0;
  push_error("unable to unlock the file");
  return -1;
}

H5FD_class_t checked_class() {
  H5FD_class_t c;
  std::memset(&c, 0, sizeof c);
  c.name = "sslkit-checked";
  c.maxaddr = (haddr_t{1} << 62) - 1;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.open = checked_open;
  c.close = checked_close;
  c.cmp = checked_cmp;
  c.query = checked_query;
  c.get_eoa = checked_get_eoa;
  c.set_eoa = checked_set_eoa;
  c.get_eof = checked_get_eof;
  c.get_handle = checked_get_handle;
  c.read = checked_read;
  c.write = checked_write;
  c.lock = checked_lock;
  c.unlock = checked_unlock;
  const H5FD_mem_t map[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;
  std::memcpy(c.fl_map, map, sizeof map);
  return c;
}

}  // namespace


bool global_heap_is_sound(const unsigned char* p, size_t size, unsigned length_size, haddr_t file_size) {
  const size_t header = ((4 + 1 + 3 + length_size) + 7) / 8 * 8;
  // Not a collection (libhdf5 refuses a wrong signature or version itself).
  // Raw data that happens to begin with these 5 bytes is judged as one; for
  // a sound collection's layout to fail by chance is beyond rare.
  if (size < 8 + length_size || std::memcmp(p, kCollectionSignature, 5) != 0) return true;
  const uint64_t declared = little_endian(p + 8, length_size);
  if (declared < header || declared > file_size) return false;
  if (declared > size) return true;  // the 4 KiB first read of a larger collection: the full read is checked
  return walk_collection(p, declared, length_size, nullptr);
}

std::string vlen_references_problem(const std::string& path, const VlenLayout& l, uint64_t at, size_t count) {
  const size_t element = 4 + l.offset_size + 4;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";  // the file read through HDF5 was not this path (nothing to check against)
  struct stat st {};
  fstat(fd, &st);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (static_cast<double>(count) * element > static_cast<double>(file_size)) {
    close(fd);
    return "declares " + std::to_string(count) + " strings, more than the file holds";
  }
  std::vector<unsigned char> stored(count * element);
  if (pread_fully(fd, stored.data(), stored.size(), at) != static_cast<ssize_t>(stored.size())) {
    close(fd);
    return "strings truncated: the file is damaged";
  }
  const unsigned char* raw = stored.data();
  std::map<uint64_t, std::map<unsigned, uint64_t>> collections;  // by address: object sizes by index
  std::string problem;
  for (size_t i = 0; i < count && problem.empty(); ++i) {
    const unsigned char* e = raw + i * element;
    const uint64_t length = little_endian(e, 4);
    const uint64_t addr = little_endian(e + 4, l.offset_size) + l.base;
    const unsigned index = static_cast<unsigned>(little_endian(e + 4 + l.offset_size, 4));
    if (length == 0) continue;  // an empty string reads nothing
    auto it = collections.find(addr);
    if (it == collections.end()) {
      std::map<unsigned, uint64_t> objects;
      unsigned char head[16];
      const size_t head_size = 8 + l.length_size;
      if (addr >= file_size || pread_fully(fd, head, head_size, addr) != static_cast<ssize_t>(head_size) ||
          std::memcmp(head, kCollectionSignature, 5) != 0) {
        problem = "value " + std::to_string(i) + " points outside any global heap collection";
        break;
      }
      const uint64_t declared = little_endian(head + 8, l.length_size);
      std::vector<unsigned char> whole;
      if (declared > file_size - addr || declared < head_size) {
        problem = "a global heap collection runs past the end of the file";
        break;
      }
      whole.resize(declared);
      if (pread_fully(fd, whole.data(), declared, addr) != static_cast<ssize_t>(declared) ||
          !walk_collection(whole.data(), declared, l.length_size, &objects)) {
        problem = "a global heap collection is corrupt";
        break;
      }
      it = collections.emplace(addr, std::move(objects)).first;
    }
    const auto object = it->second.find(index);
    // libhdf5 copies the object's size into a buffer of the value's length.
    if (object == it->second.end() || object->second > length)
      problem = "value " + std::to_string(i) + " names global heap object " + std::to_string(index) +
                (object == it->second.end() ? ", which its collection does not hold" : ", larger than the value");
  }
  close(fd);
  return problem.empty() ? problem : problem + ": the file's HDF5 metadata is corrupt";
}

void use_checked_driver(hid_t fapl) {
  // SSLKIT_HDF5_DRIVER=sec2: HDF5's own driver, unchecked (to compare, or
  // should a valid file ever trip a check).
  if (const char* d = std::getenv("SSLKIT_HDF5_DRIVER"); d && std::strcmp(d, "sec2") == 0) return;
  static std::once_flag once;
  static hid_t driver = -1;
  std::call_once(once, [] {
    static const H5FD_class_t c = checked_class();
    driver = H5FDregister(&c);
  });
  if (driver < 0 || H5Pset_driver(fapl, driver, nullptr) < 0)
    throw Error("HDF5", "cannot set sslkit's checked file driver");
}

}  // namespace sslkit::io
