#include "eval/bag_of_words.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/tokenizer.hpp"

namespace sslkit::eval {

Features token_counts(const io::DataReader& r) {
  if (!r.has("/tokens") || !r.has("/lengths"))
    throw Error(r.name(), "has no /tokens for --bag-of-words (a text file from ssl-import text)");
  const int64_t V = data::Tokenizer::read_from(r).vocab_size();
  const auto shape = r.info("/tokens").shape;
  const int64_t T = static_cast<int64_t>(shape.at(1));
  Features f;
  f.n = static_cast<int64_t>(r.size());
  f.d = V;
  f.x.assign(static_cast<size_t>(f.n * V), 0.0f);
  std::vector<int32_t> ids, lengths(static_cast<size_t>(f.n));
  if (f.n > 0) r.read<int32_t>("/lengths", 0, f.n, lengths.data());
  for (int64_t s = 0; s < f.n; s += 1024) {
    const int64_t n = std::min<int64_t>(1024, f.n - s);
    ids.resize(static_cast<size_t>(n * T));
    r.read<int32_t>("/tokens", s, n, ids.data());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t len = std::clamp<int64_t>(lengths[s + i], 0, T);
      for (int64_t t = 0; t < len; ++t) {
        const int32_t id = ids[i * T + t];
        if (id < 0 || id >= V)
          throw Error(r.name(), "row " + std::to_string(s + i) + " holds token id " + std::to_string(id) +
                                    ", outside the tokenizer's " + std::to_string(V) + " ids");
        f.x[(s + i) * V + id] += 1.0f;
      }
    }
  }
  f.y = r.labels();
  f.class_names = r.class_names();
  return f;
}

void tfidf(Features& train, Features& test) {
  SSLKIT_CHECK(train.d == test.d, "tfidf: the two count matrices have other vocabularies");
  const int64_t V = train.d;
  std::vector<double> df(static_cast<size_t>(V), 0.0);
  for (int64_t i = 0; i < train.n; ++i)
    for (int64_t v = 0; v < V; ++v)
      if (train.x[i * V + v] > 0) df[v] += 1;
  std::vector<float> idf(static_cast<size_t>(V));
  for (int64_t v = 0; v < V; ++v)
    idf[v] = static_cast<float>(std::log((1.0 + static_cast<double>(train.n)) / (1.0 + df[v])) + 1.0);
  for (Features* f : {&train, &test}) {
#pragma omp parallel for
    for (int64_t i = 0; i < f->n; ++i) {
      float* row = f->x.data() + i * V;
      double ss = 0;
      for (int64_t v = 0; v < V; ++v) {
        row[v] *= idf[v];
        ss += static_cast<double>(row[v]) * row[v];
      }
      if (ss > 0) {
        const float inv = static_cast<float>(1.0 / std::sqrt(ss));
        for (int64_t v = 0; v < V; ++v) row[v] *= inv;
      }
    }
  }
}

}  // namespace sslkit::eval
