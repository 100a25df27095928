// Waveform augmentations for contrastive audio views, and the named audio
// recipe: "gain(-6,6,p=0.5) noise(10,40,p=0.5) shift(0.1,p=0.5) tmask(0.1,2,p=0.5)".
#pragma once
#include <string>
#include <vector>

#include "augment/recipe.hpp"
#include "core/rng.hpp"

namespace sslkit::augment {

// Multiplies by 10^(dB/20).
void apply_gain_db(std::vector<float>& w, double db);
// Adds white gaussian noise at `snr_db` relative to the signal power over
// the first `length` samples (padding stays silent).
void add_noise_snr(std::vector<float>& w, int length, double snr_db, Rng& rng);
// Shifts by `shift` samples (positive: later), zero-filled.
void time_shift(std::vector<float>& w, int shift);
// Zeroes `count` spans, each up to `max_fraction` of the length.
void time_mask(std::vector<float>& w, int length, double max_fraction, int count, Rng& rng);
// A random window of `out_len` samples of the first `length` (zero-padded when shorter).
std::vector<float> random_crop(const std::vector<float>& w, int length, int out_len, Rng& rng, int* start = nullptr);

// Parses an audio recipe: "audio" (the named one) or a custom string of
// gain(lo_db,hi_db) noise(lo_snr,hi_snr) shift(max_fraction) tmask(max_fraction,count) crop (a random
// window of the output length).
Recipe make_audio_recipe(const std::string& spec);
// One view of the waveform (first `length` samples valid), `out_len` samples long.
std::vector<float> make_audio_view(const Recipe& r, const std::vector<float>& w, int length, int view, int out_len,
                                   Rng& rng);

}  // namespace sslkit::augment
