#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "data/log_mel.hpp"

using namespace sslkit;
using namespace sslkit::data;

namespace {

std::vector<float> sine(double hz, int n, int rate = 16000, double amp = 0.5) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(amp * std::sin(2 * M_PI * hz * i / rate));
  return x;
}

}  // namespace

TEST_CASE("log-mel: frame count") {
  MelParams p;
  std::vector<float> x(16000, 0.f);
  int frames = -1;
  CHECK(log_mel(x.data(), 16000, p, &frames).size() == 98u * 40);
  CHECK(frames == 98);  // 1 + (16000 - 400) / 160
  CHECK(log_mel(x.data(), 400, p, &frames).size() == 40u);
  CHECK(frames == 1);
  CHECK(log_mel(x.data(), 559, p, &frames).size() == 40u);
  CHECK(frames == 1);
  CHECK(log_mel(x.data(), 560, p, &frames).size() == 80u);
  CHECK(frames == 2);
  CHECK(log_mel(x.data(), 399, p, &frames).empty());
  CHECK(frames == 0);
}

TEST_CASE("log-mel: a 1 kHz sine peaks in the band centred nearest 1 kHz") {
  MelParams p;
  auto x = sine(1000, 4000);
  int frames = 0;
  auto s = log_mel(x.data(), 4000, p, &frames);
  REQUIRE(frames > 0);
  // Band m is centred on the (m + 1)-th of n_mels + 2 points evenly spaced in mel.
  int nearest = 0;
  double best = 1e9;
  const double top = hz_to_mel(8000);
  for (int m = 0; m < p.n_mels; ++m) {
    double centre = mel_to_hz(top * (m + 1) / (p.n_mels + 1));
    if (std::fabs(centre - 1000) < best) best = std::fabs(centre - 1000), nearest = m;
  }
  for (int f = 0; f < frames; ++f) {
    const float* row = s.data() + static_cast<size_t>(f) * p.n_mels;
    CHECK(std::max_element(row, row + p.n_mels) - row == nearest);
  }
}

TEST_CASE("log-mel: silence is log of the floor") {
  MelParams p;
  std::vector<float> x(2000, 0.f);
  int frames = 0;
  for (float v : log_mel(x.data(), 2000, p, &frames)) CHECK(v == doctest::Approx(std::log(1e-6)).epsilon(1e-6));
  auto st = log_mel_stats(x.data(), 2000, p);
  REQUIRE(st.size() == 80u);
  CHECK(st[0] == doctest::Approx(std::log(1e-6)));
  CHECK(st[40] == doctest::Approx(0.0));
}

TEST_CASE("log-mel: values match torchaudio's MelSpectrogram") {
  // torchaudio 2.11: MelSpectrogram(sample_rate=16000, n_fft=400,
  // hop_length=160, n_mels=40, center=False, power=2, norm=None,
  // mel_scale="htk") in double on the float32 signal below, then
  // log(x + 1e-6); frames 0 and 3 of 4.
  const int n = 1000;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * 440 * i / 16000) +
                              0.3 * std::sin(2 * M_PI * 3000 * i / 16000 + 1.0) +
                              0.05 * (((i * 7919) % 101) / 50.0 - 1.0));
  const float frame0[40] = {-13.60191, -6.36014, -4.45783, -4.86381, -6.09158, -4.35335, 6.36103,  7.97942,
                            5.77044,   -4.08754, -4.34527, -4.51578, -3.78289, -2.01902, -3.48244, -3.93218,
                            -4.14605,  -2.78684, -2.92507, -3.72168, -3.38919, -2.37450, -3.04820, -2.69396,
                            -1.24139,  3.07365,  7.18165,  5.02979,  0.44126,  -1.42006, -1.45262, -2.44003,
                            -2.29537,  -2.17329, -1.92650, -1.03256, 0.81238,  2.64743,  -0.75444, -1.65635};
  const float frame3[40] = {-13.61181, -6.36006, -4.45839, -4.86077, -6.07036, -4.36793, 6.36121,  7.97965,
                            5.77113,   -4.07126, -4.34749, -4.52660, -3.77929, -2.01867, -3.48446, -3.92997,
                            -4.14868,  -2.78732, -2.92382, -3.72337, -3.38705, -2.37580, -3.04623, -2.69440,
                            -1.24163,  3.00871,  7.08621,  4.91847,  0.44128,  -1.42014, -1.45277, -2.43980,
                            -2.29521,  -2.17385, -1.92615, -1.03284, 0.81244,  2.64743,  -0.75457, -1.65639};
  MelParams p;
  int frames = 0;
  auto s = log_mel(x.data(), n, p, &frames);
  REQUIRE(frames == 4);
  for (int m = 0; m < 40; ++m) {
    CHECK(s[m] == doctest::Approx(frame0[m]).epsilon(2e-4));
    CHECK(s[3 * 40 + m] == doctest::Approx(frame3[m]).epsilon(2e-4));
  }
}

TEST_CASE("log-mel: stats are the per-band mean then std over frames") {
  MelParams p;
  auto x = sine(440, 3000);
  for (int i = 1500; i < 3000; ++i) x[i] *= 0.1f;  // louder first half: a non-zero std
  int frames = 0;
  auto s = log_mel(x.data(), 3000, p, &frames);
  auto st = log_mel_stats(x.data(), 3000, p);
  REQUIRE(st.size() == 80u);
  for (int m : {0, 5, 39}) {
    double mean = 0, sq = 0;
    for (int f = 0; f < frames; ++f) mean += s[f * 40 + m];
    mean /= frames;
    for (int f = 0; f < frames; ++f) sq += (s[f * 40 + m] - mean) * (s[f * 40 + m] - mean);
    CHECK(st[m] == doctest::Approx(mean).epsilon(1e-5));
    CHECK(st[40 + m] == doctest::Approx(std::sqrt(sq / frames)).epsilon(1e-4));
  }
  CHECK(st[40 + 5] > 0.5f);
  // Shorter than one window: zero-padded to one frame, so the std is zero.
  auto short_st = log_mel_stats(x.data(), 100, p);
  CHECK(short_st[40] == 0.f);
}

TEST_CASE("log-mel: impossible parameters are usage errors") {
  std::vector<float> x(1000, 0.f);
  MelParams p;
  p.f_max = 9000;
  CHECK_THROWS_AS(log_mel(x.data(), 1000, p, nullptr), UsageError);
  p = MelParams{};
  p.hop = 0;
  CHECK_THROWS_AS(log_mel(x.data(), 1000, p, nullptr), UsageError);
  p = MelParams{};
  p.n_mels = 0;
  CHECK_THROWS_AS(log_mel_stats(x.data(), 1000, p), UsageError);
}
