// The masking schemes of masked modelling, each as its reference code
// computes it, one sample at a time from a generator seeded per sample:
// BERT's MLM corruption (Hugging Face's collator), MAE's random patch
// masking (facebookresearch/mae), BEiT's block-wise masking (its
// MaskingGenerator) and wav2vec 2.0's span masking (fairseq's
// compute_mask_indices). docs/mask.md states each in a few lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "data/tokenizer.hpp"

namespace sslkit::mask {

// ---- mlm (BERT) ----
struct MlmParams {
  double ratio = 0.15;        // selection probability of each non-special token
  double mask_replace = 0.8;  // of the selected: become [MASK]
  double random_replace = 0.1;  // of the selected: become a random normal token (the rest stay)
  bool whole_word = false;    // select words; every piece of a selected word becomes [MASK]
};

struct Vocabulary {
  int32_t size = 0, mask_id = -1;
  std::vector<bool> special;     // [size]: never selected, never drawn as a random token
  std::vector<bool> word_start;  // [size]: pieces that begin a word (SentencePiece's U+2581); whole-word only
  std::vector<int32_t> normal;   // the ids random replacement draws from
  void finish();                 // fills `normal` from `special`
};

// The vocabulary of a file's tokenizer: its specials, its word starts
// (SentencePiece's U+2581), its [MASK]. Error naming `subject` without one.
Vocabulary vocabulary_of(const data::Tokenizer& tok, const std::string& subject);

struct MlmSample {
  std::vector<int32_t> input_ids, labels;  // labels: the original id where selected, -100 elsewhere
  std::vector<uint8_t> mask;               // 1 where selected
};

// `tokens` holds `length` real tokens then padding (pad is special).
MlmSample mask_mlm(const int32_t* tokens, int length, int padded_length, const Vocabulary& vocab, const MlmParams& p,
                   Rng& rng);

// ---- patch (MAE) ----
// Exactly int(L * (1 - ratio)) of the L patches kept, the rest masked, the
// kept set uniform over subsets (MAE argsorts uniform noise).
std::vector<uint8_t> mask_patches(int L, double ratio, Rng& rng);

// ---- block (BEiT) ----
struct BlockParams {
  double ratio = 0.4;           // target fraction of masked patches
  int min_patches = 16;         // smallest block, in patches
  double min_aspect = 0.3;      // aspect ratio in [min_aspect, 1/min_aspect]
};
struct Block {
  int top, left, h, w;
  int wanted;  // patches still wanted when it was placed
};
// A grid_h x grid_w mask (row-major): rectangles placed at random until
// about ratio * L patches are masked (BEiT's MaskingGenerator; a block's
// area is drawn from [min_patches, patches still wanted]). `placed`, when
// given, receives the blocks.
std::vector<uint8_t> mask_blocks(int grid_h, int grid_w, const BlockParams& p, Rng& rng,
                                 std::vector<Block>* placed = nullptr);

// ---- span (wav2vec 2.0) ----
struct SpanParams {
  double mask_prob = 0.065;  // span starts per frame (fairseq's mask_prob = this x span = 0.65)
  int span = 10;             // frames per span
  int min_masks = 2;         // spans per sample at least
};
// Latent frames of a clip of `samples` samples on the grid of an encoder
// with stride `frame_samples` and a receptive field of 5/4 of it: wav2vec
// 2.0's conv stack (stride 320, receptive field 400 samples) makes 49
// frames of one second at 16 kHz, not 50. A stack of unpadded strided
// convolutions makes floor((samples - field) / stride) + 1 frames.
int span_frames(int samples, int frame_samples = 320);
// `frames` on the grid, of which the first `valid` are real audio (the rest
// padding, never masked): int(mask_prob * valid + U[0,1)) spans (at least
// min_masks) start at distinct frames drawn without replacement from
// [0, valid - span), may overlap, and are cut at `valid`.
std::vector<uint8_t> mask_spans(int frames, int valid, const SpanParams& p, Rng& rng);

}  // namespace sslkit::mask
