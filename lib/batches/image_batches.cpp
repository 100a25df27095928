#include "batches/image_batches.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "mask/schemes.hpp"

namespace sslkit::batches {

ImageBatches::ImageBatches(const io::DataReader& in, ImageBatchSpec spec)
    : BatchSource(in, spec.first_step), spec_(std::move(spec)) {
  use_views_ = !in.has("/images");
  const auto info = in.info(use_views_ ? "/views" : "/images");
  h_ = static_cast<int>(info.shape[use_views_ ? 2 : 1]);
  w_ = static_cast<int>(info.shape[use_views_ ? 3 : 2]);
  c_ = static_cast<int>(info.shape.back());
  stored_views_ = use_views_ ? static_cast<int>(info.shape[1]) : 1;
  if (use_views_ && spec_.rotation) {
    // RotNet on ssl-augment's rotation views: the target of a stored view is
    // its /pretext_labels entry; without them there is nothing to predict.
    if (!in.has("/pretext_labels"))
      throw Error(in.name(), "holds /views without /pretext_labels, so --method rotation has no rotation to predict "
                             "(make it with ssl-augment --recipe rotation, or pretrain on the images)");
    if (in.info("/pretext_labels").shape != std::vector<hsize_t>{in.size(), static_cast<hsize_t>(stored_views_)})
      throw Error(in.name(), "/pretext_labels does not hold one label per stored view ([N," +
                                 std::to_string(stored_views_) + "])");
    pretext_from_file_ = true;
  }
  if (spec_.rows.empty()) {
    spec_.rows.resize(in.size());
    std::iota(spec_.rows.begin(), spec_.rows.end(), size_t{0});
  }
  if (spec_.view_size > 0 && use_views_ && (spec_.view_size != h_ || spec_.view_size != w_))
    throw UsageError(in.name() + " holds views of " + std::to_string(h_) + "x" + std::to_string(w_) +
                     " made by ssl-augment; they cannot be resized to " + std::to_string(spec_.view_size));
  if (spec_.patch_ratio > 0 && (spec_.patch < 1 || h_ % spec_.patch != 0 || w_ % spec_.patch != 0))
    throw UsageError(in.name() + " holds " + std::to_string(h_) + "x" + std::to_string(w_) + " images, which " +
                     std::to_string(spec_.patch) + "-pixel patches do not tile");
  if (spec_.patch_ratio > 0) {
    // MAE keeps int(L (1 - ratio)) of the L patches (lib/mask): too few
    // patches and it keeps none, or hides none; nothing to learn from either.
    const int64_t L = static_cast<int64_t>(h_ / spec_.patch) * (w_ / spec_.patch);
    const auto kept = static_cast<int64_t>(static_cast<double>(L) * (1 - spec_.patch_ratio));
    if (kept < 1 || kept >= L) {
      int64_t need = L + 1;
      while (static_cast<int64_t>(static_cast<double>(need) * (1 - spec_.patch_ratio)) < 1) ++need;
      throw UsageError("--patch " + std::to_string(spec_.patch) + " leaves " + std::to_string(L) + " patch" +
                       (L == 1 ? "" : "es") + " of the " + std::to_string(h_) + "x" + std::to_string(w_) +
                       " images of " + in.name() + "; mae hides " + std::to_string(std::lround(100 * spec_.patch_ratio)) +
                       " % of them and needs at least " + std::to_string(need) + " (a smaller --patch)");
    }
  }
  if (spec_.patch_ratio > 0 && !use_views_) {
    if (in.has("/mask")) {
      const auto d = in.dataset("/mask");
      const int64_t p = io::has_attr(d, "patch_size") ? io::attr_int(d, "patch_size") : -1;
      const int64_t L = static_cast<int64_t>((h_ / spec_.patch) * (w_ / spec_.patch));
      if (p != spec_.patch || static_cast<int64_t>(in.info("/mask").shape[1]) != L)
        throw Error(in.name(), "/mask is on a grid of " + std::to_string(p) + "-pixel patches; this run uses " +
                                   std::to_string(spec_.patch));
      // A row that hides no patch leaves MAE nothing to predict, one that
      // hides every patch nothing to see (ssl-mask --ratio 0 or 1).
      const size_t N = in.size(), chunk = 4096;
      for (size_t start = 0; start < N; start += chunk) {
        const size_t n = std::min(chunk, N - start);
        std::vector<uint8_t> m(n * static_cast<size_t>(L));
        in.read<uint8_t>("/mask", start, n, m.data());
        for (size_t r = 0; r < n; ++r) {
          const auto hidden = std::count_if(m.begin() + r * L, m.begin() + (r + 1) * L, [](uint8_t v) { return v != 0; });
          if (hidden == 0 || hidden == L)
            throw Error(in.name(), "/mask of image " + std::to_string(start + r) + " hides " +
                                       (hidden == 0 ? "none" : "all") + " of its " + std::to_string(L) +
                                       " patches: mae needs some hidden and some kept (mask it with a --ratio between 0 and 1)");
        }
      }
      masks_from_file_ = true;
    }
  }
  order_ = std::make_unique<EpochOrder>(spec_.rows, spec_.batch, spec_.seed, in.name(), dist::rank(),
                                        dist::size());
}

std::vector<uint8_t> patch_mask_of(uint64_t seed, int64_t id, int64_t epoch, int patches, double ratio) {
  Rng rng(seed, static_cast<uint64_t>(id) + 1, 0x3A5Cull + (static_cast<uint64_t>(epoch) << 16));
  return mask::mask_patches(patches, ratio, rng);
}

// The batch of a global step: epoch = step / steps_per_epoch, a seeded
// permutation per epoch, views seeded by (seed, sample id, epoch, view), so
// a resumed run draws exactly what an uninterrupted one would have.
methods::Batch ImageBatches::make(int64_t step) {
  const EpochOrder::Step s = order_->step(step);
  const int B = static_cast<int>(s.rows.size());  // this rank's slice of the batch
  const size_t px = static_cast<size_t>(h_) * w_ * c_, row_px = px * stored_views_;
  // One read for the batch: rows sorted, then put back in batch order.
  const int64_t epoch = s.epoch;
  const std::vector<size_t>& rows = s.rows;
  const std::vector<size_t>& at = s.at;
  std::vector<uint8_t> pixels(s.sorted.size() * row_px);
  std::vector<int64_t> ids;
  std::vector<int32_t> stored_pretext;  // rotation on stored views: [rows, stored views]
  in_.read_at<uint8_t>(use_views_ ? "/views" : "/images", s.sorted, pixels.data());
  ids = in_.ids_at(s.sorted);
  if (pretext_from_file_) {
    stored_pretext.resize(s.sorted.size() * stored_views_);
    in_.read_at<int32_t>("/pretext_labels", s.sorted, stored_pretext.data());
  }
  // Multi-crop: global_views at the images' own size first, then the
  // --views crops at --view-size (EMP-SSL's crops may be smaller than the
  // images). The global views come on top of the crops, as the help says.
  const int G = spec_.rotation ? 0 : spec_.global_views;
  const int nviews = spec_.rotation ? 1 : G + spec_.views;
  const int vh = spec_.view_size > 0 ? spec_.view_size : h_, vw = spec_.view_size > 0 ? spec_.view_size : w_;
  std::vector<nn::Tensor> views;
  for (int v = 0; v < nviews; ++v) views.emplace_back(v < G ? nn::Shape{B, h_, w_, c_} : nn::Shape{B, vh, vw, c_}, nn::DType::f32);
  methods::Batch b;
  const bool with_targets = spec_.rotation || !spec_.targets.empty();
  std::vector<int32_t> targets(B, -1);
  // Each image's views depend only on (seed, id, epoch, view): any thread
  // count gives the same batch. The trainer's threads do this between
  // steps. The loop reads no file (HDF5 is not thread-safe): every row it
  // needs was read above.
#pragma omp parallel for schedule(dynamic, 8)
  for (int r = 0; r < B; ++r) {
    const uint8_t* img = pixels.data() + at[r] * row_px;
    const int64_t id = ids[at[r]];
    int32_t target = spec_.targets.empty() ? -1 : spec_.targets[rows[r]];
    for (int v = 0; v < nviews; ++v) {
      cv::Mat out;
      if (use_views_) {
        int stored = v % stored_views_;
        if (pretext_from_file_) {
          // One stored rotation per image and step, seeded like a drawn view,
          // so every rotation is seen and a resumed run draws the same.
          Rng rng(spec_.seed, static_cast<uint64_t>(id) + 1, static_cast<uint64_t>(epoch) * 64 + v + 1);
          stored = static_cast<int>(rng.below(static_cast<uint64_t>(stored_views_)));
          target = stored_pretext[at[r] * stored_views_ + stored];
        }
        out = cv::Mat(h_, w_, c_ == 1 ? CV_8UC1 : CV_8UC3, const_cast<uint8_t*>(img + stored * px));
      } else {
        cv::Mat src(h_, w_, c_ == 1 ? CV_8UC1 : CV_8UC3, const_cast<uint8_t*>(img));
        Rng rng(spec_.seed, static_cast<uint64_t>(id) + 1, static_cast<uint64_t>(epoch) * 64 + v + 1);
        // Rotation: each image gets one random rotation per step.
        const int view = spec_.rotation ? static_cast<int>(rng.below(4)) : v;
        int32_t pretext = -1;
        out = v < G ? augment::make_view(spec_.global_recipe, src, view, h_, w_, rng)
                    : augment::make_view(spec_.recipe, src, view, vh, vw, rng, &pretext);
        if (spec_.rotation) target = pretext;
      }
      const size_t view_px = static_cast<size_t>(out.rows) * out.cols * c_;
      float* dst = views[v].f32() + r * view_px;
      float scale[4], shift[4];
      for (int k = 0; k < c_; ++k)
        scale[k] = 1.0f / (255.0f * spec_.norm.std_of(k)), shift[k] = spec_.norm.mean_of(k) / spec_.norm.std_of(k);
      if (c_ == 1)
        for (size_t i = 0; i < view_px; ++i) dst[i] = out.data[i] * scale[0] - shift[0];
      else
        for (size_t i = 0; i < view_px; ++i) dst[i] = out.data[i] * scale[i % c_] - shift[i % c_];
    }
    targets[r] = target;
  }
  if (pretext_from_file_)
    for (int r = 0; r < B; ++r)
      if (targets[r] < 0 || targets[r] > 3)
        throw Error(in_.name(), "/pretext_labels of image " + std::to_string(ids[at[r]]) + " is " +
                                    std::to_string(targets[r]) + ", not a rotation 0..3");
  if (with_targets) b.pretext = std::move(targets);
  for (auto& t : views) b.views.emplace_back(t.to(spec_.dtype));
  b.global_views = G;
  if (spec_.patch_ratio > 0) {
    // MAE's masks: the file's (an ssl-mask --scheme patch output), or one per
    // image and epoch seeded by (seed, sample id, epoch) like the views, so a
    // resumed run hides the same patches. Epoch 0 draws what ssl-mask draws
    // with the same seed, so the two give the same first epoch.
    const int L = (h_ / spec_.patch) * (w_ / spec_.patch);
    b.patch_mask.resize(static_cast<size_t>(B) * L);
    std::vector<uint8_t> stored;
    if (masks_from_file_) {
      stored.resize(s.sorted.size() * L);
      in_.read_at<uint8_t>("/mask", s.sorted, stored.data());
    }
    for (int r = 0; r < B; ++r) {
      uint8_t* dst = b.patch_mask.data() + static_cast<size_t>(r) * L;
      if (masks_from_file_) {
        std::copy_n(stored.begin() + at[r] * L, L, dst);
        continue;
      }
      const std::vector<uint8_t> m = patch_mask_of(spec_.seed, ids[at[r]], epoch, L, spec_.patch_ratio);
      std::copy(m.begin(), m.end(), dst);
    }
  }
  return b;
}

}  // namespace sslkit::batches
