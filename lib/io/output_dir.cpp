#include "io/output_dir.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "io/files.hpp"

namespace fs = std::filesystem;

namespace sslkit::io {

namespace {

// `inner` is `outer` or inside it (both made absolute and canonical where they exist).
bool is_within(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(inner), ec), b = fs::weakly_canonical(fs::absolute(outer), ec);
  auto ai = a.begin();
  for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai) {
    if (bi->empty()) continue;  // a trailing separator
    if (ai == a.end() || *ai != *bi) return false;
  }
  return true;
}

}  // namespace

OutputDir::OutputDir(const std::string& path, bool replace, const std::vector<std::string>& inputs,
                     const std::string& option)
    : replace_(replace) {
  if (path.empty() || path == "-") throw UsageError(option + ": a directory to write is needed, not stdout");
  fs::path p = fs::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "out/" is "out"
  path_ = p.string();
  const std::string shown = option + " " + path;
  std::error_code ec;
  if (fs::exists(p, ec)) {
    if (!fs::is_directory(p, ec)) throw UsageError(shown + ": exists and is not a directory");
    if (!fs::is_empty(p, ec)) {
      if (!replace) throw UsageError(shown + ": exists and is not empty (--force replaces it)");
      for (const std::string& in : inputs)
        if (!in.empty() && in != "-" && is_within(in, p))
          throw UsageError(shown + ": holds the input " + in + "; --force would delete it");
      if (is_within(fs::current_path(), p))
        throw UsageError(shown + ": holds the current directory; --force would delete it");
    }
  }
  const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) throw UsageError(shown + ": no such folder " + parent.string());
  std::string tmpl = (parent / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  if (!mkdtemp(tmpl.data()))
    throw Error(path_, std::string("cannot create a temp directory beside it: ") + std::strerror(errno));
  temp_ = tmpl;
  remove_on_signal(temp_);
}

OutputDir::~OutputDir() {
  if (!done_ && !temp_.empty()) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
  forget();
}

void OutputDir::forget() {
  for (const std::string& f : files_) keep_on_signal(f);
  if (!temp_.empty()) keep_on_signal(temp_);
  files_.clear();
}

std::string OutputDir::temp_path(const std::string& name) const { return (fs::path(temp_) / name).string(); }

void OutputDir::write(const std::string& name, const std::vector<uint8_t>& bytes) {
  // Each file whole inside the temp directory; the directory is what commits with the run.
  // Registered before it exists, so a signal at any moment leaves no file
  // in the temp directory and the directory can go too.
  if (std::find(files_.begin(), files_.end(), temp_path(name)) == files_.end()) {
    remove_on_signal(temp_path(name));
    files_.push_back(temp_path(name));
  }
  try {
    write_file_atomic(temp_path(name), bytes, Commit::now);
  } catch (const Error& e) {
    throw Error(path_, name + ": " + e.what());
  }
}

void OutputDir::write(const std::string& name, const std::string& text) {
  write(name, std::vector<uint8_t>(text.begin(), text.end()));
}

void OutputDir::commit() {
  if (!dist::is_root()) return;  // another rank than 0: its copy is removed with the temp directory
  std::error_code ec;
  const fs::path p(path_);
  if (fs::exists(p, ec) && !fs::is_empty(p, ec)) {
    if (!replace_) throw Error(path_, "appeared while it was being written; not replaced");
    std::string old = (p.parent_path().empty() ? fs::path(".") : p.parent_path()).string() + "/." +
                      p.filename().string() + ".old-XXXXXX";
    if (!mkdtemp(old.data())) throw Error(path_, std::string("cannot replace: ") + std::strerror(errno));
    if (std::rename(path_.c_str(), old.c_str()) != 0) {
      fs::remove(old, ec);
      throw Error(path_, std::string("cannot replace: ") + std::strerror(errno));
    }
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
      const int err = errno;
      std::rename(old.c_str(), path_.c_str());
      throw Error(path_, std::string("cannot replace: ") + std::strerror(err));
    }
    fs::remove_all(old, ec);
  } else if (std::rename(temp_.c_str(), path_.c_str()) != 0) {  // a new path, or an empty directory
    throw Error(path_, std::string("cannot write: ") + std::strerror(errno));
  }
  done_ = true;
  forget();
}

}  // namespace sslkit::io
