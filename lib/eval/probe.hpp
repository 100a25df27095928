// What representations are scored with: labelled features (an embeddings
// file, or an image file's pixels as the raw-pixel baseline), kNN (weighted
// on cosine similarity, votes exp(sim/T), or a plain majority on Euclidean
// distance), accuracy, per-class accuracy and a confusion matrix, and the
// report files. The linear probe trains, so it
// lives in lib/train/run_probe on the one trainer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/data_file.hpp"

namespace sslkit::eval {

struct FinetuneOptions {
  std::string train, eval;      // embeddings (or image files with raw_pixels)
  std::string mode = "linear";  // linear, knn (full fine-tuning lives in train/finetune)
  std::string model;            // features from this encoder (or the start of full fine-tuning)
  bool raw_pixels = false;
  bool log_mel = false;         // audio baseline: each clip's log-mel band means and stds as features
  bool bag_of_words = false;    // text baseline: TF-IDF of each sequence's token ids (eval/bag_of_words.hpp)
  int k = 200;
  double knn_temperature = 0.1;   // cosine only
  std::string knn_metric = "cosine";  // cosine (weighted vote) or euclidean (majority vote)
  double label_fraction = 1.0;
  int epochs = 100;  // linear probe; 100 came within 0.5 pt of sklearn's converged L-BFGS, 30 was 0.9 pt short
  std::string metrics;          // JSON path
  std::string plot;             // confusion matrix PNG
  std::string title;            // of the plot; empty: default_title
  uint64_t seed = 0;
};

struct Metrics {
  double accuracy = 0;
  std::vector<double> per_class;
  std::vector<std::vector<int64_t>> confusion;
  std::vector<std::string> class_names;
  std::string summary_json(const FinetuneOptions& o, const std::string& extra = "") const;
};

// Labelled feature rows: an embeddings file, an image file's pixels, or an
// encoder's output computed in memory (train::embed_features).
struct Features {
  std::vector<float> x;  // [n, d]
  std::vector<int32_t> y;
  int64_t n = 0, d = 0;
  std::vector<std::string> class_names;
};

Features load_features(const std::string& path, bool raw_pixels, bool log_mel = false);
Features load_features(const io::DataReader& r, bool raw_pixels, bool log_mel = false);
// Data error naming `subject`, the row and the dimension of the first value
// that is NaN or infinite (a diverged encoder's features score silently at chance).
void check_finite(const Features& f, const std::string& subject);
int num_classes(const std::vector<int32_t>& a, const std::vector<int32_t>& b);
// A stratified subset of the labelled rows (semi-supervised protocol); at
// least one row per class.
std::vector<size_t> labelled_subset(const std::vector<int32_t>& y, double fraction, uint64_t seed);
// Accuracy, per-class accuracy and confusion over rows with a label >= 0.
Metrics score(const std::vector<int32_t>& pred, const std::vector<int32_t>& truth, int num_classes);
// Weighted kNN on cosine similarity: each test row's k nearest of the
// training rows `rows` vote exp(sim / T) for their class.
std::vector<int32_t> knn_predict(const Features& train, const std::vector<size_t>& rows, const Features& test, int k,
                                 double T, int num_classes);
// Several such rules from one similarity pass (the monitor scores k=200
// T=0.1 and k=20 T=0.07): predictions per rule, in the rules' order.
struct KnnRule {
  int k;
  double temperature;
};
std::vector<std::vector<int32_t>> knn_predict(const Features& train, const std::vector<size_t>& rows,
                                              const Features& test, const std::vector<KnnRule>& rules, int num_classes);
// scikit-learn's KNeighborsClassifier as it comes (the usual raw-pixel
// baseline): plain Euclidean distance on the features as they are (no
// normalisation), each of the k nearest one vote. Equal distances rank the
// lower training row first; a tied vote goes to the lowest class id, as
// scikit-learn's mode does.
std::vector<int32_t> knn_predict_euclidean(const Features& train, const std::vector<size_t>& rows,
                                           const Features& test, int k, int num_classes);
// The mode and the features in a few words, the plot's title unless given
// ("kNN k=200 T=0.1, raw pixels", "linear probe, m.h5 features").
std::string default_title(const FinetuneOptions& o);
// --metrics JSON and --plot PNG (titled, with the accuracy), written atomically.
void write_report(const Metrics& m, const FinetuneOptions& opts, const std::string& selected);

}  // namespace sslkit::eval
