// Batches of token sequences and of audio clips for the trainer, prepared
// like image batches (EpochOrder, one HDF5 call per run of rows, made when
// the trainer asks) and as blind to the method. Masks come from the file
// when it has them (an ssl-mask output), else are drawn on the fly by
// lib/mask, seeded by (seed, sample id, epoch): a new draw every epoch, as
// RoBERTa's dynamic masking and wav2vec 2.0 do.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <functional>

#include "augment/recipe.hpp"
#include "io/data_file.hpp"
#include "mask/schemes.hpp"
#include "methods/method.hpp"
#include "batches/batch_source.hpp"

namespace sslkit::batches {

struct SequenceBatchSpec {
  int batch = 64;
  uint64_t seed = 0;
  std::vector<size_t> rows;      // rows to draw from (empty: every row)
  std::vector<int32_t> targets;  // per file row, a target (labels); empty: none
  int64_t first_step = 0;
  bool masks_from_file = true;   // use the file's masks when it has them
  bool mask_tokens = true;       // text: mask for MLM; false: the tokens as they are, no labels (fine-tuning)
  mask::MlmParams mlm;           // text
  mask::SpanParams span;         // audio
  int frame_samples = 320;       // audio: samples per latent frame (20 ms at 16 kHz)
  // audio: latent frames of a whole clip (the encoder's conv stack; 0:
  // mask::span_frames of the clip), the grid span masks are drawn on, and
  // the real frames of a clip of n real samples (empty: mask::span_frames).
  int64_t frames = 0;
  std::function<int64_t(int64_t)> frames_of;
  int audio_views = 0;           // audio: augmented views of each clip (two-view methods); 0: none
  augment::Recipe audio_recipe;  // audio: how the views are made
  nn::DType dtype = nn::DType::f32;  // text and audio: what the encoder computes in
};

// Text files (/tokens, /lengths, /tokenizer): ids, MLM labels and lengths.
class TokenBatches : public BatchSource {
 public:
  TokenBatches(const io::DataReader& in, SequenceBatchSpec spec);
  bool masks_from_file() const { return from_file_; }

 private:
  methods::Batch make(int64_t step) override;
  SequenceBatchSpec spec_;
  int64_t length_ = 0;
  bool from_file_ = false;
  mask::Vocabulary vocab_;
  int32_t vocab_size_ = 0;  // the tokenizer's; 0 when the file has none
};

// Rows `sorted` (ascending, distinct) of text file `in`, in that order,
// masked as TokenBatches masks them for `epoch`: the file's own masks when
// it has them (an ssl-mask output), else drawn on the fly.
methods::TokenBatch masked_rows(const io::DataReader& in, const std::vector<size_t>& sorted,
                                const mask::Vocabulary& vocab, const mask::MlmParams& p, uint64_t seed, int64_t epoch);

// Audio files (/audio, /lengths): samples, lengths and span masks.
class AudioBatches : public BatchSource {
 public:
  AudioBatches(const io::DataReader& in, SequenceBatchSpec spec);
  bool masks_from_file() const { return from_file_; }

 private:
  methods::Batch make(int64_t step) override;
  SequenceBatchSpec spec_;
  int64_t samples_ = 0, frames_ = 0;
  bool from_file_ = false;
};

}  // namespace sslkit::batches
