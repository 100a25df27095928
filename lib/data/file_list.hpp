// Listing the files of a dataset folder: class subfolders (sorted names are
// the class names, in order) or a flat folder of unlabeled files, or a list
// file of "path [class]" lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::data {

struct FileList {
  std::vector<std::string> files;        // sorted within each class
  std::vector<int32_t> labels;           // -1 when unlabeled
  std::vector<std::string> class_names;  // empty when unlabeled
  size_t ignored = 0;                    // files without a wanted extension
};

// `extensions` are lower-case without the dot ("png"). A folder with
// subfolders is read as one class per subfolder (files directly in it are
// then an error); a folder with only files as unlabeled; a regular file as
// a list of paths (relative to the list's folder), each optionally followed
// by whitespace and a class name. Hidden files are skipped.
FileList list_dataset_files(const std::string& path, const std::vector<std::string>& extensions);

bool has_extension(const std::string& file, const std::vector<std::string>& extensions);

}  // namespace sslkit::data
