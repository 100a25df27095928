#include "info/preview.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "data/log_mel.hpp"
#include "data/tokenizer.hpp"
#include "io/files.hpp"
#include "io/picture.hpp"

namespace sslkit::info {

namespace {

// Tiles: one sample per row with its views across when the file has views,
// otherwise a square-ish grid. Small images are scaled up (nearest) so a
// 28x28 digit is visible.
void image_grid(const io::DataReader& r, const std::string& path, int count) {
  bool views = !r.has("/images");
  const std::string name = views ? "/views" : "/images";
  auto info = r.info(name);
  size_t n = std::min<size_t>(count, r.size());
  if (n == 0) throw Error(r.name(), "no samples to preview");
  int h = info.shape[views ? 2 : 1], w = info.shape[views ? 3 : 2], c = info.shape.back();
  int v = views ? info.shape[1] : 1;
  int scale = std::max(1, 64 / std::max(h, w));
  int th = h * scale, tw = w * scale, pad = 2;
  int cols = views ? v : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  int rows = views ? static_cast<int>(n) : static_cast<int>((n + cols - 1) / cols);
  cv::Mat canvas(rows * (th + pad) + pad, cols * (tw + pad) + pad, CV_8UC3, cv::Scalar(40, 40, 40));
  size_t per = static_cast<size_t>(v) * h * w * c;
  std::vector<uint8_t> buf(per);
  for (size_t i = 0; i < n; ++i) {
    r.read<uint8_t>(name, i, 1, buf.data());
    for (int k = 0; k < v; ++k) {
      cv::Mat img(h, w, c == 1 ? CV_8UC1 : CV_8UC3, buf.data() + static_cast<size_t>(k) * h * w * c);
      cv::Mat bgr, big;
      if (c == 1) cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR);
      else cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
      cv::resize(bgr, big, cv::Size(tw, th), 0, 0, cv::INTER_NEAREST);
      int row = views ? static_cast<int>(i) : static_cast<int>(i) / cols;
      int col = views ? k : static_cast<int>(i) % cols;
      big.copyTo(canvas(cv::Rect(pad + col * (tw + pad), pad + row * (th + pad), tw, th)));
    }
  }
  io::save_png(canvas, path);
}

// The clip's log-mel spectrogram as a BGR strip W x H, low frequencies at
// the bottom, each frame under the samples it covers so it lines up with the
// waveform above it. Shaded over the clip's top 80 dB (ln 10^8 = 18.4 in
// natural log) so quiet clips show as much as loud ones; padding is grey.
cv::Mat spectrogram_strip(const std::vector<float>& wave, int length, int rate, int W, int H) {
  const data::MelParams p = data::mel_params_for_rate(rate);
  int frames = 0;
  const std::vector<float> spec = data::log_mel(wave.data(), length, p, &frames);
  cv::Mat strip(H, W, CV_8UC3, cv::Scalar(190, 190, 190));
  if (frames == 0) return strip;
  const float top = *std::max_element(spec.begin(), spec.end()), range = 18.42f;
  cv::Mat shade(p.n_mels, frames, CV_8UC1);
  for (int f = 0; f < frames; ++f)
    for (int m = 0; m < p.n_mels; ++m) {
      const float v = (spec[static_cast<size_t>(f) * p.n_mels + m] - top + range) / range;
      shade.at<uint8_t>(p.n_mels - 1 - m, f) = cv::saturate_cast<uint8_t>(255.f * std::clamp(v, 0.f, 1.f));
    }
  cv::Mat color;
  cv::applyColorMap(shade, color, cv::COLORMAP_VIRIDIS);
  const size_t t = wave.size();
  for (int x = 0; x < W; ++x) {
    // The frame whose window is centred nearest this column's time (the
    // first and last frames reach to the clip's ends).
    const double sample = (x + 0.5) * t / W;
    if (sample >= length) continue;
    const int f = std::clamp(static_cast<int>(std::lround((sample - p.n_fft / 2.0) / p.hop)), 0, frames - 1);
    for (int y = 0; y < H; ++y) strip.at<cv::Vec3b>(y, x) = color.at<cv::Vec3b>(y * p.n_mels / H, f);
  }
  return strip;
}

// One panel per clip: the min/max envelope per pixel column, padding grey,
// and the log-mel spectrogram under it.
void waveforms(const io::DataReader& r, const std::string& path, int count) {
  size_t n = std::min<size_t>(std::min(count, 16), r.size());
  if (n == 0) throw Error(r.name(), "no samples to preview");
  auto info = r.info("/audio");
  size_t t = info.shape[1];
  const int rate = r.sample_rate();
  const int W = 800, H = 80, SH = 80, pad = 4;
  cv::Mat canvas(static_cast<int>(n) * (H + SH + pad) + pad, W + 2 * pad, CV_8UC3, cv::Scalar(255, 255, 255));
  std::vector<float> wave(t);
  auto labels = r.labels();
  auto names = r.class_names();
  for (size_t i = 0; i < n; ++i) {
    r.read<float>("/audio", i, 1, wave.data());
    int32_t len = static_cast<int32_t>(t);
    r.read<int32_t>("/lengths", i, 1, &len);
    len = std::clamp<int32_t>(len, 0, static_cast<int32_t>(t));
    int y0 = pad + static_cast<int>(i) * (H + SH + pad);
    cv::rectangle(canvas, cv::Rect(pad, y0, W, H), cv::Scalar(245, 245, 245), cv::FILLED);
    float peak = 1e-6f;
    for (size_t k = 0; k < t; ++k) peak = std::max(peak, std::fabs(wave[k]));
    for (int x = 0; x < W; ++x) {
      size_t a = t * x / W, b = std::max(a + 1, t * (x + 1) / W);
      float lo = 0, hi = 0;
      for (size_t k = a; k < b && k < t; ++k) {
        lo = std::min(lo, wave[k]);
        hi = std::max(hi, wave[k]);
      }
      bool padded = static_cast<int64_t>(a) >= len;
      int ymid = y0 + H / 2;
      int yl = ymid - static_cast<int>(hi / peak * (H / 2 - 2)), yh = ymid - static_cast<int>(lo / peak * (H / 2 - 2));
      cv::line(canvas, {pad + x, yl}, {pad + x, yh}, padded ? cv::Scalar(190, 190, 190) : cv::Scalar(160, 80, 20));
    }
    spectrogram_strip(wave, len, rate, W, SH).copyTo(canvas(cv::Rect(pad, y0 + H, W, SH)));
    std::string label = labels[i] >= 0 && labels[i] < static_cast<int32_t>(names.size()) ? names[labels[i]]
                        : labels[i] >= 0 ? std::to_string(labels[i]) : "";
    cv::putText(canvas, label, {pad + 4, y0 + 14}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0));
  }
  io::save_png(canvas, path);
}

std::vector<std::string> decoded_text(const io::DataReader& r, int count) {
  auto tok = data::Tokenizer::read_from(r);
  size_t n = std::min<size_t>(count, r.size());
  auto info = r.info("/tokens");
  std::vector<int32_t> ids(info.shape[1]);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    r.read<int32_t>("/tokens", i, 1, ids.data());
    int32_t len = 0;
    r.read<int32_t>("/lengths", i, 1, &len);
    ids.resize(std::min<size_t>(len, info.shape[1]));
    out.push_back(tok.decode(ids));
    ids.resize(info.shape[1]);
  }
  return out;
}

}  // namespace

std::vector<std::string> write_preview(const io::DataReader& r, const std::string& png_path, int count) {
  switch (r.modality()) {
    case io::Modality::image: image_grid(r, png_path, count); return {};
    case io::Modality::audio: waveforms(r, png_path, count); return {};
    case io::Modality::text: return decoded_text(r, count);
    case io::Modality::embedding: throw UsageError("--preview is for image, audio and text files");
  }
  return {};
}

}  // namespace sslkit::info
