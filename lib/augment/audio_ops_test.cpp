#include <doctest/doctest.h>

#include <cmath>

#include "augment/audio_ops.hpp"
#include "core/error.hpp"

using namespace sslkit;
using namespace sslkit::augment;

TEST_CASE("audio augment: gain in dB scales amplitude exactly") {
  std::vector<float> w{0.5f, -0.25f};
  apply_gain_db(w, 20 * std::log10(2.0));
  CHECK(w[0] == doctest::Approx(1.0));
  CHECK(w[1] == doctest::Approx(-0.5));
}

TEST_CASE("audio augment: noise at an SNR has the right power and leaves padding silent") {
  const int n = 20000;
  std::vector<float> w(n + 100, 0.f);
  for (int i = 0; i < n; ++i) w[i] = std::sin(0.01f * i);
  std::vector<float> orig = w;
  Rng rng(3);
  add_noise_snr(w, n, 10.0, rng);
  double ps = 0, pn = 0;
  for (int i = 0; i < n; ++i) {
    ps += orig[i] * orig[i];
    pn += (w[i] - orig[i]) * (w[i] - orig[i]);
  }
  CHECK(10 * std::log10(ps / pn) == doctest::Approx(10.0).epsilon(0.03));
  for (int i = n; i < n + 100; ++i) CHECK(w[i] == 0.f);
}

TEST_CASE("audio augment: shift - mask and crop") {
  std::vector<float> w{1, 2, 3, 4, 5};
  time_shift(w, 2);
  CHECK(w == std::vector<float>{0, 0, 1, 2, 3});
  Rng rng(4);
  std::vector<float> x(1000, 1.f);
  time_mask(x, 1000, 0.1, 2, rng);
  int zeros = 0;
  for (float v : x) zeros += v == 0.f;
  CHECK(zeros <= 200);
  int start = -1;
  std::vector<float> y(100);
  for (int i = 0; i < 100; ++i) y[i] = static_cast<float>(i);
  auto c = random_crop(y, 100, 10, rng, &start);
  CHECK(c.size() == 10);
  CHECK(c[0] == static_cast<float>(start));
  CHECK(c[9] == static_cast<float>(start + 9));
}

TEST_CASE("audio augment: the named recipe parses and bad ops are errors") {
  auto r = make_audio_recipe("audio");
  CHECK(r.views[0].size() == 4);
  CHECK_THROWS_WITH_AS(make_audio_recipe("reverb(1)"), doctest::Contains("unknown op 'reverb'"), UsageError);
  std::vector<float> w(1600, 0.1f);
  Rng a(1, 2, 3), b(1, 2, 3);
  CHECK(make_audio_view(r, w, 1600, 0, 800, a) == make_audio_view(r, w, 1600, 0, 800, b));
}
