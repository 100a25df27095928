#include "mask/mask_file.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/tokenizer.hpp"
#include "io/picture.hpp"
#include "io/data_file.hpp"

namespace sslkit::mask {

namespace {

// One generator per (seed, sample id): a sample's mask does not depend on
// the thread, the chunk or the other samples.
Rng sample_rng(uint64_t seed, int64_t id) { return Rng(seed, static_cast<uint64_t>(id) + 1, 0x3A5C); }

io::DataWriter& begin_output(io::DataWriter& out, const io::DataReader& in, const MaskOptions& o,
                             const std::vector<std::string>& added) {
  out.copy_from(in, added);
  auto history = in.history();
  history.push_back(o.command_line);
  out.set_history(history);
  return out;
}

// ---- text ----

void mask_text(const io::DataReader& in, const MaskOptions& o) {
  if (!in.has("/tokens")) throw Error(in.name(), "has no /tokens");
  const data::Tokenizer tok = data::Tokenizer::read_from(in);
  const Vocabulary v = vocabulary_of(tok, in.name());
  MlmParams p = o.mlm;
  if (o.ratio >= 0) p.ratio = o.ratio;
  const size_t N = in.size(), L = in.info("/tokens").shape[1];
  const std::vector<std::string> added = {"/input_ids", "/mlm_labels", "/mask"};
  io::DataWriter out(o.output, io::Modality::text);
  begin_output(out, in, o, added);
  out.create("/input_ids", io::DType::i32, {L});
  out.create("/mlm_labels", io::DType::i32, {L});
  out.create("/mask", io::DType::u8, {L});
  auto d = out.dataset("/mask");
  io::set_attr_string(d, "scheme", "mlm");
  io::set_attr_double(d, "ratio", p.ratio);
  // Whole words: every selected piece becomes [MASK], whatever --replace says.
  io::set_attr_double(d, "mask_replace", p.whole_word ? 1.0 : p.mask_replace);
  io::set_attr_double(d, "random_replace", p.whole_word ? 0.0 : p.random_replace);
  io::set_attr_int(d, "whole_word", p.whole_word ? 1 : 0);
  io::set_attr_int(d, "seed", static_cast<int64_t>(o.seed));
  int shown = 0;
  Progress progress("mask mlm", N, "samples");
  for (size_t start = 0; start < N; start += o.chunk) {
    const size_t n = std::min(o.chunk, N - start);
    std::vector<int32_t> tokens(n * L), lengths(n), ids_out(n * L), labels(n * L);
    std::vector<uint8_t> mask(n * L);
    in.read<int32_t>("/tokens", start, n, tokens.data());
    in.read<int32_t>("/lengths", start, n, lengths.data());
    const auto ids = in.ids(start, n);
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < n; ++i) {
      Rng rng = sample_rng(o.seed, ids[i]);
      const int len = std::clamp<int>(lengths[i], 0, static_cast<int>(L));
      MlmSample s = mask_mlm(tokens.data() + i * L, len, static_cast<int>(L), v, p, rng);
      std::copy(s.input_ids.begin(), s.input_ids.end(), ids_out.begin() + i * L);
      std::copy(s.labels.begin(), s.labels.end(), labels.begin() + i * L);
      std::copy(s.mask.begin(), s.mask.end(), mask.begin() + i * L);
    }
    out.append("/input_ids", ids_out.data(), n);
    out.append("/mlm_labels", labels.data(), n);
    out.append("/mask", mask.data(), n);
    // --show: pieces as SentencePiece spells them, a selected one as
    // [original->what the model sees], on stderr so the file can go to stdout.
    for (size_t i = 0; i < n && shown < o.show; ++i, ++shown) {
      std::string line = "sample " + std::to_string(ids[i]) + ":";
      for (int k = 0; k < lengths[i] && k < static_cast<int>(L); ++k) {
        const int32_t t = tokens[i * L + k];
        line += " ";
        if (mask[i * L + k]) {
          const int32_t r = ids_out[i * L + k];
          line += "[" + tok.piece(t) + "->" + (r == t ? std::string("=") : tok.piece(r)) + "]";
        } else {
          line += tok.piece(t);
        }
      }
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    progress.advance(n);
  }
  progress.finish();
  out.commit();
}

// ---- images ----

void mask_images(const io::DataReader& in, const MaskOptions& o) {
  if (!in.has("/images")) throw Error(in.name(), "has no /images to mask (patch and block masks are for images)");
  auto info = in.info("/images");
  const int H = static_cast<int>(info.shape[1]), W = static_cast<int>(info.shape[2]), C = static_cast<int>(info.shape[3]);
  if (o.patch < 1 || H % o.patch || W % o.patch)
    throw UsageError("--patch " + std::to_string(o.patch) + " does not divide the " + std::to_string(H) + "x" +
                     std::to_string(W) + " images of " + in.name());
  const int gh = H / o.patch, gw = W / o.patch, L = gh * gw;
  const bool block = o.scheme == "block";
  BlockParams bp = o.block;
  double ratio = o.ratio >= 0 ? o.ratio : (block ? bp.ratio : 0.75);
  bp.ratio = ratio;
  const size_t N = in.size();
  io::DataWriter out(o.output, io::Modality::image);
  begin_output(out, in, o, {"/mask"});
  out.create("/mask", io::DType::u8, {static_cast<hsize_t>(L)});
  auto d = out.dataset("/mask");
  io::set_attr_string(d, "scheme", o.scheme);
  io::set_attr_int(d, "patch_size", o.patch);
  io::set_attr_ints(d, "grid", {gh, gw});
  io::set_attr_double(d, "ratio", ratio);
  if (block) {
    io::set_attr_int(d, "min_patches", bp.min_patches);
    io::set_attr_double(d, "min_aspect", bp.min_aspect);
  }
  io::set_attr_int(d, "seed", static_cast<int64_t>(o.seed));
  const size_t row = static_cast<size_t>(H) * W * C;
  std::vector<cv::Mat> shown_orig, shown_masked;
  Progress progress("mask " + o.scheme, N, "images");
  for (size_t start = 0; start < N; start += o.chunk) {
    const size_t n = std::min(o.chunk, N - start);
    std::vector<uint8_t> mask(n * L);
    const auto ids = in.ids(start, n);
#pragma omp parallel for schedule(dynamic, 32)
    for (size_t i = 0; i < n; ++i) {
      Rng rng = sample_rng(o.seed, ids[i]);
      auto m = block ? mask_blocks(gh, gw, bp, rng) : mask_patches(L, ratio, rng);
      std::copy(m.begin(), m.end(), mask.begin() + i * L);
    }
    out.append("/mask", mask.data(), n);
    if (!o.preview.empty() && shown_orig.size() < static_cast<size_t>(o.preview_count)) {
      const size_t k = std::min(n, o.preview_count - shown_orig.size());
      std::vector<uint8_t> px(k * row);
      in.read<uint8_t>("/images", start, k, px.data());
      for (size_t i = 0; i < k; ++i) {
        cv::Mat img(H, W, C == 1 ? CV_8UC1 : CV_8UC3, px.data() + i * row), masked = img.clone();
        for (int p = 0; p < L; ++p)
          if (mask[i * L + p])
            masked(cv::Rect((p % gw) * o.patch, (p / gw) * o.patch, o.patch, o.patch)).setTo(cv::Scalar::all(128));
        shown_orig.push_back(img.clone());
        shown_masked.push_back(masked);
      }
    }
    progress.advance(n);
  }
  progress.finish();
  if (!o.preview.empty()) {
    // Two rows: the images, then what the encoder sees (masked patches grey).
    io::save_png(io::tile_rows({shown_orig, shown_masked}, 96), o.preview);
  }
  out.commit();
}

// ---- audio ----

void mask_audio(const io::DataReader& in, const MaskOptions& o) {
  if (!in.has("/audio")) throw Error(in.name(), "has no /audio");
  if (o.frame_samples < 1) throw UsageError("--frame-samples must be at least 1");
  const int T = static_cast<int>(in.info("/audio").shape[1]), F = span_frames(T, o.frame_samples);
  if (F < 1) throw Error(in.name(), "clips of " + std::to_string(T) + " samples are shorter than one frame");
  const size_t N = in.size();
  io::DataWriter out(o.output, io::Modality::audio);
  begin_output(out, in, o, {"/mask"});
  out.create("/mask", io::DType::u8, {static_cast<hsize_t>(F)});
  auto d = out.dataset("/mask");
  io::set_attr_string(d, "scheme", "span");
  io::set_attr_int(d, "frame_samples", o.frame_samples);
  io::set_attr_double(d, "mask_prob", o.span.mask_prob);
  io::set_attr_int(d, "span", o.span.span);
  io::set_attr_int(d, "min_masks", o.span.min_masks);
  io::set_attr_int(d, "seed", static_cast<int64_t>(o.seed));
  std::vector<std::vector<float>> shown_wave;
  std::vector<std::vector<uint8_t>> shown_mask;
  std::vector<int> shown_len;
  Progress progress("mask span", N, "clips");
  for (size_t start = 0; start < N; start += o.chunk) {
    const size_t n = std::min(o.chunk, N - start);
    std::vector<int32_t> lengths(n);
    in.read<int32_t>("/lengths", start, n, lengths.data());
    std::vector<uint8_t> mask(n * F);
    const auto ids = in.ids(start, n);
#pragma omp parallel for schedule(dynamic, 32)
    for (size_t i = 0; i < n; ++i) {
      Rng rng = sample_rng(o.seed, ids[i]);
      // Frames the encoder makes of the clip's real samples are real; the rest is padding.
      auto m = mask_spans(F, span_frames(std::min(lengths[i], T), o.frame_samples), o.span, rng);
      std::copy(m.begin(), m.end(), mask.begin() + i * F);
    }
    out.append("/mask", mask.data(), n);
    if (!o.preview.empty() && shown_wave.size() < static_cast<size_t>(o.preview_count)) {
      const size_t k = std::min(n, o.preview_count - shown_wave.size());
      std::vector<float> w(k * T);
      in.read<float>("/audio", start, k, w.data());
      for (size_t i = 0; i < k; ++i) {
        shown_wave.emplace_back(w.begin() + i * T, w.begin() + (i + 1) * T);
        shown_mask.emplace_back(mask.begin() + i * F, mask.begin() + (i + 1) * F);
        shown_len.push_back(std::min(lengths[i], T));
      }
    }
    progress.advance(n);
  }
  progress.finish();
  if (!o.preview.empty()) {
    // One strip per clip: masked frames shaded, the waveform's min-max per
    // pixel column on top, padding darker.
    const int width = 800, height = 80, pad = 4, k = static_cast<int>(shown_wave.size());
    cv::Mat canvas(std::max(1, k) * (height + pad) + pad, width + 2 * pad, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int c = 0; c < k; ++c) {
      const int y0 = pad + c * (height + pad);
      auto x_of = [&](double sample) { return pad + static_cast<int>(sample * width / T); };
      cv::rectangle(canvas, cv::Rect(x_of(shown_len[c]), y0, width + pad - x_of(shown_len[c]), height),
                    cv::Scalar(215, 215, 215), cv::FILLED);
      for (int f = 0; f < F; ++f)
        if (shown_mask[c][f])
          cv::rectangle(canvas, cv::Rect(x_of(f * o.frame_samples), y0, std::max(1, x_of((f + 1) * o.frame_samples) - x_of(f * o.frame_samples)), height),
                        cv::Scalar(160, 190, 255), cv::FILLED);
      float peak = 1e-6f;
      for (float s : shown_wave[c]) peak = std::max(peak, std::abs(s));
      for (int x = 0; x < width; ++x) {
        const int a = static_cast<int>(static_cast<int64_t>(x) * T / width), b = std::max(a + 1, static_cast<int>(static_cast<int64_t>(x + 1) * T / width));
        float lo = 0, hi = 0;
        for (int t = a; t < b && t < T; ++t) {
          lo = std::min(lo, shown_wave[c][t]);
          hi = std::max(hi, shown_wave[c][t]);
        }
        const int mid = y0 + height / 2;
        cv::line(canvas, {pad + x, mid - static_cast<int>(hi / peak * (height / 2 - 2))},
                 {pad + x, mid - static_cast<int>(lo / peak * (height / 2 - 2))}, cv::Scalar(90, 40, 20));
      }
    }
    io::save_png(canvas, o.preview);
  }
  out.commit();
}

}  // namespace

void run_mask(const MaskOptions& o) {
  io::DataReader in(o.input);
  const std::string modality = io::modality_name(in.modality());
  auto needs = [&](const char* kind) {
    throw UsageError("--scheme " + o.scheme + " masks " + kind + " files; " + in.name() + " is a " + modality + " file");
  };
  if (o.scheme == "mlm") {
    if (in.modality() != io::Modality::text) needs("text");
  } else if (o.scheme == "patch" || o.scheme == "block") {
    if (in.modality() != io::Modality::image) needs("image");
  } else if (o.scheme == "span") {
    if (in.modality() != io::Modality::audio) needs("audio");
  } else {
    throw UsageError("--scheme must be mlm, patch, block or span");
  }
  if (in.size() == 0) throw Error(in.name(), "has no samples");
  if (o.scheme == "mlm") mask_text(in, o);
  else if (o.scheme == "span") mask_audio(in, o);
  else mask_images(in, o);
}

}  // namespace sslkit::mask
