#include "data/file_list.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace sslkit::data {

bool has_extension(const std::string& file, const std::vector<std::string>& extensions) {
  std::string ext = fs::path(file).extension().string();
  if (ext.empty()) return false;
  ext = ext.substr(1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

static bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

static FileList from_list_file(const std::string& path, const std::vector<std::string>& extensions) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot read list file");
  // A list file is text: a NUL byte in its first 4 KiB says it is something else.
  {
    char head[4096];
    in.read(head, sizeof head);
    if (std::find(head, head + in.gcount(), '\0') != head + in.gcount())
      throw Error(path, "is binary, not a list file of 'path [class]' lines (nor a supported file type here)");
    in.clear();
    in.seekg(0);
  }
  FileList out;
  fs::path base = fs::path(path).parent_path();
  std::map<std::string, int32_t> classes;
  std::vector<std::pair<std::string, std::string>> rows;
  std::string line;
  size_t lineno = 0;
  bool any_label = false, any_unlabeled = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string file, label;
    ls >> file >> label;
    if (!has_extension(file, extensions))
      throw Error(path, "line " + std::to_string(lineno) + ": '" + file + "' does not have a supported extension");
    (label.empty() ? any_unlabeled : any_label) = true;
    if (!label.empty()) classes[label] = 0;
    fs::path f(file);
    rows.emplace_back((f.is_absolute() || base.empty() ? f : base / f).string(), label);
  }
  if (any_label && any_unlabeled) throw Error(path, "some lines have a class name and some do not");
  int32_t k = 0;
  for (auto& [name, id] : classes) {
    id = k++;
    out.class_names.push_back(name);
  }
  for (auto& [file, label] : rows) {
    out.files.push_back(file);
    out.labels.push_back(label.empty() ? -1 : classes[label]);
  }
  return out;
}

FileList list_dataset_files(const std::string& path, const std::vector<std::string>& extensions) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw Error(path, "no such file or directory");
  // One file of a supported type is a dataset of one sample; any other
  // file is a list file.
  if (fs::is_regular_file(st) && has_extension(path, extensions)) {
    FileList one;
    one.files.push_back(path);
    one.labels.push_back(-1);
    return one;
  }
  if (fs::is_regular_file(st)) return from_list_file(path, extensions);
  if (!fs::is_directory(st)) throw Error(path, "not a folder or a list file");

  std::vector<fs::path> dirs, files;
  for (auto& e : fs::directory_iterator(path, ec)) {
    if (hidden(e.path())) continue;
    if (e.is_directory()) dirs.push_back(e.path());
    else if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec) throw Error(path, "cannot list folder: " + ec.message());
  FileList out;
  auto take = [&](std::vector<fs::path> v, int32_t label) {
    std::sort(v.begin(), v.end());
    for (auto& f : v) {
      if (has_extension(f.string(), extensions)) {
        out.files.push_back(f.string());
        out.labels.push_back(label);
      } else {
        ++out.ignored;
      }
    }
  };
  if (dirs.empty()) {
    take(files, -1);
    return out;
  }
  for (auto& f : files)
    if (has_extension(f.string(), extensions))
      throw Error(path, "mixes class subfolders with files (" + f.filename().string() +
                            "); put every file in a class folder, or use a list file");
  std::sort(dirs.begin(), dirs.end());
  for (size_t k = 0; k < dirs.size(); ++k) {
    out.class_names.push_back(dirs[k].filename().string());
    std::vector<fs::path> v;
    for (auto& e : fs::directory_iterator(dirs[k], ec))
      if (!hidden(e.path()) && e.is_regular_file()) v.push_back(e.path());
    take(v, static_cast<int32_t>(k));
  }
  return out;
}

}  // namespace sslkit::data
