#include "batches/sequence_batches.hpp"

#include <algorithm>
#include <numeric>

#include "augment/audio_ops.hpp"
#include "core/dist.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/tokenizer.hpp"

namespace sslkit::batches {

namespace {

std::vector<size_t> all_rows(std::vector<size_t> rows, size_t n) {
  if (rows.empty()) {
    rows.resize(n);
    std::iota(rows.begin(), rows.end(), size_t{0});
  }
  return rows;
}

// True when `found(row values, its length)` holds for one of `rows`
// (ascending) of the per-sample dataset `name` [N, width] of `in`; reads a
// chunk of rows at a time and stops at the first. Lengths come from
// /lengths when `with_lengths`, else are the width.
template <class T, class Found>
bool any_row(const io::DataReader& in, const std::string& name, const std::vector<size_t>& rows, bool with_lengths,
             Found found) {
  constexpr size_t kChunk = 1024;
  const size_t width = static_cast<size_t>(in.info(name).shape[1]);
  for (size_t i = 0; i < rows.size(); i += kChunk) {
    const std::vector<size_t> part(rows.begin() + i, rows.begin() + std::min(rows.size(), i + kChunk));
    std::vector<T> values(part.size() * width);
    std::vector<int32_t> lengths(part.size(), static_cast<int32_t>(width));
    in.read_at<T>(name, part, values.data());
    if (with_lengths) in.read_at<int32_t>("/lengths", part, lengths.data());
    for (size_t r = 0; r < part.size(); ++r)
      if (found(values.data() + r * width, std::clamp<int32_t>(lengths[r], 0, static_cast<int32_t>(width))))
        return true;
  }
  return false;
}

// Every id of the rows read must be in the file's vocabulary (an id past
// it would fail deep in the encoder's embedding, naming no file or row).
// `what` holds ids (-100 allowed: "no label") or labels.
void check_ids(const io::DataReader& in, const char* what, const std::vector<size_t>& sorted,
               const std::vector<int32_t>& values, size_t L, int32_t vocab, bool labels) {
  if (vocab <= 0) return;
  for (size_t i = 0; i < values.size(); ++i) {
    const int32_t id = values[i];
    if ((id >= 0 && id < vocab) || (labels && id == -100)) continue;
    throw Error(in.name(), std::string(what) + " row " + std::to_string(sorted[i / L]) + " holds token id " +
                               std::to_string(id) + ", outside its tokenizer's vocabulary of " + std::to_string(vocab));
  }
}

// The mask of a sample in an epoch: its own stream per (seed, id, epoch).
Rng epoch_rng(uint64_t seed, int64_t id, int64_t epoch) {
  return Rng(seed, static_cast<uint64_t>(id) + 1, 0x3A5C0000ull + static_cast<uint64_t>(epoch));
}

}  // namespace

TokenBatches::TokenBatches(const io::DataReader& in, SequenceBatchSpec spec)
    : BatchSource(in, spec.first_step), spec_(std::move(spec)) {
  if (!in.has("/tokens")) throw Error(in.name(), "has no /tokens (a text file from ssl-import text is needed)");
  length_ = static_cast<int64_t>(in.info("/tokens").shape[1]);
  from_file_ = spec_.mask_tokens && spec_.masks_from_file && in.has("/input_ids") && in.has("/mlm_labels");
  if (spec_.mask_tokens && !from_file_) vocab_ = mask::vocabulary_of(data::Tokenizer::read_from(in), in.name());
  vocab_size_ = vocab_.size > 0 ? vocab_.size : (in.has("/tokenizer") ? data::Tokenizer::read_from(in).vocab_size() : 0);
  // Masked modelling with nothing to predict would train on a zero loss at
  // every step without a word; found at the first row that has something.
  const std::vector<size_t> rows = all_rows(spec_.rows, in.size());
  if (from_file_ && !any_row<int32_t>(in, "/mlm_labels", rows, false, [&](const int32_t* labels, int32_t n) {
        return std::any_of(labels, labels + n, [](int32_t y) { return y != -100; });
      }))
    throw Error(in.name(), "its masks (/mlm_labels of ssl-mask) select no token: nothing to predict (mask it with a --ratio above 0)");
  if (spec_.mask_tokens && !from_file_ && !any_row<int32_t>(in, "/tokens", rows, true, [&](const int32_t* ids, int32_t n) {
        return std::any_of(ids, ids + n, [&](int32_t id) { return id >= 0 && id < vocab_.size && !vocab_.special[id]; });
      }))
    throw Error(in.name(), "no token can be masked: every row holds only special pieces ([CLS], [SEP], padding)");
  order_ = std::make_unique<EpochOrder>(rows, spec_.batch, spec_.seed, in.name(), dist::rank(),
                                        dist::size());
}

methods::Batch TokenBatches::make(int64_t step) {
  const EpochOrder::Step st = order_->step(step);
  const std::vector<size_t>&rows = st.rows, &at = st.at, &sorted = st.sorted;
  const size_t L = static_cast<size_t>(length_), n = sorted.size();
  std::vector<int32_t> tokens(n * L), lengths(n), ids_in(from_file_ ? n * L : 0), labels_in(from_file_ ? n * L : 0);
  in_.read_at<int32_t>("/tokens", sorted, tokens.data());
  in_.read_at<int32_t>("/lengths", sorted, lengths.data());
  if (from_file_) {
    in_.read_at<int32_t>("/input_ids", sorted, ids_in.data());
    in_.read_at<int32_t>("/mlm_labels", sorted, labels_in.data());
  }
  check_ids(in_, "/tokens", sorted, tokens, L, vocab_size_, false);
  check_ids(in_, "/input_ids", sorted, ids_in, L, vocab_size_, false);
  check_ids(in_, "/mlm_labels", sorted, labels_in, L, vocab_size_, true);
  const std::vector<int64_t> ids = in_.ids_at(sorted);
  const int64_t epoch = st.epoch;
  methods::Batch b;
  methods::TokenBatch& t = b.tokens;
  t.rows = static_cast<int64_t>(rows.size());
  t.length = length_;
  t.dtype = spec_.dtype;
  t.ids.resize(rows.size() * L);
  t.labels.resize(rows.size() * L);
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t k = at[r];
    const int len = std::clamp<int>(lengths[k], 0, static_cast<int>(L));
    t.lengths.push_back(len);
    if (!spec_.mask_tokens) {
      std::copy_n(tokens.begin() + k * L, L, t.ids.begin() + r * L);
      std::fill_n(t.labels.begin() + r * L, L, -100);
    } else if (from_file_) {
      std::copy_n(ids_in.begin() + k * L, L, t.ids.begin() + r * L);
      std::copy_n(labels_in.begin() + k * L, L, t.labels.begin() + r * L);
    } else {
      Rng rng = epoch_rng(spec_.seed, ids[k], epoch);
      mask::MlmSample s = mask::mask_mlm(tokens.data() + k * L, len, static_cast<int>(L), vocab_, spec_.mlm, rng);
      std::copy(s.input_ids.begin(), s.input_ids.end(), t.ids.begin() + r * L);
      std::copy(s.labels.begin(), s.labels.end(), t.labels.begin() + r * L);
    }
    if (!spec_.targets.empty()) b.pretext.push_back(spec_.targets[rows[r]]);
  }
  return b;
}

