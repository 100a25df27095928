#include <doctest/doctest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.hpp"
#include "data/audio_source.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"

using namespace sslkit;
using namespace sslkit::data;
using sslkit::testing::ScratchDir;

static const std::string kData = SSLKIT_DATA_DIR;

// Writes interleaved float frames as a WAV. Float samples round-trip
// exactly, so the tests can compare values with ==.
static void write_wav(const std::string& path, int rate, int channels, const std::vector<float>& interleaved,
                      int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* sf = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(sf != nullptr);
  sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / channels);
  REQUIRE(sf_writef_float(sf, interleaved.data(), frames) == frames);
  sf_close(sf);
}

static std::vector<float> sine(double freq, int rate, size_t n, double amp = 0.5) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(amp * std::sin(2 * M_PI * freq * i / rate));
  return v;
}

static size_t zero_crossings(const float* x, size_t n) {
  size_t c = 0;
  for (size_t i = 1; i < n; ++i)
    if ((x[i - 1] < 0) != (x[i] < 0)) ++c;
  return c;
}

static std::vector<float> row(const io::DataReader& r, size_t i) {
  std::vector<float> v(r.info("/audio").shape[1]);
  r.read<float>("/audio", i, 1, v.data());
  return v;
}

static void write_garbage(const std::string& path) {
  std::ofstream(path) << "this is not a wave file, only text pretending to be one\n";
}

TEST_CASE("audio: a stereo file downmixes to the mean of its channels") {
  ScratchDir dir;
  const size_t n = 1000;
  auto left = sine(300, 16000, n);
  std::vector<float> inter(2 * n);
  for (size_t i = 0; i < n; ++i) {
    inter[2 * i] = left[i];
    inter[2 * i + 1] = 0.25f;
  }
  write_wav(dir / "in/a.wav", 16000, 2, inter);
  AudioImportOptions ao;
  ao.input = dir / "in";
  AudioSource src(ao);
  CHECK(src.length() == n);
  ImportOptions o;
  o.output = dir / "out.h5";
  run_import(src, o);
  io::DataReader r(o.output);
  CHECK(r.modality() == io::Modality::audio);
  auto y = row(r, 0);
  REQUIRE(y.size() == n);
  // Same rate: no resampling, so the mean is exact.
  for (size_t i = 0; i < n; ++i) CHECK(y[i] == (left[i] + 0.25f) / 2);
  CHECK(r.read_all<int32_t>("/lengths") == std::vector<int32_t>{static_cast<int32_t>(n)});
  CHECK(io::attr_int(r.dataset("/audio"), "sample_rate") == 16000);
  CHECK(io::attr_double(r.dataset("/audio"), "seconds") == doctest::Approx(n / 16000.0));
}

