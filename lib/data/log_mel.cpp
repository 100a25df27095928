#include "data/log_mel.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <string>

#include "core/error.hpp"

namespace sslkit::data {

namespace {

double top_frequency(const MelParams& p) { return p.f_max > 0 ? p.f_max : p.sample_rate / 2.0; }

void check(const MelParams& p) {
  if (p.sample_rate <= 0) throw UsageError("log-mel: sample rate must be positive");
  if (p.n_fft < 2 || p.hop < 1) throw UsageError("log-mel: n_fft must be at least 2 and hop at least 1");
  if (p.n_mels < 1) throw UsageError("log-mel: n_mels must be at least 1");
  const double top = top_frequency(p);
  if (p.f_min < 0 || p.f_min >= top || top > p.sample_rate / 2.0)
    throw UsageError("log-mel: need 0 <= f_min < f_max <= sample_rate / 2, got " + std::to_string(p.f_min) + " and " +
                     std::to_string(top));
}

}  // namespace

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

MelParams mel_params_for_rate(int sample_rate, int n_mels) {
  MelParams p;
  p.sample_rate = sample_rate;
  p.n_fft = std::max(2, static_cast<int>(std::lround(0.025 * sample_rate)));
  p.hop = std::max(1, static_cast<int>(std::lround(0.010 * sample_rate)));
  p.n_mels = n_mels;
  return p;
}

std::vector<float> mel_filterbank(const MelParams& p) {
  check(p);
  const int bins = p.n_fft / 2 + 1;
  // n_mels + 2 points evenly spaced in mel; triangle m rises from point m to
  // m + 1 and falls to m + 2, peaking at 1 (no area normalisation).
  const double m_lo = hz_to_mel(p.f_min), m_hi = hz_to_mel(top_frequency(p));
  std::vector<double> f_pts(p.n_mels + 2);
  for (int i = 0; i < p.n_mels + 2; ++i) f_pts[i] = mel_to_hz(m_lo + (m_hi - m_lo) * i / (p.n_mels + 1));
  std::vector<float> fb(static_cast<size_t>(bins) * p.n_mels, 0.f);
  for (int k = 0; k < bins; ++k) {
    // The bin's own frequency. torchaudio spaces the bins over [0, sr // 2]
    // instead, which is the same for every even n_fft.
    const double f = static_cast<double>(k) * p.sample_rate / p.n_fft;
    for (int m = 0; m < p.n_mels; ++m) {
      const double down = (f - f_pts[m]) / (f_pts[m + 1] - f_pts[m]);
      const double up = (f_pts[m + 2] - f) / (f_pts[m + 2] - f_pts[m + 1]);
      fb[static_cast<size_t>(k) * p.n_mels + m] = static_cast<float>(std::max(0.0, std::min(down, up)));
    }
  }
  return fb;
}

std::vector<float> log_mel(const float* samples, int length, const MelParams& p, int* frames) {
  check(p);
  const int n = length >= p.n_fft ? 1 + (length - p.n_fft) / p.hop : 0;
  if (frames) *frames = n;
  if (n == 0) return {};
  const int bins = p.n_fft / 2 + 1;
  // Every windowed frame is one row; one cv::dft call transforms them all.
  // Double precision: log(power + 1e-6) of a quiet band is sensitive to the
  // rounding of a float FFT.
  cv::Mat windowed(n, p.n_fft, CV_64F);
  std::vector<double> window(p.n_fft);
  for (int i = 0; i < p.n_fft; ++i) window[i] = 0.5 - 0.5 * std::cos(2 * M_PI * i / p.n_fft);  // periodic Hann
  for (int f = 0; f < n; ++f) {
    double* row = windowed.ptr<double>(f);
    const float* x = samples + static_cast<size_t>(f) * p.hop;
    for (int i = 0; i < p.n_fft; ++i) row[i] = window[i] * x[i];
  }
  cv::Mat spectrum;
  cv::dft(windowed, spectrum, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT);
  const std::vector<float> fb = mel_filterbank(p);
  std::vector<float> out(static_cast<size_t>(n) * p.n_mels);
  std::vector<double> power(bins), mel(p.n_mels);
  for (int f = 0; f < n; ++f) {
    const cv::Vec2d* z = spectrum.ptr<cv::Vec2d>(f);
    for (int k = 0; k < bins; ++k) power[k] = z[k][0] * z[k][0] + z[k][1] * z[k][1];
    std::fill(mel.begin(), mel.end(), 0.0);
    for (int k = 0; k < bins; ++k) {
      const float* w = fb.data() + static_cast<size_t>(k) * p.n_mels;
      for (int m = 0; m < p.n_mels; ++m) mel[m] += power[k] * w[m];
    }
    for (int m = 0; m < p.n_mels; ++m)
      out[static_cast<size_t>(f) * p.n_mels + m] = static_cast<float>(std::log(mel[m] + kLogMelFloor));
  }
  return out;
}

std::vector<float> log_mel_stats(const float* samples, int length, const MelParams& p) {
  int n = 0;
  std::vector<float> spec;
  if (length >= p.n_fft) {
    spec = log_mel(samples, length, p, &n);
  } else {
    std::vector<float> padded(p.n_fft, 0.f);
    std::copy(samples, samples + std::max(0, length), padded.begin());
    spec = log_mel(padded.data(), p.n_fft, p, &n);
  }
  std::vector<float> stats(2 * static_cast<size_t>(p.n_mels));
  for (int m = 0; m < p.n_mels; ++m) {
    double sum = 0, sq = 0;
    for (int f = 0; f < n; ++f) sum += spec[static_cast<size_t>(f) * p.n_mels + m];
    const double mean = sum / n;
    for (int f = 0; f < n; ++f) {
      const double d = spec[static_cast<size_t>(f) * p.n_mels + m] - mean;
      sq += d * d;
    }
    stats[m] = static_cast<float>(mean);
    stats[p.n_mels + m] = static_cast<float>(std::sqrt(sq / n));  // population std
  }
  return stats;
}

}  // namespace sslkit::data
