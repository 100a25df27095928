#include <doctest/doctest.h>

#include <cmath>
#include <limits>

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

TEST_CASE("audio augment: recipe numbers are finite and in range") {
  // Each of these wrote Inf or NaN into a file before the ranges were checked.
  CHECK_THROWS_WITH_AS(make_audio_recipe("gain(1000,1000,p=1)"), doctest::Contains("gain: lo_db 1000 must be in [-60, 60]"),
                       UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("noise(-1000,-1000,p=1)"),
                       doctest::Contains("noise: lo_snr -1000 must be in [-30, 120]"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("noise(nan,30,p=1)"), doctest::Contains("'nan' is not a finite number"),
                       UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("gain(inf,inf,p=1)"), doctest::Contains("'inf' is not a finite number"),
                       UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("gain(6,-6)"), doctest::Contains("need lo_db <= hi_db"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("gain(1x)"), doctest::Contains("'1x' is not a finite number"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("shift(2)"), doctest::Contains("max_fraction 2 must be in [0, 1]"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("tmask(0.1,2.5)"), doctest::Contains("count 2.5 must be a whole number"),
                       UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("noise(p=2)"), doctest::Contains("p must be in [0, 1]"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("crop(3)"), doctest::Contains("crop takes no numbers"), UsageError);
  CHECK_THROWS_WITH_AS(make_audio_recipe("simclr"), doctest::Contains("is an image recipe"), UsageError);
  // The bounds themselves are fine.
  CHECK(make_audio_recipe("gain(-60,60,p=1) noise(-30,120) shift(1) tmask(1,100) crop").views[0].size() == 5);
}

TEST_CASE("audio augment: an op that makes non-finite samples is named") {
  // 14 gains of +60 dB: 0.5 x 10^42 overflows a float.
  std::string many;
  for (int i = 0; i < 14; ++i) many += "gain(60,60,p=1) ";
  const Recipe r = make_audio_recipe(many);
  std::vector<float> w(100, 0.5f);
  Rng rng(1);
  CHECK_THROWS_WITH_AS(make_audio_view(r, w, 100, 0, 100, rng), doctest::Contains("gain(60,60,p=1) made non-finite"),
                       Error);
  // A clip that is not finite to begin with is blamed, not the op.
  w[7] = std::numeric_limits<float>::quiet_NaN();
  const Recipe noise = make_audio_recipe("noise(0,30,p=1)");
  CHECK_THROWS_WITH_AS(make_audio_view(noise, w, 100, 0, 100, rng),
                       doctest::Contains("the clip itself holds non-finite samples (sample 7 is NaN)"), Error);
}
