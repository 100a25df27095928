// The bag-of-words baseline of text probes (ssl-finetune --bag-of-words):
// what a text encoder's features must beat. Each sequence's token ids
// counted over the tokenizer's vocabulary, weighted by TF-IDF as
// scikit-learn's TfidfTransformer does by default (raw counts times the
// smoothed idf ln((1 + n) / (1 + df)) + 1 of the training rows, each row
// l2-normalised), so the figure matches the usual TF-IDF + logistic
// regression line.
#pragma once
#include "eval/probe.hpp"
#include "io/data_file.hpp"

namespace sslkit::eval {

// Counts [rows, vocabulary] of each row's first /lengths ids, with the
// file's labels; Error naming the file for an id outside the vocabulary.
// Dense: rows x vocabulary floats (2,500 rows of an 8,000-token vocabulary
// take 80 MB).
Features token_counts(const io::DataReader& r);

// TF-IDF of both count matrices with the idf of `train`'s rows.
void tfidf(Features& train, Features& test);

}  // namespace sslkit::eval
