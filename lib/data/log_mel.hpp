// Log-mel spectrograms: the standard front end for speech, and the features
// of the audio baseline a learned encoder has to beat. Same definition as
// torchaudio's MelSpectrogram defaults (periodic Hann window, power
// spectrum, HTK mel scale, triangles without area normalisation) with
// center=False, then log(power + 1e-6).
#pragma once
#include <vector>

namespace sslkit::data {

struct MelParams {
  int sample_rate = 16000;
  int n_fft = 400;  // window and FFT length: 25 ms at 16 kHz
  int hop = 160;    // 10 ms at 16 kHz
  int n_mels = 40;
  double f_min = 0, f_max = 0;  // 0: sample_rate / 2
};

// The floor added before the log, so silence is log(1e-6), not -inf.
constexpr double kLogMelFloor = 1e-6;

// Windows of 25 ms every 10 ms at `sample_rate` (400 and 160 at 16 kHz).
MelParams mel_params_for_rate(int sample_rate, int n_mels = 40);

// Log-mel spectrogram [frames x n_mels] row-major of the first `length`
// samples; frames = 1 + (length - n_fft) / hop (0 when shorter).
// Throws UsageError for impossible parameters.
std::vector<float> log_mel(const float* samples, int length, const MelParams& p, int* frames);

// The clip's features for a baseline probe: per mel band the mean, then the
// std, over frames (2 * n_mels values). A clip shorter than one window is
// zero-padded to one window, so every clip has features.
std::vector<float> log_mel_stats(const float* samples, int length, const MelParams& p);

// The [n_fft / 2 + 1 x n_mels] triangular filterbank, row-major (exposed for tests).
std::vector<float> mel_filterbank(const MelParams& p);

// Hz to mel and back, HTK's formula: 2595 log10(1 + f / 700).
double hz_to_mel(double hz);
double mel_to_hz(double mel);

}  // namespace sslkit::data
