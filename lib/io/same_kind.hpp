// Two data files that a run scores one against the other (ssl-finetune's
// train and --eval) must hold the same kind of thing, or any accuracy
// printed for them is a lie: the one place that says what "the same kind"
// means for each modality.
#pragma once
#include "io/data_file.hpp"

namespace sslkit::io {

// Usage error naming both files when they differ in modality; embeddings:
// in the model that made them (its sha256), the layer and the
// normalisation; audio: in sample rate; text: in tokenizer; labelled files:
// in class names (labels are compared by number).
void check_same_kind(const DataReader& train, const DataReader& eval);

// The parts of it that other meetings share: text tokenized by one
// tokenizer (a held-out --eval against training text), audio at one rate.
// `other` names the second file for the message ("--eval x.h5").
void check_same_tokenizer(const DataReader& a, const DataReader& b, const std::string& b_label);
void check_same_sample_rate(const DataReader& a, const DataReader& b, const std::string& b_label);

}  // namespace sslkit::io
