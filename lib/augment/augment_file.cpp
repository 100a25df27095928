#include "augment/augment_file.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "augment/audio_ops.hpp"
#include "augment/recipe.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/picture.hpp"
#include "io/data_file.hpp"

namespace sslkit::augment {

namespace {

void copy_labels_ids(const io::DataReader& in, io::DataWriter& out, size_t start, size_t n) {
  std::vector<int32_t> labels(n, -1);
  if (in.has("/labels")) in.read<int32_t>("/labels", start, n, labels.data());
  const std::vector<int64_t> ids = in.ids(start, n);
  out.append("/labels", labels);
  out.append("/ids", ids);
}

void start_output(const io::DataReader& in, io::DataWriter& out, const AugmentOptions& o) {
  out.create("/labels", io::DType::i32, {});
  out.create("/ids", io::DType::i64, {});
  auto names = in.class_names();
  if (!names.empty()) io::set_attr_strings(out.dataset("/labels"), "class_names", names);
  auto history = in.history();
  history.push_back(o.command_line);
  out.set_history(history);
}

// Originals in the first column, views beside them; small images scaled up.
void write_preview(const std::vector<std::vector<cv::Mat>>& rows, const std::string& path) {
  if (!rows.empty()) io::save_png(io::tile_rows(rows, 64), path);
}

void augment_images(const io::DataReader& in, const AugmentOptions& o) {
  if (!in.has("/images")) throw Error(in.name(), "has no /images to augment");
  const Recipe recipe = make_recipe(o.recipe, o.strength);
  const int V = o.views > 0 ? o.views : (recipe.rotation ? 4 : 2);
  auto info = in.info("/images");
  const int H = static_cast<int>(info.shape[1]), W = static_cast<int>(info.shape[2]), C = static_cast<int>(info.shape[3]);
  const int S = o.size > 0 ? o.size : H, SW = o.size > 0 ? o.size : W;
  const size_t N = in.size();
  io::DataWriter out(o.output, io::Modality::image);
  out.create("/views", io::DType::u8, {static_cast<hsize_t>(V), static_cast<hsize_t>(S), static_cast<hsize_t>(SW),
                                       static_cast<hsize_t>(C)});
  io::set_attr_string(out.dataset("/views"), "recipe", recipe.text());
  if (recipe.rotation) out.create("/pretext_labels", io::DType::i32, {static_cast<hsize_t>(V)});
  start_output(in, out, o);
  const size_t in_row = static_cast<size_t>(H) * W * C, view_bytes = static_cast<size_t>(S) * SW * C;
  std::vector<std::vector<cv::Mat>> preview_rows;
  Progress progress("augment", N, "images");
  for (size_t start = 0; start < N; start += o.chunk) {
    const size_t n = std::min(o.chunk, N - start);
    std::vector<uint8_t> src(n * in_row), dst(n * V * view_bytes);
    in.read<uint8_t>("/images", start, n, src.data());
    const std::vector<int64_t> ids = in.ids(start, n);
    std::vector<int32_t> pretext(n * V, -1);
    std::vector<std::string> errors(n);
#pragma omp parallel for schedule(dynamic, 8)
    for (size_t i = 0; i < n; ++i) {
      try {
        cv::Mat img(H, W, C == 1 ? CV_8UC1 : CV_8UC3, src.data() + i * in_row);
        for (int v = 0; v < V; ++v) {
          // One generator per (seed, sample id, view): the same view whatever
          // the thread, the chunk or the other samples.
          Rng rng(o.seed, static_cast<uint64_t>(ids[i]) + 1, static_cast<uint64_t>(v) + 1);
          cv::Mat view = make_view(recipe, img, v, S, SW, rng, &pretext[i * V + v]);
          std::memcpy(dst.data() + (i * V + v) * view_bytes, view.data, view_bytes);
        }
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }
    for (auto& e : errors)
      if (!e.empty()) throw Error(in.name(), e);
    out.append("/views", dst.data(), n);
    if (recipe.rotation) out.append("/pretext_labels", pretext.data(), n);
    copy_labels_ids(in, out, start, n);
    if (!o.preview.empty())
      for (size_t i = 0; i < n && preview_rows.size() < static_cast<size_t>(o.preview_count); ++i) {
        std::vector<cv::Mat> row;
        cv::Mat orig(H, W, C == 1 ? CV_8UC1 : CV_8UC3, src.data() + i * in_row), o2;
        cv::resize(orig, o2, cv::Size(SW, S), 0, 0, cv::INTER_LINEAR);
        row.push_back(o2.clone());
        for (int v = 0; v < V; ++v)
          row.push_back(cv::Mat(S, SW, C == 1 ? CV_8UC1 : CV_8UC3, dst.data() + (i * V + v) * view_bytes).clone());
        preview_rows.push_back(row);
      }
    progress.advance(n);
  }
  progress.finish();
  if (!o.preview.empty()) write_preview(preview_rows, o.preview);
  out.commit();
}

void augment_audio(const io::DataReader& in, const AugmentOptions& o) {
  const Recipe recipe = make_audio_recipe(o.recipe);
  const int V = o.apply ? 1 : o.views > 0 ? o.views : 2;
  auto info = in.info("/audio");
  const int T = static_cast<int>(info.shape[1]);
  const int rate = in.sample_rate();
  const int OT = o.seconds > 0 ? static_cast<int>(std::lround(o.seconds * rate)) : T;
  const size_t N = in.size();
  const std::string recipe_text = recipe.name == "audio" ? "audio" : o.recipe;
  std::vector<std::string> errors;
  io::DataWriter out(o.output, io::Modality::audio);
  if (o.apply) {
    // The view is the clip: /audio holds it, every tool reads the file as
    // audio, and the recipe says what was done to it.
    out.create("/audio", io::DType::f32, {static_cast<hsize_t>(OT)});
    io::set_attr_int(out.dataset("/audio"), "sample_rate", rate);
    io::set_attr_double(out.dataset("/audio"), "seconds", static_cast<double>(OT) / rate);
    io::set_attr_string(out.dataset("/audio"), "recipe", recipe_text);
  } else {
    out.create("/audio_views", io::DType::f32, {static_cast<hsize_t>(V), static_cast<hsize_t>(OT)});
    io::set_attr_string(out.dataset("/audio_views"), "recipe", recipe_text);
    io::set_attr_int(out.dataset("/audio_views"), "sample_rate", rate);
    // The originals stay: /audio and /lengths are what an audio file must hold.
    out.create("/audio", io::DType::f32, {static_cast<hsize_t>(T)});
    io::set_attr_int(out.dataset("/audio"), "sample_rate", rate);
  }
  out.create("/lengths", io::DType::i32, {});
  start_output(in, out, o);
  Progress progress("augment", N, "clips");
  for (size_t start = 0; start < N; start += o.chunk) {
    const size_t n = std::min(o.chunk, N - start);
    std::vector<float> src(n * T), dst(n * V * OT);
    std::vector<int32_t> len(n);
    in.read<float>("/audio", start, n, src.data());
    in.read<int32_t>("/lengths", start, n, len.data());
    const std::vector<int64_t> ids = in.ids(start, n);
    errors.assign(n, "");
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < n; ++i) {
      std::vector<float> w(src.begin() + i * T, src.begin() + (i + 1) * T);
      try {
        for (int v = 0; v < V; ++v) {
          Rng rng(o.seed, static_cast<uint64_t>(ids[i]) + 1, static_cast<uint64_t>(v) + 1);
          auto view = make_audio_view(recipe, w, std::min(len[i], T), v, OT, rng);
          std::copy(view.begin(), view.end(), dst.begin() + (i * V + v) * OT);
        }
      } catch (const std::exception& e) {
        errors[i] = "row " + std::to_string(start + i) + ": " + e.what();
      }
    }
    // The first failure in row order, whatever the threads did.
    for (auto& e : errors)
      if (!e.empty()) throw Error(in.name(), e);
    if (o.apply) {
      // A view's real audio is its first min(length, OT) samples: every op
      // works inside the clip's own length, and the rest is zeros.
      for (auto& l : len) l = std::min(std::min(l, T), OT);
      out.append("/audio", dst.data(), n);
    } else {
      out.append("/audio_views", dst.data(), n);
      out.append("/audio", src.data(), n);
    }
    out.append("/lengths", len.data(), n);
    copy_labels_ids(in, out, start, n);
    progress.advance(n);
  }
  progress.finish();
  out.commit();
}

}  // namespace

void run_augment(const AugmentRequest& r) {
  io::DataReader in(r.input);
  if (in.size() == 0) throw Error(in.name(), "has no samples");
  if (in.modality() != io::Modality::image && in.modality() != io::Modality::audio)
    throw UsageError(in.name() + ": ssl-augment works on image and audio files, not " +
                     io::modality_name(in.modality()));
  AugmentOptions o = resolve_augment(r.given, io::modality_name(in.modality()), in.name());
  o.input = r.input;
  o.output = r.output;
  o.seed = r.seed;
  o.command_line = r.command_line;
  if (in.modality() == io::Modality::image) augment_images(in, o);
  else augment_audio(in, o);
}

}  // namespace sslkit::augment
