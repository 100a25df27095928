#include "data/audio_source.hpp"

#include <filesystem>

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/threads.hpp"

namespace sslkit::data {

namespace {

// A file libsndfile rejects (bad header, unknown format, read error): the
// only failure --skip-bad may hide. Everything else stays fatal.
class BadAudio : public Error {
 public:
  using Error::Error;
};

// libsndfile reports why sf_open failed through one process-wide variable
// (sf_strerror(NULL)), so opening is serialised to keep each message with
// its file. Opening reads only the header; decoding runs in parallel.
std::mutex open_mutex;

struct SndFile {
  SNDFILE* sf = nullptr;
  SF_INFO info{};
  ~SndFile() {
    if (sf) sf_close(sf);
  }
};

std::string clean_message(std::string msg) {
  while (!msg.empty() && (msg.back() == '.' || msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg.empty() ? "cannot read audio" : msg;
}

// Headers past these are corrupt or hostile; docs/format.md lists the limits
// (the sample rates are in audio_source.hpp, shared with --sample-rate).
constexpr int kMaxChannels = 64;
constexpr double kMaxClipSeconds = 3600;

std::string rate_out_of_range(uint64_t rate) {
  return "sample rate " + std::to_string(rate) + " Hz in its header is outside [" + std::to_string(kMinSampleRate) +
         ", " + std::to_string(kMaxSampleRate) + "] Hz (a corrupt header?)";
}

// The sample rate a RIFF/RF64 WAV header declares, read by hand: libsndfile
// refuses a rate of 0 or past 2^31 with "SF_INFO struct incomplete", which
// says nothing a user can act on. Empty when the file is no WAV.
std::optional<uint64_t> wav_header_rate(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char head[12];
  if (!f.read(head, 12) || (std::memcmp(head, "RIFF", 4) && std::memcmp(head, "RF64", 4)) ||
      std::memcmp(head + 8, "WAVE", 4))
    return std::nullopt;
  auto u32 = [](const unsigned char* b) {
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
  };
  for (int chunk = 0; chunk < 64; ++chunk) {
    unsigned char h[8];
    if (!f.read(reinterpret_cast<char*>(h), 8)) return std::nullopt;
    const uint32_t size = u32(h + 4);
    if (std::memcmp(h, "fmt ", 4) == 0) {
      unsigned char fmt[8];  // format tag, channels, sample rate
      if (size < 8 || !f.read(reinterpret_cast<char*>(fmt), 8)) return std::nullopt;
      return u32(fmt + 4);
    }
    f.seekg(static_cast<std::streamoff>(size) + (size & 1), std::ios::cur);
  }
  return std::nullopt;
}

std::string format_seconds(double s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

// Refuses a sample that is NaN, infinite or past kMaxAmplitude, naming the
// frame (and its time) where it is; `frame0` is the frame of buf[0].
void check_samples(const std::string& path, const float* buf, size_t count, int channels, int64_t frame0, int rate) {
  for (size_t k = 0; k < count; ++k) {
    const float v = buf[k];
    if (std::isfinite(v) && std::abs(v) <= kMaxAmplitude) continue;
    const int64_t frame = frame0 + static_cast<int64_t>(k / channels);
    std::ostringstream what;
    what << "sample " << frame << " (at " << format_seconds(static_cast<double>(frame) / rate) << " s";
    if (channels > 1) what << ", channel " << k % channels + 1;
    what << ") is ";
    if (std::isnan(v)) what << "NaN";
    else if (std::isinf(v)) what << (v > 0 ? "+inf" : "-inf");
    else what << v << ", past the amplitude bound " << kMaxAmplitude << " (float audio holds [-1, 1])";
    throw BadAudio(path, what.str());
  }
}

void open_sndfile(const std::string& path, SndFile& f) {
  std::lock_guard<std::mutex> lock(open_mutex);
  f.info = SF_INFO{};
  f.sf = sf_open(path.c_str(), SFM_READ, &f.info);
  if (!f.sf) {
    const auto rate = wav_header_rate(path);
    if (rate && (*rate < kMinSampleRate || *rate > kMaxSampleRate)) throw BadAudio(path, rate_out_of_range(*rate));
    throw BadAudio(path, clean_message(sf_strerror(nullptr)));
  }
  if (f.info.samplerate < kMinSampleRate || f.info.samplerate > kMaxSampleRate)
    throw BadAudio(path, rate_out_of_range(static_cast<uint64_t>(std::max(0, f.info.samplerate))));
  if (f.info.channels <= 0)
    throw BadAudio(path, "invalid header: " + std::to_string(f.info.channels) + " channels");
  if (f.info.channels > kMaxChannels)
    throw BadAudio(path, std::to_string(f.info.channels) + " channels in its header; sslkit reads at most " +
                             std::to_string(kMaxChannels));
  // libsndfile clamps a data chunk longer than the file to what is there and
  // notes "data : CLAIMED (should be REAL)" in its log: a truncated file.
  {
    char log[8192] = {0};
    sf_command(f.sf, SFC_GET_LOG_INFO, log, sizeof log);
    const char* d = std::strstr(log, "\ndata : ");
    const char* eol = d ? std::strchr(d + 1, '\n') : nullptr;
    const char* should = d ? std::strstr(d, "(should be ") : nullptr;
    if (should && (!eol || should < eol)) {
      const std::string line(d + 8, eol ? eol : d + std::strlen(d));
      throw BadAudio(path, "header claims more data than the file holds (data " + line + "): truncated or corrupt");
    }
  }
}

// Samples at `out_rate` that `frames` at `in_rate` become.
int64_t resampled_length(int64_t frames, int in_rate, int out_rate) {
  if (in_rate == out_rate) return frames;
  return static_cast<int64_t>(std::llround(static_cast<double>(frames) * out_rate / in_rate));
}

constexpr int64_t kMaxLength = std::numeric_limits<int32_t>::max();  // /lengths is int32

// Bytes of memory the system can still give without swapping (MemAvailable),
// or 0 when unknown.
uint64_t available_memory() {
  std::ifstream f("/proc/meminfo");
  std::string key, unit;
  uint64_t kb = 0;
  while (f >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

}  // namespace

const std::vector<std::string>& audio_extensions() {
  // The container formats libsndfile 1.2 opens by content (mp3 through
  // mpg123, ogg/oga/opus through libvorbis and libopus). Headerless raw PCM
  // is left out: it cannot be read without being told its format.
  static const std::vector<std::string> ext = {
      "wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif", "aifc", "au",  "snd",  "caf",
      "w64", "rf64", "voc",  "sph", "nist", "paf", "iff", "svx", "8svx", "sd2", "sds", "avr", "wve", "htk", "mpc"};
  return ext;
}

DecodedClip decode_audio(const std::string& path, double max_seconds) {
  SndFile f;
  open_sndfile(path, f);
  DecodedClip clip;
  clip.sample_rate = f.info.samplerate;
  clip.frames = f.info.frames;
  const int ch = f.info.channels;
  int64_t want = std::numeric_limits<int64_t>::max();
  if (max_seconds >= 0 && max_seconds * f.info.samplerate < 9e18)
    want = static_cast<int64_t>(std::ceil(max_seconds * f.info.samplerate));
  if (f.info.frames >= 0 && f.info.frames < want) want = f.info.frames;
  if (want != std::numeric_limits<int64_t>::max()) clip.samples.reserve(static_cast<size_t>(want));
  // Read in blocks and downmix as we go, so a long clip that is then cut
  // never sits in memory interleaved.
  const sf_count_t block = 16384;
  std::vector<float> buf(static_cast<size_t>(block) * ch);
  int64_t done = 0;
  while (done < want) {
    sf_count_t n = static_cast<sf_count_t>(std::min<int64_t>(block, want - done));
    sf_count_t got = sf_readf_float(f.sf, buf.data(), n);
    if (got <= 0) break;
    check_samples(path, buf.data(), static_cast<size_t>(got) * ch, ch, done, f.info.samplerate);
    if (ch == 1) {
      clip.samples.insert(clip.samples.end(), buf.begin(), buf.begin() + got);
    } else {
      for (sf_count_t k = 0; k < got; ++k) {
        float sum = 0;
        for (int c = 0; c < ch; ++c) sum += buf[k * ch + c];
        clip.samples.push_back(sum / ch);
      }
    }
    done += got;
  }
  if (sf_error(f.sf) != SF_ERR_NO_ERROR) throw BadAudio(path, clean_message(sf_strerror(f.sf)));
  return clip;
}

std::vector<float> resample(const std::vector<float>& in, int in_rate, int out_rate) {
  if (in_rate == out_rate || in.empty()) return in;
  double ratio = static_cast<double>(out_rate) / in_rate;
  std::vector<float> out(static_cast<size_t>(std::ceil(in.size() * ratio)) + 16);
  size_t odone = 0;
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  // One thread inside soxr: the clips of a batch are already spread over cores.
  soxr_runtime_spec_t rt = soxr_runtime_spec(1);
  soxr_error_t err = soxr_oneshot(in_rate, out_rate, 1, in.data(), in.size(), nullptr, out.data(), out.size(),
                                  &odone, &io, &q, &rt);
  if (err) throw Error("", std::string("resampling ") + std::to_string(in_rate) + " Hz to " +
                               std::to_string(out_rate) + " Hz failed: " + err);
  out.resize(odone);
  return out;
}

AudioSource::AudioSource(const AudioImportOptions& opts) : opts_(opts) {
  if (opts_.sample_rate < kMinSampleRate || opts_.sample_rate > kMaxSampleRate)
    throw UsageError("--sample-rate must be in [" + std::to_string(kMinSampleRate) + ", " +
                     std::to_string(kMaxSampleRate) + "] Hz");
  if (!(opts_.seconds >= 0) || !std::isfinite(opts_.seconds)) throw UsageError("--seconds must be 0 or more");
  if (opts_.seconds > 0) {
    double t = std::round(opts_.seconds * opts_.sample_rate);
    if (t < 1) throw UsageError("--seconds " + std::to_string(opts_.seconds) + " is shorter than one sample");
    if (t > kMaxLength) throw UsageError("--seconds is too long for one row");
    t_ = static_cast<size_t>(t);
  }
  list_ = list_dataset_files(opts_.input, audio_extensions());
  if (list_.ignored > 0)
    warn("ignored " + std::to_string(list_.ignored) + " files in " + opts_.input + " that are not audio files");
  if (list_.files.empty()) throw Error(opts_.input, "no audio files found");
  bad_.assign(list_.files.size(), false);
  if (t_ == 0) t_ = longest_clip();
  check_memory();
}

size_t AudioSource::longest_clip() {
  // No --seconds: the longest clip sets T. Only headers are read here.
  int64_t longest = 0;
  size_t readable = 0;
  for (size_t i = 0; i < list_.files.size(); ++i) {
    const std::string& path = list_.files[i];
    SndFile f;
    try {
      open_sndfile(path, f);
    } catch (const BadAudio&) {
      if (!opts_.skip_bad) throw;
      bad_[i] = true;
      continue;
    }
    ++readable;
    if (f.info.frames < 0 || f.info.frames == SF_COUNT_MAX)
      throw Error(path, "clip length unknown from its header; pass --seconds");
    longest = std::max(longest, resampled_length(f.info.frames, f.info.samplerate, opts_.sample_rate));
  }
  if (readable == 0) throw Error(opts_.input, "no readable audio files");
  if (longest == 0) throw Error(opts_.input, "every audio file is empty");
  if (longest > kMaxLength || longest > kMaxClipSeconds * opts_.sample_rate)
    throw Error(opts_.input, "the longest clip is over " + std::to_string(static_cast<int>(kMaxClipSeconds)) +
                                 " s, too long for one row; pass --seconds to cut clips");
  return static_cast<size_t>(longest);
}

// Memory follows the row, not the input: a row of T samples is buffered for
// writing (a group of rows up to 256 MiB, or one), resampled in each thread
// that has one in flight (the decoded clip and its resampled copy), and
// HDF5 keeps up to four chunks of it cached. Refuse rows whose import would
// need more than the machine has free, rather than being killed halfway.
void AudioSource::check_memory() const {
  const uint64_t available = available_memory();
  if (available == 0) return;  // unknown: no /proc/meminfo
  const double row = static_cast<double>(t_) * sizeof(float);
  // write_batch gets at most 256 files at a time (run_import's batch).
  const double files = std::min<double>(256, static_cast<double>(list_.files.size()));
  const double group = std::min(files, std::max(1.0, std::floor(static_cast<double>(size_t(256) << 20) / row)));
  const double in_flight = std::min(group, static_cast<double>(thread_count()));
  const double need = row * (group + 2 * in_flight + 4);
  if (need <= static_cast<double>(available)) return;
  auto gb = [](double bytes) {
    std::ostringstream os;
    os.precision(3);
    os << bytes / 1e9 << " GB";
    return os.str();
  };
  throw Error(opts_.input, "rows of " + std::to_string(t_) + " samples (" + gb(row) + " each) need about " + gb(need) +
                               " of memory to import, more than the " + gb(static_cast<double>(available)) +
                               " available; pass a shorter --seconds or a lower --sample-rate");
}

void AudioSource::prepare(io::DataWriter& out) {
  out.create("/audio", io::DType::f32, {static_cast<hsize_t>(t_)});
  out.create("/lengths", io::DType::i32, {});
  io::set_attr_int(out.dataset("/audio"), "sample_rate", opts_.sample_rate);
  io::set_attr_double(out.dataset("/audio"), "seconds", seconds());
}

size_t AudioSource::load(size_t i, float* out) const {
  const std::string& path = list_.files[i];
  // Read only what the cut keeps, plus a margin (64 output samples and
  // 20 ms) so the resampler's filter sees real signal, not an edge, at the cut.
  double max_seconds = (static_cast<double>(t_) + 64) / opts_.sample_rate + 0.02;
  DecodedClip clip = decode_audio(path, max_seconds);
  std::vector<float> y;
  try {
    y = resample(clip.samples, clip.sample_rate, opts_.sample_rate);
  } catch (const Error& e) {
    throw Error(path, e.what());
  }
  size_t valid = std::min(y.size(), t_);
  // An empty clip's vector has no storage: memcpy from its null pointer is
  // undefined even for 0 bytes (UBSan, the CLI tests under make sanitize).
  if (valid > 0) std::memcpy(out, y.data(), valid * sizeof(float));
  std::fill(out + valid, out + t_, 0.0f);
  return valid;
}

std::vector<bool> AudioSource::write_batch(io::DataWriter& out, const std::vector<size_t>& indices) {
  const size_t n = indices.size();
  std::vector<bool> ok(n, true);
  // Long clips make long rows: decode in groups that keep the buffer near
  // 256 MiB at most, whatever T is.
  const size_t group = std::max<size_t>(1, (size_t(256) << 20) / (t_ * sizeof(float)));
  for (size_t g0 = 0; g0 < n; g0 += group) {
    const size_t m = std::min(group, n - g0);
    std::vector<float> buf(m * t_);
    std::vector<int32_t> lengths(m, 0);
    std::vector<std::exception_ptr> errors(m);
    std::vector<bool> bad(m, false);
#pragma omp parallel for schedule(dynamic)
    for (size_t j = 0; j < m; ++j) {
      size_t i = indices[g0 + j];
      if (bad_[i]) {
        bad[j] = true;
        continue;
      }
      try {
        lengths[j] = static_cast<int32_t>(load(i, buf.data() + j * t_));
      } catch (const BadAudio&) {
        if (opts_.skip_bad) bad[j] = true;
        else errors[j] = std::current_exception();
      } catch (...) {
        errors[j] = std::current_exception();
      }
    }
    // The first failure in listing order, so the message does not depend on
    // thread timing.
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    size_t kept = 0;
    for (size_t j = 0; j < m; ++j) {
      if (bad[j]) {
        ok[g0 + j] = false;
        ++skipped_;
        continue;
      }
      // An empty clip would be a row of padding whose pooled embedding is
      // not zero: leave it out, and say so, since the file itself is fine.
      if (lengths[j] == 0) {
        warn(list_.files[indices[g0 + j]] + ": no audio samples; skipped");
        ok[g0 + j] = false;
        continue;
      }
      if (kept != j) {
        std::memmove(buf.data() + kept * t_, buf.data() + j * t_, t_ * sizeof(float));
        lengths[kept] = lengths[j];
      }
      ++kept;
    }
    lengths.resize(kept);
    out.append("/audio", buf.data(), kept);
    out.append("/lengths", lengths);
  }
  return ok;
}

}  // namespace sslkit::data
