// Previews of a data file's first samples: an image grid as PNG, waveforms
// as PNG, or decoded text.
#pragma once
#include <string>
#include <vector>

#include "io/data_file.hpp"

namespace sslkit::info {

// Writes a PNG for image and audio files (`png_path`); for text files
// returns the first `count` samples decoded instead (the path is unused).
std::vector<std::string> write_preview(const io::DataReader& r, const std::string& png_path, int count);

}  // namespace sslkit::info
