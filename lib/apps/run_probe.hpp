// What `ssl-finetune --mode linear|knn` runs (named apart from lib/eval/probe,
// which scores features and trains nothing): the linear probe (multinomial
// logistic regression on standardised features, trained by the one trainer,
// its L2 strength chosen on a held-out part of the labelled rows) and
// weighted kNN (lib/eval) on frozen features, with the report files.
#pragma once
#include <string>
#include <vector>

#include "eval/probe.hpp"

namespace sslkit::train {

// Softmax regression on `rows` of `train`, standardised with their mean and
// std (unless `standardize` is false: sparse TF-IDF rows), AdamW with weight
// decay `wd` at lr 1e-2 cosine to 1e-4, at least `epochs` epochs and 2000
// steps; returns predictions for `test`.
std::vector<int32_t> linear_fit_predict(const eval::Features& train, const std::vector<size_t>& rows,
                                        const eval::Features& test, int num_classes, double wd, int epochs,
                                        uint64_t seed, bool standardize = true);

// The held-out rule of the linear probe: with at least kMinHeldOutRows
// labelled rows, a seeded tenth of them (at least 2) chooses the weight
// decay; with fewer, there is nothing to choose on and kDefaultProbeDecay is
// used (the report says so).
constexpr size_t kMinHeldOutRows = 20;
constexpr double kDefaultProbeDecay = 1e-4;

// Linear probe or kNN on given features; `selected` gets what was chosen
// (JSON) for the report.
eval::Metrics evaluate_probe(const eval::Features& train, const eval::Features& test, const eval::FinetuneOptions& o,
                             std::string* selected);

// Features from the files named in `o` (embeddings, raw pixels, log-mel
// statistics, or --model's encoder at `precision` with `pool`) once they are
// known to be of one kind (io::check_same_kind), evaluate_probe, and the
// report.
eval::Metrics run_probe(const eval::FinetuneOptions& o, const std::string& precision = "auto",
                        const std::string& pool = "");

}  // namespace sslkit::train
