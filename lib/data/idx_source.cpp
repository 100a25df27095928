#include "data/idx_source.hpp"
#include "data/image_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>

#include "core/error.hpp"
#include "io/files.hpp"

namespace sslkit::data {

namespace {

bool is_gzip(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path, std::strerror(errno));
  unsigned char m[2] = {0, 0};
  ssize_t n = read(fd, m, 2);
  close(fd);
  return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

// The dimensions of an IDX header's `rank` big-endian counts at p.
std::vector<uint32_t> header_dims(const unsigned char* p, int rank) {
  std::vector<uint32_t> dims(rank);
  for (int i = 0; i < rank; ++i) dims[i] = be32(p + 4 * i);
  return dims;
}

// Header plus data bytes an IDX header declares; SIZE_MAX when that overflows.
size_t declared_bytes(const std::vector<uint32_t>& dims, size_t header) {
  size_t n = 1;
  for (uint32_t d : dims) {
    if (d != 0 && n > (SIZE_MAX - header) / d) return SIZE_MAX;
    n *= d;
  }
  return n + header;
}

// Opens `path` for pread; a gzip file is decompressed into an unlinked temp
// file first so that any sample can be read without holding them all.
// A pipe (<(zcat ...)) is spooled first: it is read twice here.
int open_raw(const std::string& path) {
  const io::InputFile in(path);
  if (!is_gzip(in.path())) {
    int fd = open(in.path().c_str(), O_RDONLY);
    if (fd < 0) throw Error(path, std::strerror(errno));
    return fd;
  }
  gzFile gz = gzopen(in.path().c_str(), "rb");
  if (!gz) throw Error(path, "cannot open gzip stream");
  gzbuffer(gz, 1 << 18);
  std::string tmp = io::make_temp("sslkit-idx");
  int fd = open(tmp.c_str(), O_RDWR);
  io::remove_temp(tmp);  // the descriptor keeps the data
  if (fd < 0) {
    gzclose(gz);
    throw Error(tmp, std::strerror(errno));
  }
  std::vector<char> buf(1 << 20);
  // What the header declares bounds what is written: a gzip bomb whose
  // header declares less stops there (the rest is ignored, as trailing bytes
  // of a plain file are), and one declaring more than the temp directory
  // holds is refused before a byte is written.
  size_t limit = SIZE_MAX, written = 0;
  for (;;) {
    int got = gzread(gz, buf.data(), buf.size());
    if (got < 0) {
      int err = 0;
      std::string msg = gzerror(gz, &err);
      gzclose(gz);
      close(fd);
      throw Error(path, "corrupt gzip data: " + msg);
    }
    if (got == 0) break;
    if (written == 0 && got >= 4 && buf[0] == 0 && buf[1] == 0 && got >= 4 + 4 * (buf[3] & 0xff)) {
      const int rank = buf[3] & 0xff;
      const auto dims = header_dims(reinterpret_cast<const unsigned char*>(buf.data()) + 4, rank);
      limit = declared_bytes(dims, 4 + 4 * static_cast<size_t>(rank));
      struct statvfs fs {};
      if (fstatvfs(fd, &fs) == 0 && limit != SIZE_MAX &&
          limit / std::max<size_t>(1, fs.f_frsize) > static_cast<size_t>(fs.f_bavail)) {
        gzclose(gz);
        close(fd);
        const auto gb = [](double b) {
          char t[32];
          std::snprintf(t, sizeof t, b >= 1e9 ? "%.1f GB" : "%.1f MB", b >= 1e9 ? b / 1e9 : b / 1e6);
          return std::string(t);
        };
        throw Error(path, "its header declares " + gb(static_cast<double>(limit)) + " of data, more than the " +
                              gb(static_cast<double>(fs.f_bavail) * fs.f_frsize) +
                              " free for temp files (set TMPDIR, or decompress it elsewhere)");
      }
    }
    got = static_cast<int>(std::min<size_t>(static_cast<size_t>(got), limit - written));
    written += static_cast<size_t>(got);
    if (got > 0 && write(fd, buf.data(), got) != got) {
      gzclose(gz);
      close(fd);
      throw Error(tmp, std::string("write failed: ") + std::strerror(errno));
    }
  }
  // gzread returns 0 at a truncated end too; gzclose_r reports it.
  int rc = gzclose(gz);
  if (rc != Z_OK && rc != Z_BUF_ERROR) {
    close(fd);
    throw Error(path, "truncated gzip file");
  }
  return fd;
}

// Parses the IDX header: magic 0x0000 08 RR (unsigned byte, rank RR).
std::vector<uint32_t> read_header(int fd, const std::string& path, size_t& offset) {
  unsigned char hdr[4];
  if (pread(fd, hdr, 4, 0) != 4) throw Error(path, "too short for an IDX file");
  if (hdr[0] != 0 || hdr[1] != 0) throw Error(path, "not an IDX file (bad magic number)");
  if (hdr[2] != 0x08) throw Error(path, "IDX element type is not unsigned byte (0x08)");
  int rank = hdr[3];
  if (rank < 1 || rank > 4) throw Error(path, "IDX rank " + std::to_string(rank) + " not supported");
  std::vector<unsigned char> dims_raw(4 * rank);
  if (pread(fd, dims_raw.data(), dims_raw.size(), 4) != static_cast<ssize_t>(dims_raw.size()))
    throw Error(path, "truncated IDX header");
  const std::vector<uint32_t> dims = header_dims(dims_raw.data(), rank);
  offset = 4 + 4 * rank;
  struct stat st {};
  fstat(fd, &st);
  const size_t expect = declared_bytes(dims, offset);
  if (expect == SIZE_MAX) throw Error(path, "IDX header declares more bytes than this machine can address");
  if (static_cast<size_t>(st.st_size) < expect)
    throw Error(path, "truncated IDX data: header promises " + std::to_string(expect - offset) + " bytes, file has " +
                          std::to_string(st.st_size - offset));
  return dims;
}

}  // namespace

std::vector<uint8_t> read_idx_file(const std::string& path, std::vector<uint32_t>& dims) {
  int fd = open_raw(path);
  size_t offset = 0;
  try {
    dims = read_header(fd, path, offset);
  } catch (...) {
    close(fd);
    throw;
  }
  size_t elems = 1;
  for (auto d : dims) elems *= d;
  std::vector<uint8_t> data(elems);
  ssize_t got = elems ? pread(fd, data.data(), elems, offset) : 0;
  close(fd);
  if (got != static_cast<ssize_t>(elems)) throw Error(path, "truncated IDX data");
  return data;
}

IdxSource::IdxSource(const std::string& images_path, const std::string& labels_path,
                     const std::string& class_names)
    : images_path_(images_path) {
  if (!class_names.empty()) {
    std::string name;
    for (char c : class_names + ",") {
      if (c != ',') { name += c; continue; }
      class_names_.push_back(name);
      name.clear();
    }
  }
  fd_ = open_raw(images_path);
  try {
    auto dims = read_header(fd_, images_path, data_offset_);
    if (dims.size() != 3 && dims.size() != 4)
      throw Error(images_path, "expected IDX images of rank 3 [N,H,W] or 4 [N,H,W,C], found rank " +
                                   std::to_string(dims.size()));
    n_ = dims[0];
    h_ = dims[1];
    w_ = dims[2];
    c_ = dims.size() == 4 ? dims[3] : 1;
    if (c_ != 1 && c_ != 3) throw Error(images_path, "expected 1 or 3 channels, found " + std::to_string(c_));
    if (h_ == 0 || w_ == 0) throw Error(images_path, "declares zero-sized images (" + std::to_string(h_) + "x" + std::to_string(w_) + ")");
    if (h_ > data::kMaxImageSide || w_ > data::kMaxImageSide)
      throw Error(images_path, "declares " + std::to_string(w_) + "x" + std::to_string(h_) + " images, past the " +
                                   std::to_string(data::kMaxImageSide) + "-pixel side sslkit reads");
    if (!labels_path.empty()) {
      std::vector<uint32_t> ldims;
      auto raw = read_idx_file(labels_path, ldims);
      if (ldims.size() != 1) throw Error(labels_path, "IDX labels must have rank 1");
      if (ldims[0] != n_)
        throw Error(labels_path, std::to_string(ldims[0]) + " labels for " + std::to_string(n_) + " images");
      labels_.assign(raw.begin(), raw.end());
      for (int32_t l : labels_)
        if (!class_names_.empty() && l >= static_cast<int32_t>(class_names_.size()))
          throw UsageError("--class-names names " + std::to_string(class_names_.size()) +
                           " classes but " + labels_path + " has label " + std::to_string(l));
    }
  } catch (...) {
    close(fd_);
    throw;
  }
}

IdxSource::~IdxSource() {
  if (fd_ >= 0) close(fd_);
}

void IdxSource::prepare(io::DataWriter& out) { out.create("/images", io::DType::u8, {h_, w_, c_}); }

std::vector<bool> IdxSource::write_batch(io::DataWriter& out, const std::vector<size_t>& indices) {
  const size_t row = h_ * w_ * c_;
  std::vector<uint8_t> buf(row * indices.size());
  // Runs of consecutive samples are read with one pread.
  for (size_t j = 0; j < indices.size();) {
    size_t k = j + 1;
    while (k < indices.size() && indices[k] == indices[k - 1] + 1) ++k;
    size_t bytes = row * (k - j);
    if (pread(fd_, buf.data() + row * j, bytes, data_offset_ + row * indices[j]) != static_cast<ssize_t>(bytes))
      throw Error(images_path_, "read failed");
    j = k;
  }
  out.append("/images", buf.data(), indices.size());
  return std::vector<bool>(indices.size(), true);
}

}  // namespace sslkit::data
