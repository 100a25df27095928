#include <doctest/doctest.h>

#include "eval/bag_of_words.hpp"

using namespace sslkit;

TEST_CASE("tfidf: scikit-learn TfidfTransformer defaults - idf of the training rows - rows l2-normalised") {
  // Expected values printed by scikit-learn 1.x: TfidfTransformer().fit(train).transform(...).
  eval::Features tr, te;
  tr.n = 3, tr.d = 3, tr.x = {2, 0, 1, 0, 1, 0, 1, 1, 0};
  te.n = 2, te.d = 3, te.x = {0, 0, 3, 1, 2, 0};
  eval::tfidf(tr, te);
  const std::vector<float> want_tr = {0.835591542f, 0, 0.549351231f, 0, 1, 0, 0.707106781f, 0.707106781f, 0};
  const std::vector<float> want_te = {0, 0, 1, 0.447213595f, 0.894427191f, 0};
  for (size_t i = 0; i < want_tr.size(); ++i) CHECK(tr.x[i] == doctest::Approx(want_tr[i]).epsilon(1e-6));
  for (size_t i = 0; i < want_te.size(); ++i) CHECK(te.x[i] == doctest::Approx(want_te[i]).epsilon(1e-6));
}

TEST_CASE("tfidf: an empty row stays zero") {
  eval::Features tr, te;
  tr.n = 2, tr.d = 2, tr.x = {1, 0, 0, 0};
  te.n = 1, te.d = 2, te.x = {0, 0};
  eval::tfidf(tr, te);
  CHECK(tr.x[2] == 0.0f);
  CHECK(te.x[0] == 0.0f);
  CHECK(te.x[1] == 0.0f);
}