methods::TokenBatch masked_rows(const io::DataReader& in, const std::vector<size_t>& sorted,
                                const mask::Vocabulary& vocab, const mask::MlmParams& p, uint64_t seed, int64_t epoch) {
  methods::TokenBatch t;
  const bool from_file = in.has("/input_ids") && in.has("/mlm_labels");
  t.length = static_cast<int64_t>(in.info("/tokens").shape[1]);
  t.rows = static_cast<int64_t>(sorted.size());
  std::vector<int32_t> tokens(sorted.size() * t.length);
  t.lengths.resize(sorted.size());
  in.read_at<int32_t>("/tokens", sorted, tokens.data());
  in.read_at<int32_t>("/lengths", sorted, t.lengths.data());
  const std::vector<int64_t> ids = in.ids_at(sorted);
  const size_t L = static_cast<size_t>(t.length);
  t.ids.resize(sorted.size() * L);
  t.labels.resize(sorted.size() * L);
  if (from_file) {
    in.read_at<int32_t>("/input_ids", sorted, t.ids.data());
    in.read_at<int32_t>("/mlm_labels", sorted, t.labels.data());
    check_ids(in, "/input_ids", sorted, t.ids, L, vocab.size, false);
    check_ids(in, "/mlm_labels", sorted, t.labels, L, vocab.size, true);
  }
  check_ids(in, "/tokens", sorted, tokens, L, vocab.size, false);
  for (size_t r = 0; r < sorted.size(); ++r) {
    t.lengths[r] = std::clamp<int32_t>(t.lengths[r], 0, static_cast<int32_t>(L));
    if (from_file) continue;
    Rng rng = epoch_rng(seed, ids[r], epoch);
    mask::MlmSample s = mask::mask_mlm(tokens.data() + r * L, t.lengths[r], static_cast<int>(L), vocab, p, rng);
    std::copy(s.input_ids.begin(), s.input_ids.end(), t.ids.begin() + r * L);
    std::copy(s.labels.begin(), s.labels.end(), t.labels.begin() + r * L);
  }
  return t;
}

