// A folder of audio files (anything libsndfile reads) as an import source:
// class subfolders as labels or a flat folder as unlabeled (see
// file_list.hpp). Each clip is downmixed to mono, resampled to one rate with
// soxr, and cut or zero-padded to one length; /lengths keeps how many
// samples of each row are real audio.
#pragma once
#include <string>
#include <vector>

#include "data/file_list.hpp"
#include "data/import.hpp"

namespace sslkit::data {

// The sample rates sslkit accepts, for --sample-rate and for a file's own
// header alike: under 1 kHz a clip resampled to 16 kHz grows 16-fold or
// more (a 1 Hz header 16,000-fold), over 768 kHz a header is corrupt.
constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 768000;
// Float audio holds [-1, 1] and some tools write int16-scaled floats (up to
// 32768); a sample past this bound is damage, not sound, and would overflow
// the power and the losses computed from it.
constexpr float kMaxAmplitude = 65536;

struct AudioImportOptions {
  std::string input;       // folder or list file
  int sample_rate = 16000;  // output rate in Hz
  double seconds = 0;       // clip length; 0 = the longest clip
  bool skip_bad = false;    // skip unreadable files (bad header, NaN, Inf, absurd amplitude) instead of failing
};

// The file extensions read as audio (what libsndfile 1.2 opens).
const std::vector<std::string>& audio_extensions();

// One decoded clip: mono float samples at the file's own rate.
struct DecodedClip {
  std::vector<float> samples;
  int sample_rate = 0;
  int64_t frames = 0;  // frames in the whole file (samples may hold fewer)
};

// Reads the first `max_seconds` (all when negative) of `path` as mono, the
// mean of its channels. Throws Error(path, why) when the file cannot be
// read, its header rate is outside [kMinSampleRate, kMaxSampleRate], or a
// sample it reads is NaN, infinite or over kMaxAmplitude (the position named).
DecodedClip decode_audio(const std::string& path, double max_seconds = -1);

// Resamples mono float audio with soxr (high quality); a copy when the
// rates agree.
std::vector<float> resample(const std::vector<float>& in, int in_rate, int out_rate);

class AudioSource : public ImportSource {
 public:
  explicit AudioSource(const AudioImportOptions& opts);
  io::Modality modality() const override { return io::Modality::audio; }
  std::string name() const override { return opts_.input; }
  size_t size() const override { return list_.files.size(); }
  const std::vector<int32_t>& labels() const override { return list_.labels; }
  std::vector<std::string> class_names() const override { return list_.class_names; }
  void prepare(io::DataWriter& out) override;
  std::vector<bool> write_batch(io::DataWriter& out, const std::vector<size_t>& indices) override;
  size_t skipped() const override { return skipped_; }

  // Samples per row (T) and the clip length it stands for.
  size_t length() const { return t_; }
  double seconds() const { return static_cast<double>(t_) / opts_.sample_rate; }
  const std::string& file(size_t i) const { return list_.files[i]; }

 private:
  // Decodes file i into `out` (T floats, zero-padded); returns the number
  // of valid samples.
  size_t load(size_t i, float* out) const;
  // T from the headers when --seconds is not given: the longest clip.
  size_t longest_clip();
  // Refuses a row length whose import would need more memory than is free.
  void check_memory() const;
  AudioImportOptions opts_;
  FileList list_;
  size_t t_ = 0;
  std::vector<bool> bad_;  // rejected in the header pass (only with skip_bad)
  size_t skipped_ = 0;
};

}  // namespace sslkit::data