TEST_CASE("audio: an 8 kHz sine resampled to 16 kHz keeps its frequency and doubles its length") {
  ScratchDir dir;
  write_wav(dir / "in/s.wav", 8000, 1, sine(440, 8000, 8000));
  AudioImportOptions ao;
  ao.input = dir / "in";
  ao.sample_rate = 16000;
  AudioSource src(ao);
  CHECK(src.length() == 16000);
  ImportOptions o;
  o.output = dir / "out.h5";
  run_import(src, o);
  io::DataReader r(o.output);
  auto lengths = r.read_all<int32_t>("/lengths");
  REQUIRE(lengths.size() == 1);
  CHECK(lengths[0] == 16000);
  auto y = row(r, 0);
  // 440 Hz over one second crosses zero 880 times; the filter's edges may
  // add or lose one at either end.
  size_t zc = zero_crossings(y.data(), y.size());
  CHECK(zc >= 877);
  CHECK(zc <= 882);
  // The amplitude survives (away from the edges).
  float peak = 0;
  for (size_t i = 1000; i < 15000; ++i) peak = std::max(peak, std::abs(y[i]));
  CHECK(peak == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("audio: short clips are zero-padded and long ones cut - /lengths counts real samples") {
  ScratchDir dir;
  auto a = sine(200, 16000, 4000);  // 0.25 s
  auto b = sine(500, 16000, 12000);  // 0.75 s
  write_wav(dir / "in/x/a.wav", 16000, 1, a);
  write_wav(dir / "in/y/b.wav", 16000, 1, b);
  AudioImportOptions ao;
  ao.input = dir / "in";
  ao.seconds = 0.5;
  AudioSource src(ao);
  CHECK(src.length() == 8000);
  CHECK(src.class_names() == std::vector<std::string>{"x", "y"});
  ImportOptions o;
  o.output = dir / "out.h5";
  run_import(src, o);
  io::DataReader r(o.output);
  CHECK(r.info("/audio").shape == std::vector<hsize_t>{2, 8000});
  CHECK(r.read_all<int32_t>("/lengths") == std::vector<int32_t>{4000, 8000});
  CHECK(r.labels() == std::vector<int32_t>{0, 1});
  auto ya = row(r, 0), yb = row(r, 1);
  for (size_t i = 0; i < 4000; ++i) REQUIRE(ya[i] == a[i]);
  for (size_t i = 4000; i < 8000; ++i) REQUIRE(ya[i] == 0.0f);
  for (size_t i = 0; i < 8000; ++i) REQUIRE(yb[i] == b[i]);
  CHECK(io::attr_double(r.dataset("/audio"), "seconds") == 0.5);

  SUBCASE("without --seconds the longest clip sets the length") {
    AudioImportOptions all = ao;
    all.seconds = 0;
    AudioSource s2(all);
    CHECK(s2.length() == 12000);
  }
  SUBCASE("the longest clip is measured after resampling") {
    AudioImportOptions all = ao;
    all.seconds = 0;
    all.sample_rate = 8000;
    AudioSource s2(all);
    CHECK(s2.length() == 6000);
  }
}

TEST_CASE("audio: the sample folder imports with labels - mixed rates and a stereo FLAC") {
  ScratchDir dir;
  AudioImportOptions ao;
  ao.input = kData + "/audio";
  ImportOptions o;
  o.output = dir / "out.h5";
  o.compress = true;
  AudioSource src(ao);
  CHECK(src.size() == 6);
  CHECK(src.class_names() == std::vector<std::string>{"one", "three", "two"});
  CHECK(run_import(src, o) == std::vector<size_t>{6});
  io::DataReader r(o.output);
  CHECK(r.info("/audio").filters.find("deflate") != std::string::npos);
  auto lengths = r.read_all<int32_t>("/lengths");
  auto t = static_cast<int32_t>(src.length());
  for (size_t i = 0; i < lengths.size(); ++i) {
    CHECK(lengths[i] > 0);
    CHECK(lengths[i] <= t);
    auto y = row(r, i);
    for (size_t k = lengths[i]; k < y.size(); ++k) REQUIRE(y[k] == 0.0f);
  }
  CHECK(*std::max_element(lengths.begin(), lengths.end()) == t);
}

TEST_CASE("audio: a file libsndfile rejects is an error naming it - or skipped with skip_bad") {
  ScratchDir dir;
  write_wav(dir / "in/a.wav", 16000, 1, sine(300, 16000, 1600));
  write_garbage(dir / "in/b.wav");
  write_wav(dir / "in/c.wav", 16000, 1, sine(300, 16000, 800));
  AudioImportOptions ao;
  ao.input = dir / "in";
  ImportOptions o;
  o.output = dir / "out.h5";

  SUBCASE("found in the header pass") {
    CHECK_THROWS_WITH_AS(AudioSource{ao}, doctest::Contains(((dir / "in/b.wav") + ": ").c_str()), Error);
  }
  SUBCASE("found while decoding (--seconds skips the header pass)") {
    ao.seconds = 0.2;
    AudioSource src(ao);
    CHECK_THROWS_WITH_AS(run_import(src, o), doctest::Contains(((dir / "in/b.wav") + ": ").c_str()), Error);
    CHECK_FALSE(std::filesystem::exists(o.output));
  }
  SUBCASE("skip_bad, header pass") {
    ao.skip_bad = true;
    AudioSource src(ao);
    CHECK(src.length() == 1600);
    CHECK(run_import(src, o) == std::vector<size_t>{2});
    CHECK(src.skipped() == 1);
    io::DataReader r(o.output);
    CHECK(r.ids() == std::vector<int64_t>{0, 2});
    CHECK(r.read_all<int32_t>("/lengths") == std::vector<int32_t>{1600, 800});
  }
  SUBCASE("skip_bad, while decoding") {
    ao.skip_bad = true;
    ao.seconds = 0.2;
    AudioSource src(ao);
    CHECK(run_import(src, o) == std::vector<size_t>{2});
    CHECK(src.skipped() == 1);
    io::DataReader r(o.output);
    CHECK(r.ids() == std::vector<int64_t>{0, 2});
  }
}

TEST_CASE("audio: bad input folders and options") {
  ScratchDir dir;
  AudioImportOptions ao;
  ao.input = dir / "missing";
  CHECK_THROWS_AS(AudioSource{ao}, Error);
  std::filesystem::create_directories(dir / "empty");
  ao.input = dir / "empty";
  CHECK_THROWS_WITH_AS(AudioSource{ao}, doctest::Contains("no audio files found"), Error);
  ao.input = kData + "/audio";
  ao.seconds = -1;
  CHECK_THROWS_AS(AudioSource{ao}, UsageError);
  ao.seconds = 1e-9;
  CHECK_THROWS_AS(AudioSource{ao}, UsageError);
  ao.seconds = 0;
  ao.sample_rate = 0;
  CHECK_THROWS_AS(AudioSource{ao}, UsageError);
}

// A 16-bit mono WAV whose header claims `rate` (any 32-bit value), with `n` samples.
static void write_raw_wav(const std::string& path, uint32_t rate, uint32_t n) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  f.write("RIFF", 4);
  u32(36 + 2 * n);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  f.write("data", 4);
  u32(2 * n);
  for (uint32_t i = 0; i < n; ++i) u16(static_cast<uint16_t>(i * 37));
}

TEST_CASE("audio: NaN and infinite or absurd samples are refused with their position") {
  ScratchDir dir;
  std::vector<float> x = sine(440, 16000, 8000);
  x[100] = std::numeric_limits<float>::quiet_NaN();
  write_wav(dir / "nan.wav", 16000, 1, x);
  CHECK_THROWS_WITH_AS(decode_audio(dir / "nan.wav"), doctest::Contains("nan.wav: sample 100 (at 0.00625 s) is NaN"),
                       Error);
  x[100] = 0;
  x[200] = -std::numeric_limits<float>::infinity();
  write_wav(dir / "inf.wav", 16000, 1, x);
  CHECK_THROWS_WITH_AS(decode_audio(dir / "inf.wav"), doctest::Contains("sample 200 (at 0.0125 s) is -inf"), Error);
  x[200] = 1e30f;
  write_wav(dir / "loud.wav", 16000, 1, x);
  CHECK_THROWS_WITH_AS(decode_audio(dir / "loud.wav"), doctest::Contains("past the amplitude bound 65536"), Error);
  // Stereo: the frame and the channel.
  std::vector<float> st(200, 0.1f);
  st[2 * 30 + 1] = std::numeric_limits<float>::quiet_NaN();
  write_wav(dir / "st.wav", 16000, 2, st);
  CHECK_THROWS_WITH_AS(decode_audio(dir / "st.wav"), doctest::Contains("sample 30 (at 0.001875 s, channel 2) is NaN"),
                       Error);
  // Past the cut nothing is read, so nothing is refused.
  x[200] = 0;
  x[7000] = std::numeric_limits<float>::quiet_NaN();
  write_wav(dir / "late.wav", 16000, 1, x);
  CHECK(decode_audio(dir / "late.wav", 0.1).samples.size() == 1600);
  // int16-scaled float audio (up to 32768) is still sound.
  write_wav(dir / "i16.wav", 16000, 1, std::vector<float>(100, -32768.f));
  CHECK(decode_audio(dir / "i16.wav").samples[0] == -32768.f);
}

TEST_CASE("audio: a header's own sample rate must lie within 1000 to 768000 Hz") {
  ScratchDir dir;
  for (uint32_t rate : {0u, 1u, 999u, 768001u, 4000000000u}) {
    CAPTURE(rate);
    write_raw_wav(dir / "r.wav", rate, 100);
    const std::string want = "sample rate " + std::to_string(rate) + " Hz in its header is outside [1000, 768000] Hz";
    CHECK_THROWS_WITH_AS(decode_audio(dir / "r.wav"), doctest::Contains(want.c_str()), Error);
  }
  write_raw_wav(dir / "ok.wav", 1000, 100);
  CHECK(decode_audio(dir / "ok.wav").samples.size() == 100);
}