AudioBatches::AudioBatches(const io::DataReader& in, SequenceBatchSpec spec)
    : BatchSource(in, spec.first_step), spec_(std::move(spec)) {
  if (spec_.frame_samples < 1) throw UsageError("frame samples must be at least 1");
  if (!in.has("/audio")) throw Error(in.name(), "has no /audio (an audio file from ssl-import audio is needed)");
  samples_ = static_cast<int64_t>(in.info("/audio").shape[1]);
  frames_ = spec_.frames > 0 ? spec_.frames : mask::span_frames(static_cast<int>(samples_), spec_.frame_samples);
  from_file_ = spec_.masks_from_file && in.has("/mask");
  if (from_file_) {
    const auto mi = in.info("/mask");
    const int64_t fs = io::has_attr(in.dataset("/mask"), "frame_samples")
                           ? io::attr_int(in.dataset("/mask"), "frame_samples") : spec_.frame_samples;
    if (fs != spec_.frame_samples || static_cast<int64_t>(mi.shape[1]) != frames_)
      throw Error(in.name(), "/mask is on a grid of " + std::to_string(mi.shape[1]) + " frames of " + std::to_string(fs) +
                                 " samples; the encoder makes " + std::to_string(frames_) + " frames of " +
                                 std::to_string(spec_.frame_samples));
  }
  if (frames_ < 1) throw Error(in.name(), "clips are shorter than one frame");
  const std::vector<size_t> rows = all_rows(spec_.rows, in.size());
  if (from_file_ && !any_row<uint8_t>(in, "/mask", rows, false, [](const uint8_t* m, int32_t n) {
        return std::any_of(m, m + n, [](uint8_t v) { return v != 0; });
      }))
    throw Error(in.name(), "its span masks (/mask of ssl-mask) hide no frame: nothing to predict "
                           "(mask it with --mask-prob or --min-masks above 0)");
  order_ = std::make_unique<EpochOrder>(rows, spec_.batch, spec_.seed, in.name(), dist::rank(),
                                        dist::size());
}

methods::Batch AudioBatches::make(int64_t step) {
  const EpochOrder::Step st = order_->step(step);
  const std::vector<size_t>&rows = st.rows, &at = st.at, &sorted = st.sorted;
  const size_t T = static_cast<size_t>(samples_), F = static_cast<size_t>(frames_), n = sorted.size();
  std::vector<float> audio(n * T);
  std::vector<int32_t> lengths(n);
  std::vector<uint8_t> file_mask(from_file_ ? n * F : 0);
  in_.read_at<float>("/audio", sorted, audio.data());
  in_.read_at<int32_t>("/lengths", sorted, lengths.data());
  if (from_file_) in_.read_at<uint8_t>("/mask", sorted, file_mask.data());
  const std::vector<int64_t> ids = in_.ids_at(sorted);
  const int64_t epoch = st.epoch;
  methods::Batch b;
  methods::AudioBatch& a = b.audio;
  a.rows = static_cast<int64_t>(rows.size());
  a.samples = samples_;
  a.frames = frames_;
  a.audio = nn::Tensor({a.rows, samples_}, nn::DType::f32);
  a.dtype = spec_.dtype;
  a.mask.resize(rows.size() * F);
  std::vector<nn::Tensor> views;
  for (int v = 0; v < spec_.audio_views; ++v) views.emplace_back(nn::Shape{a.rows, samples_, 1}, nn::DType::f32);
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t k = at[r];
    std::copy_n(audio.begin() + k * T, T, a.audio.f32() + r * T);
    const int len = std::clamp<int>(lengths[k], 0, static_cast<int>(T));
    a.lengths.push_back(len);
    if (from_file_) {
      std::copy_n(file_mask.begin() + k * F, F, a.mask.begin() + r * F);
    } else {
      // Frames wholly inside the clip are real; the rest is padding.
      Rng rng = epoch_rng(spec_.seed, ids[k], epoch);
      const int64_t real = spec_.frames_of ? spec_.frames_of(len) : mask::span_frames(len, spec_.frame_samples);
      auto m = mask::mask_spans(static_cast<int>(F), static_cast<int>(std::min<int64_t>(real, F)), spec_.span, rng);
      std::copy(m.begin(), m.end(), a.mask.begin() + r * F);
    }
    for (int v = 0; v < spec_.audio_views; ++v) {
      // Views from their own stream, so they do not depend on the masks.
      Rng vr = epoch_rng(spec_.seed ^ 0x5EED5, ids[k], epoch * 64 + v);
      std::vector<float> clip(a.audio.f32() + r * T, a.audio.f32() + (r + 1) * T);
      const auto view = augment::make_audio_view(spec_.audio_recipe, clip, len, v, static_cast<int>(T), vr);
      std::copy(view.begin(), view.end(), views[v].f32() + r * T);
    }
    if (!spec_.targets.empty()) b.pretext.push_back(spec_.targets[rows[r]]);
  }
  // Some rows of a file's masks may hide nothing; a batch of only those
  // leaves the method nothing to predict.
  if (from_file_ && std::none_of(a.mask.begin(), a.mask.end(), [](uint8_t v) { return v != 0; }))
    throw Error(in_.name(), "the span masks (/mask) of the " + std::to_string(a.rows) + " clips of step " +
                                std::to_string(step) + " hide no frame: nothing to predict (mask it with a higher --min-masks)");
  for (auto& v : views) b.views.emplace_back(v.to(spec_.dtype));
  return b;
}

}  // namespace sslkit::batches
